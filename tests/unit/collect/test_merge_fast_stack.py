"""merge builds StackCounts from their fields' dict when that gives what __init__ gives: its check must name
every field, or the fast path is silently off (it was, from c_function's addition until core_wait_s)."""

from gilscope.collect import merge
from gilscope.model import dumps
from gilscope.model.profile import StackCount


def test_the_fast_path_is_on():
    assert merge._same_as_init()
    assert merge._stack is merge._fast_stack


def test_the_fast_path_gives_what_init_gives():
    values = dict(
        thread=0,
        frames=(1,),
        line=3,
        state=merge._STATES["cpu"],
        blocker=None,
        samples=2,
        wall_s=0.25,
        cpu_s=0.125,
        critical_s=0.0,
        waits=0,
        c_function=None,
        core_wait_s=0.125,
        read_wait_s=0.0625,
    )
    fast = merge._fast_stack(**values)
    assert fast == StackCount(**values)
    assert dumps(fast) == dumps(StackCount(**values))
    assert list(vars(fast)) == list(vars(StackCount(**values)))

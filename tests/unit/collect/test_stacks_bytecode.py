"""stacks.called_name() and c_code_at() read the bytecode of the interpreter running the tests: what a blocked
frame is calling (`with lock:`, lock.acquire(), time.sleep) and which C function a GIL-holding thread ran.
Each version compiles these the way its users' code is compiled, so CI runs this file on every interpreter:
3.11-3.13 BEFORE_WITH and LOAD_METHOD/LOAD_ATTR; 3.13 LOAD_FAST_LOAD_FAST; 3.14+ LOAD_SPECIAL __enter__ (the
thread waits on the CALL after it), LOAD_FAST_BORROW, LOAD_SMALL_INT, CALL_KW and LOAD_ATTR with its method flag.
"""

import dis
import sys
import threading
import time

import pytest

from gilscope.agent import stacks

lock = threading.Lock()


class _Holder:
    def __init__(self):
        self.lock = threading.Lock()


def _with_global():
    with lock:
        pass


def _with_attribute(holder):
    with holder.lock:
        pass


def _acquire(held):
    held.acquire()


def _acquire_kw(holder):
    holder.lock.acquire(timeout=5)


def _sleep_small_int():
    time.sleep(1)


def _two_locals(a, b):
    return a + b.acquire()


def _dumps(data):
    import json

    return json.dumps(data)


def _offsets(func, opname):
    return [ins.offset for ins in dis.get_instructions(func) if ins.opname == opname]


def _opnames(func):
    return {ins.opname for ins in dis.get_instructions(func)}


def _fresh(func, lasti):
    stacks._call_cache.clear()
    stacks._c_cache.clear()
    return stacks.called_name(func.__code__, lasti)


def _wait_offset(func, *args):
    """f_lasti of a thread running func(*args) while it waits for the held lock, read as the sampler reads it."""
    started = threading.Event()

    def run():
        started.set()
        func(*args)

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    started.wait(5)
    try:
        deadline = time.monotonic() + 5
        while time.monotonic() < deadline:
            frame = sys._current_frames().get(thread.ident)
            while frame is not None and frame.f_code is not func.__code__:
                frame = frame.f_back
            if frame is not None:
                time.sleep(0.05)  # let it get into the wait
                return frame.f_lasti
            time.sleep(0.01)
        pytest.fail("the thread never reached the function")
    finally:
        for held in (lock, getattr(args[0], "lock", None) if args else None, args[0] if args else None):
            if isinstance(held, type(lock)) and held.locked():
                held.release()
        thread.join(5)


def test_a_thread_queued_on_with_lock_waits_on_the_lock():
    lock.acquire()
    lasti = _wait_offset(_with_global)
    assert _fresh(_with_global, lasti) == ("lock", True)


def test_a_thread_queued_on_with_self_lock_names_the_attribute():
    holder = _Holder()
    holder.lock.acquire()
    lasti = _wait_offset(_with_attribute, holder)
    assert _fresh(_with_attribute, lasti) == ("holder.lock", True)


def test_a_thread_in_lock_acquire_waits_on_the_lock():
    held = threading.Lock()
    held.acquire()
    lasti = _wait_offset(_acquire, held)
    assert _fresh(_acquire, lasti) == ("held.acquire", True)


def test_acquire_with_a_keyword_argument():
    calls = _offsets(_acquire_kw, "CALL_KW") or _offsets(_acquire_kw, "CALL")
    assert _fresh(_acquire_kw, calls[-1]) == ("holder.lock.acquire", True)


def test_sleep_with_a_small_int_is_not_a_lock():
    call = (_offsets(_sleep_small_int, "CALL") or _offsets(_sleep_small_int, "PRECALL"))[-1]
    assert _fresh(_sleep_small_int, call) == ("time.sleep", False)


def test_a_method_on_the_second_of_two_locals_loaded_together():
    call = _offsets(_two_locals, "CALL")[-1]
    assert _fresh(_two_locals, call) == ("b.acquire", True)


def test_c_code_at_names_the_c_function_the_thread_stopped_on():
    call = _offsets(_dumps, "CALL")[-1]
    stacks._c_cache.clear()
    stacks._call_cache.clear()
    assert stacks.c_code_at(_dumps.__code__, call, False) == "json.dumps"


def test_c_code_at_a_quick_builtin_is_bytecode():
    call = (_offsets(_sleep_small_int, "CALL") or _offsets(_sleep_small_int, "PRECALL"))[-1]
    stacks._c_cache.clear()
    assert stacks.c_code_at(_sleep_small_int.__code__, call, False) == ""


def test_the_tests_above_ran_on_this_versions_own_opcodes():
    if sys.version_info >= (3, 14):
        assert "LOAD_SPECIAL" in _opnames(_with_global) and "BEFORE_WITH" not in _opnames(_with_global)
        assert "LOAD_FAST_BORROW" in _opnames(_acquire)
        assert "LOAD_SMALL_INT" in _opnames(_sleep_small_int)
        assert "CALL_KW" in _opnames(_acquire_kw)
    else:
        assert "BEFORE_WITH" in _opnames(_with_global)
    if sys.version_info >= (3, 13):
        assert {"LOAD_FAST_LOAD_FAST", "LOAD_FAST_BORROW_LOAD_FAST_BORROW"} & _opnames(_two_locals)


def _loops():
    for _ in range(3):
        pass


def test_code_flags_of_user_and_threading_code():
    assert stacks.code_flags(threading.Event.wait.__code__) & stacks.SYNC
    assert (
        stacks.code_flags(_sleep_small_int.__code__) & (stacks.USER | stacks.NO_LOOPS)
        == stacks.USER | stacks.NO_LOOPS
    )
    assert not stacks.code_flags(_loops.__code__) & stacks.NO_LOOPS


def _dict_get(counts, word):
    counts[word] = counts.get(word, 0) + 1


def _str_join(sep, parts):
    return sep.join(parts)


def _simple_queue_get(work_queue):
    return work_queue.get()


def test_c_calls_named_like_waits_are_not_lock_waits():
    # The innermost frame only makes C calls: its .get is dict.get and its .join str.join (Queue.get and
    # Thread.join would run in a frame of their own, in queue/threading code).
    assert _fresh(_dict_get, _offsets(_dict_get, "CALL")[0]) == ("counts.get", False)
    assert _fresh(_str_join, _offsets(_str_join, "CALL")[-1]) == ("sep.join", False)


def test_a_c_queue_get_is_a_lock_wait():
    call = _offsets(_simple_queue_get, "CALL")[-1]
    assert _fresh(_simple_queue_get, call) == ("work_queue.get", True)

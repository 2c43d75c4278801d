"""Runs at start-up in every Python process the profiled program starts (gilscope puts this folder on the
target's PYTHONPATH): spawned multiprocessing workers and Python subprocesses are profiled too, each into its
own data file. It then takes itself off sys.path and hands over to the user's own sitecustomize, if any.

Any Python may read this file: a child running python2.7 or 3.6 must not notice gilscope. So the syntax is
Python 2's too (no annotations, no f-strings), and only CPython 3.9+ starts the agent; older ones only chain.
"""
import os
import sys


def _gilscope_start_child():
    here = os.path.dirname(os.path.abspath(__file__))
    agent_path = os.environ.get("GILSCOPE_AGENT_PATH")     # set by --python: gilscope's agent for this Python
    ours = [os.path.abspath(p) for p in (here, agent_path) if p]
    sys.path[:] = [p for p in sys.path if not p or os.path.abspath(p) not in ours[:1]]
    settings = os.environ.get("GILSCOPE_AGENT")
    main = os.environ.pop("GILSCOPE_MAIN", None) == "1"   # the target's own process: its agent starts itself
    started_by_gilscope = (main or "gilscope.agent" in getattr(sys, "orig_argv", ())
                           or "GILSCOPE_GATE_FD" in os.environ)
    if main:
        return                # `-m gilscope.agent` is still to be imported from the agent path
    if settings and not started_by_gilscope and sys.version_info >= (3, 9):
        before = sys.dont_write_bytecode
        sys.dont_write_bytecode = False    # gilscope's own bytecode is cached whatever the setting
        try:
            from gilscope.agent.session import start_child
            start_child(settings)
        except Exception:  # profiling a child must never break it (e.g. another Python)
            pass
        finally:
            sys.dont_write_bytecode = before
    # gilscope's agent stays importable through its package, not through sys.path
    sys.path[:] = [p for p in sys.path if not p or os.path.abspath(p) not in ours]


def _chain_user_sitecustomize():
    try:
        from importlib.machinery import PathFinder
        from importlib.util import module_from_spec
    except ImportError:       # Python 2: the user's sitecustomize, the old way
        import imp
        try:
            found = imp.find_module("sitecustomize", sys.path)
        except ImportError:
            return
        try:
            imp.load_module("sitecustomize", *found)  # type: ignore[arg-type]  # (Python 2's imp)
        finally:
            if found[0] is not None:
                found[0].close()
        return
    spec = PathFinder.find_spec("sitecustomize", sys.path)
    if spec is None or spec.loader is None:
        return
    module = module_from_spec(spec)
    sys.modules["sitecustomize"] = module
    spec.loader.exec_module(module)


try:
    _gilscope_start_child()
except Exception:  # whatever this Python is, it starts as it would without gilscope
    pass
_chain_user_sitecustomize()

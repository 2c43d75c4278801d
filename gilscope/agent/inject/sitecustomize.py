"""Runs at start-up in every Python process the profiled program starts (gilscope puts this folder on the
target's PYTHONPATH): spawned multiprocessing workers and Python subprocesses are profiled too, each into its
own data file. It then takes itself off sys.path and hands over to the user's own sitecustomize, if any."""
import os
import sys


def _gilscope_start_child() -> None:
    here = os.path.dirname(os.path.abspath(__file__))
    sys.path[:] = [p for p in sys.path if not p or os.path.abspath(p) != here]
    settings = os.environ.get("GILSCOPE_AGENT")
    started_by_gilscope = "gilscope.agent" in getattr(sys, "orig_argv", ()) or "GILSCOPE_GATE_FD" in os.environ
    if settings and not started_by_gilscope:
        before = sys.dont_write_bytecode
        sys.dont_write_bytecode = False    # gilscope's own bytecode is cached whatever the setting
        try:
            from gilscope.agent.session import start_child
            start_child(settings)
        except Exception:  # noqa: BLE001 - profiling a child must never break it (e.g. another Python)
            pass
        finally:
            sys.dont_write_bytecode = before
    _chain_user_sitecustomize()


def _chain_user_sitecustomize() -> None:
    from importlib.machinery import PathFinder
    from importlib.util import module_from_spec
    spec = PathFinder.find_spec("sitecustomize", sys.path)
    if spec is None or spec.loader is None:
        return
    module = module_from_spec(spec)
    sys.modules["sitecustomize"] = module
    spec.loader.exec_module(module)


_gilscope_start_child()

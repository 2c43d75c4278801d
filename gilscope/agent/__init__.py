"""The in-process agent: runs the target like `python` would and samples it from a helper thread.

Everything under gilscope.agent runs inside the user's process, so it imports only the standard library,
loads no C extension (a free-threaded build must keep its GIL off) and keeps its per-sample work small.
"""

"""Facts: the flat, documented values that rule conditions may read, and nothing else.

Every field's description is the documentation a rule author sees (`gilscope rules facts`).
"""

from dataclasses import Field, field, fields
from typing import Any, Literal

from gilscope.model.base import record
from gilscope.model.common import Kind, Role, Scope

# kind and lock_held_kind are "" where there is none: run-scope facts, a lock hotspot without a known holder.
NoKind = Literal[""]


def fact(default: Any, description: str) -> Any:
    return field(default=default, metadata={"description": description})


@record
class Facts:
    scope: Scope = fact("hotspot", description="'hotspot' for a function, 'run' for the whole run")
    function: str = fact("", description="the hotspot's function (qualified name)")
    file: str = fact("", description="the hotspot's file")
    line: int = fact(0, description="the line the function is defined on")
    kind: Kind | NoKind = fact(
        "", description='the hotspot\'s kind: cpu, native, io, gil, lock or mixed ("" at run scope)'
    )
    role: Role = fact(
        Role.main, description="where it ran: main, worker thread, daemon thread, pool worker or child"
    )
    share_of_wall: float = fact(0.0, description="the hotspot's share of the run's wall time (0-1)")
    wall_s: float = fact(0.0, description="wall seconds the hotspot was on the stack of its threads")
    cpu_s: float = fact(0.0, description="CPU seconds used while in the hotspot")
    cpu_share: float = fact(0.0, description="cpu_s / wall_s of the hotspot")
    python_share: float = fact(0.0, description="share of the hotspot's time on CPU holding the GIL")
    native_share: float = fact(0.0, description="share of the hotspot's time on CPU with the GIL released")
    io_share: float = fact(
        0.0, description="share of the hotspot's time blocked on I/O, sleep or a subprocess"
    )
    gil_share: float = fact(0.0, description="share of the hotspot's time runnable but waiting for the GIL")
    lock_share: float = fact(
        0.0, description="share of the hotspot's time waiting on a lock, queue, event or join"
    )
    blocker: str = fact("", description="the blocking call most of the waiting went to, e.g. time.sleep")
    threads: int = fact(0, description="how many threads ran the hotspot")
    busy_threads: int = fact(
        0, description="threads that wanted the CPU (running, or waiting for the GIL or on a shared object)"
    )
    process_cpu_cores: float = fact(0.0, description="the process's CPU seconds / wall seconds over the run")
    cpu_count: int = fact(1, description="CPU cores available to the process")
    calls: int = fact(0, description="exact call count (deterministic engines), else 0")
    waits: int = fact(0, description="estimated number of separate blocking waits in the hotspot")
    in_event_loop: bool = fact(False, description="the hotspot ran inside an asyncio event loop callback")
    loop_stall_s: float = fact(0.0, description="seconds the event loop was stalled by this hotspot")
    loop_stalls: int = fact(0, description="how many separate stalls of the event loop it caused")
    in_child_process: bool = fact(False, description="the hotspot ran in a worker or child process")
    ipc_share: float = fact(
        0.0,
        description="share of the worker processes' task-loop time spent outside the "
        "task code (receiving, unpickling, waiting to be fed); 0 without worker processes",
    )
    tasks: int = fact(0, description="tasks sent to worker processes (not measured yet: always 0)")
    mean_task_s: float = fact(
        0.0, description="mean worker-side seconds per task sent to processes (not measured yet: always 0)"
    )
    lock_holder: str = fact("", description="the function that held the lock waited on, when known")
    lock_held_share: float = fact(
        0.0,
        description="share of the run's wall time threads spent inside this lock-"
        "taking function not waiting for the lock: the work done holding it (lock hotspots)",
    )
    lock_held_kind: Kind | NoKind = fact(
        "", description="what that work was: io, cpu, native, gil or mixed (lock hotspots)"
    )
    lock_held_threads: int = fact(
        0, description="threads that ran this lock-taking function, waiting or holding"
    )
    free_threaded: bool = fact(False, description="the interpreter is a free-threaded build")
    gil_enabled: bool = fact(True, description="the GIL was enabled during the run")
    gil_measured: bool = fact(True, description="the engine measured GIL holding and waiting")
    run_wall_s: float = fact(0.0, description="the run's wall seconds")
    samples: int = fact(0, description="samples behind the hotspot (or the run, at run scope)")
    estimated_speedup: float = fact(
        1.0, description="the whole-program speedup the hotspot's strategy could give"
    )
    gil_reenabled_by: str = fact(
        "", description="the module that turned the GIL back on (free-threaded builds)"
    )
    exit_code: int = fact(0, description="the target's exit status")
    bytecode_share: float = fact(
        0.0,
        description="share of the hotspot's time running Python bytecode (holding "
        "the GIL, outside C functions)",
    )
    library_code: bool = fact(
        False,
        description="the hotspot is in the standard library or an installed package "
        "(a `-m` run profiles that module as the code of interest): compiling it is not "
        "a change to your code",
    )
    own_bytecode_share: float = fact(
        0.0,
        description="share of the hotspot's time running bytecode of the "
        "user's own code (not of library Python it calls, which compiling the "
        "user's code leaves as it is)",
    )
    c_share: float = fact(
        0.0,
        description="share of the hotspot's time inside C code that held the GIL "
        "(json.dumps, re, pickle, big-integer operators...)",
    )
    c_function: str = fact("", description="the C function most of that time went to, as the code calls it")
    native_io_share: float = fact(
        0.0,
        description="share of the hotspot's native time spent in I/O calls (write, "
        "read, send, recv...): system calls on one stream, not computation that threads "
        "could spread over cores",
    )
    object_lock_share: float = fact(
        0.0,
        description="share of the hotspot's time its threads queued on the internal lock of an object other "
        "threads use (a dict, list or set mutated by many threads; free-threaded builds, measured from "
        "thousands of wake-ups a second outside any blocking call; not under the user's own lock)",
    )
    shared_line: int = fact(0, description="the line where the threads queued on that object")
    shared_object: str = fact(
        "", description='the shared object that line changes, as the code names it ("counts", "self.results")'
    )
    shared_statement: str = fact(
        "", description="that line's statement, e.g. counts[w] = counts.get(w, 0) + 1"
    )
    shared_update_unlocked: bool = fact(
        False,
        description="that statement reads the shared object and writes it back (a read-modify-write) with no "
        "lock held: without a GIL, threads interleave inside it and updates are lost",
    )
    gc_share: float = fact(
        0.0, description="share of the run's wall time spent collecting garbage (all generations)"
    )
    gc_gen2_share: float = fact(
        0.0, description="share of the run's wall time spent in full (generation 2) collections"
    )
    gc_collections: int = fact(0, description="garbage collections during the run, all generations")
    planned_stop: bool = fact(False, description="gilscope stopped the target after --duration, as asked")
    other_load_share: float = fact(
        0.0,
        description="share of the machine's cores other processes kept busy "
        "during the run (/proc/stat less the run's own CPU time)",
    )
    machine_busy: bool = fact(
        False,
        description="the run's threads mostly waited for cores that other work kept "
        "busy (core_wait_share >= 0.4, and other processes used a quarter of the machine or "
        "more where that was measured): CPU and parallelism advice would not hold",
    )
    waits_in_flight: float = fact(
        0.0,
        description="how many of the hotspot's waits were in progress at once, on "
        "average, while it was on the program's critical path (1: one after another)",
    )
    core_wait_share: float = fact(
        0.0,
        description="share of the main process's runnable time its threads spent "
        "waiting for a free core rather than running (the machine was busy); measured as "
        "1 - process CPU seconds / seconds the sampler saw threads running or runnable",
    )


def fact_fields() -> dict[str, Field[Any]]:
    """Every fact by name, in the order of the class; a field's description is `metadata["description"]`."""
    return _FACT_FIELDS


_FACT_FIELDS: dict[str, Field[Any]] = {f.name: f for f in fields(Facts)}

"""Which user function a sampled stack belongs to: the innermost frame of the user's own code, with time in
callees (stdlib, C, site-packages) charged to it. Comprehensions and generator expressions fold into the
function that contains them, as they do on Python 3.12+ (PEP 709)."""
from gilscope.model import Profile

_INLINE = ("<listcomp>", "<dictcomp>", "<setcomp>", "<genexpr>")


def owner(profile: Profile, frames: tuple[int, ...]) -> int | None:
    """Index of the frame a stack's time is charged to, or None when no user code is on the stack."""
    start = 0
    for pos, i in enumerate(frames):   # in a forked worker, frames outside its bootstrap are the parent's past
        f = profile.frames[i]
        if f.function == "BaseProcess._bootstrap" and f.file.replace("\\", "/").endswith("multiprocessing/process.py"):
            start = pos + 1
    user = [i for i in frames[start:] if profile.frames[i].user]
    if not user:
        return None
    index = len(user) - 1
    while index > 0:
        name = profile.frames[user[index]].function
        if not name.endswith(_INLINE):
            break
        enclosing = name.rsplit(".<locals>.", 1)[0] if ".<locals>." in name else "<module>"
        if profile.frames[user[index - 1]].function != enclosing:
            break
        index -= 1
    return user[index]


def in_event_loop(profile: Profile, frames: tuple[int, ...]) -> bool:
    """The stack runs inside an asyncio callback (events.Handle._run)."""
    for i in frames:
        f = profile.frames[i]
        if f.function == "Handle._run" and f.file.replace("\\", "/").endswith("asyncio/events.py"):
            return True
    return False

"""Which user function a sampled stack belongs to: the innermost frame of the user's own code, with time in
callees (stdlib, C, site-packages) charged to it. Comprehensions and generator expressions fold into the
function that contains them, as they do on Python 3.12+ (PEP 709).

A big profile has hundreds of thousands of stacks over far fewer distinct frame tuples, so the answers are
cached per profile and per frames tuple (see `_Index`)."""

import weakref

from gilscope.model import Profile

_INLINE = ("<listcomp>", "<dictcomp>", "<setcomp>", "<genexpr>")


def owner(profile: Profile, frames: tuple[int, ...]) -> int | None:
    """Index of the frame a stack's time is charged to, or None when no user code is on the stack."""
    return index_of(profile).owner(frames)


def in_event_loop(profile: Profile, frames: tuple[int, ...]) -> bool:
    """The stack runs inside an asyncio callback (events.Handle._run)."""
    return index_of(profile).in_event_loop(frames)


class _Index:
    """Per-frame facts computed once, and owners cached per frames tuple."""

    __slots__ = ("user", "functions", "bootstrap", "handle_run", "_owners")

    def __init__(self, profile: Profile):
        # No reference back to the profile: the index lives exactly as long as the profile does.
        self.user = [f.user for f in profile.frames]
        self.functions = [f.function for f in profile.frames]
        self.bootstrap = frozenset(  # in a forked worker, frames outside its bootstrap are the parent's past
            i
            for i, f in enumerate(profile.frames)
            if f.function == "BaseProcess._bootstrap"
            and f.file.replace("\\", "/").endswith("multiprocessing/process.py")
        )
        # The event loop: its callbacks (Handle._run) and the loop's own turn (_run_once: scheduling, timers).
        self.handle_run = frozenset(
            i
            for i, f in enumerate(profile.frames)
            if (f.function == "Handle._run" and f.file.replace("\\", "/").endswith("asyncio/events.py"))
            or (
                f.function == "BaseEventLoop._run_once"
                and f.file.replace("\\", "/").endswith("asyncio/base_events.py")
            )
        )
        self._owners: dict[tuple[int, ...], int | None] = {}

    def owner(self, frames: tuple[int, ...]) -> int | None:
        try:
            return self._owners[frames]
        except KeyError:
            pass
        except TypeError:  # an unhashable sequence (a list): answer without caching
            return self._owner(tuple(frames))
        result = self._owners[frames] = self._owner(frames)
        return result

    def _owner(self, frames: tuple[int, ...]) -> int | None:
        start = 0
        if self.bootstrap and not self.bootstrap.isdisjoint(frames):
            for pos, i in enumerate(frames):
                if i in self.bootstrap:
                    start = pos + 1
        is_user = self.user
        user = [i for i in frames[start:] if is_user[i]]
        if not user:
            return None
        index = len(user) - 1
        functions = self.functions
        while index > 0:
            name = functions[user[index]]
            if not name.endswith(_INLINE):
                break
            enclosing = name.rsplit(".<locals>.", 1)[0] if ".<locals>." in name else "<module>"
            if functions[user[index - 1]] != enclosing:
                break
            index -= 1
        return user[index]

    def in_event_loop(self, frames: tuple[int, ...]) -> bool:
        return bool(self.handle_run) and not self.handle_run.isdisjoint(frames)


_INDEXES: dict[int, _Index] = {}


def index_of(profile: Profile) -> _Index:
    """The cached index of `profile` (built on first use, dropped when the profile is)."""
    index = _INDEXES.get(id(profile))
    if index is None:
        index = _Index(profile)
        _INDEXES[id(profile)] = index
        weakref.finalize(profile, _INDEXES.pop, id(profile), None)
    return index

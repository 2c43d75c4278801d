"""The C function a GIL-holding thread stopped after is named by the callable of that CALL, on every version."""

import dis
import json  # named in the code under test
import zlib

from gilscope.agent.stacks import c_code_at


def _sample(blobs, x, self):
    a = [zlib.compress(b) for b in blobs]
    y = json.loads(json.dumps(x))
    self.fileobj.write(self.compress.compress(x))
    return a, y


def _names(code) -> list[str]:
    """What c_code_at says at each call instruction (where the interpreter checks for a GIL hand-over)."""
    out = []
    for inner in [code, *(c for c in code.co_consts if hasattr(c, "co_code"))]:
        for ins in dis.get_instructions(inner):
            if ins.opname in ("CALL", "CALL_KW"):
                out.append(c_code_at(inner, ins.offset, False))
    return [n for n in out if n]


def test_each_call_is_named_by_its_own_callable():
    names = _names(_sample.__code__)
    assert "zlib.compress" in names
    assert ".0" not in names and "blobs" not in names
    # the inner call first, then the outer one: not the first name on the line for both
    assert names.index("json.dumps") < names.index("json.loads")
    assert names.index("self.compress.compress") < names.index("self.fileobj.write")

"""The report formats and the collection engines. A light module (stdlib only): the CLI's options and the
early-start fast path need these enums at import, before the models. gilscope.model.common re-exports them."""

from enum import StrEnum


class Format(StrEnum):
    text = "text"
    md = "md"
    html = "html"
    sarif = "sarif"
    json = "json"
    speedscope = "speedscope"  # an export of Report.profile, not of the findings


class Engine(StrEnum):
    """How a run is collected (`--engine`, [tool.gilscope] engine)."""

    auto = "auto"  # the in-process sampler (the default)
    sampler = "sampler"  # the same sampler, by its own name
    cprofile = "cprofile"
    yappi = "yappi"
    pyspy = "pyspy"


# The formats `gilscope profile` writes to files (--json, --markdown, ...): every format but the terminal text.
FILE_FORMATS = (Format.json, Format.md, Format.html, Format.sarif, Format.speedscope)

"""The [tool.gilscope] table of pyproject.toml. Keys are kebab-case, as in the file; unknown keys and wrong
types are errors (gilscope.cli.config turns them into one-line ConfigErrors that name the key)."""
from typing import Literal, Optional

from pydantic import BaseModel, ConfigDict, Field

Engine = Literal["auto", "sampler", "cprofile", "yappi", "pyspy"]
FailOn = Literal["info", "warning", "error", "never"]


def _kebab(name: str) -> str:
    return name.rstrip("_").replace("_", "-")


class ToolConfig(BaseModel):
    """Defaults for the command line; the command line wins. Paths are relative to the pyproject.toml."""

    model_config = ConfigDict(extra="forbid", frozen=True, strict=True, alias_generator=_kebab,
                              populate_by_name=False)

    fail_on: Optional[FailOn] = Field(None, description="Exit 1 on findings at or above this severity.")
    baseline: Optional[str] = Field(None, description="An earlier JSON report: only new findings count.")
    ignore: list[str] = Field(default_factory=list, description="Rule ids or names to skip.")
    rules: list[str] = Field(default_factory=list, description="Extra rule folders.")
    min_share: Optional[float] = Field(None, ge=0, le=1, description="Hotspots below this share of the run are "
                                       "not listed (default 0.02).")
    max_hotspots: Optional[int] = Field(None, ge=1, description="List at most this many hotspots (default 25).")
    engine: Optional[Engine] = Field(None, description="How to collect (default auto).")
    interval: Optional[float] = Field(None, ge=0.5, le=1000, description="Sampling interval in milliseconds.")
    timeout: Optional[float] = Field(None, ge=0.01, description="Stop the target after this many seconds.")
    python: Optional[str] = Field(None, description="Run the target under this interpreter (a path relative to "
                                  "the pyproject.toml, or a name on PATH); gilscope itself runs where installed.")
    json_: Optional[str] = Field(None, description="Write the JSON report here.")
    markdown: Optional[str] = Field(None, description="Write the Markdown report here.")
    html: Optional[str] = Field(None, description="Write the HTML report here.")
    sarif: Optional[str] = Field(None, description="Write SARIF 2.1.0 here.")
    speedscope: Optional[str] = Field(None, description="Write the samples for speedscope here.")

"""Exit codes, the one map from domain errors to them, and the one error printer (stdlib only).

0 success; 1 the gate failed (--fail-on, or diff's --max-regression); 2 usage or input error; 3 the target
failed; 124 --timeout stopped the target; 130/143 interrupted by SIGINT/SIGTERM. A report is written in every
case where the target ran.
"""

from __future__ import annotations

import sys

from gilscope.errors import (
    CollectorUnavailable,
    ConfigError,
    GilscopeError,
    ReportLoadError,
    RuleLoadError,
    UsageError,
)

OK, GATE, USAGE, TARGET, TIMEOUT = 0, 1, 2, 3, 124
SIGNAL = {"SIGINT": 130, "SIGTERM": 143, "timeout": TIMEOUT}  # how a run was cut short -> its exit code

# Every domain error is a usage or input error today; a new one that means something else gets its code here.
ERROR_CODES: dict[type[GilscopeError], int] = {
    UsageError: USAGE,
    ConfigError: USAGE,
    RuleLoadError: USAGE,
    ReportLoadError: USAGE,
    CollectorUnavailable: USAGE,
    GilscopeError: USAGE,
}


def code_for(exc: GilscopeError) -> int:
    """The exit code for a domain error: that of its nearest class in ERROR_CODES."""
    return next(ERROR_CODES[cls] for cls in type(exc).__mro__ if cls in ERROR_CODES)


def print_error(message: object) -> None:
    """`gilscope: error: <message>` on stderr, on one visible line: every command's errors read the same."""
    from gilscope.render.base import clean  # only on an error: it loads pydantic

    sys.stderr.write(f"gilscope: error: {clean(message)}\n")

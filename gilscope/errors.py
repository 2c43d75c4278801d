"""Domain errors. Only the CLI turns them into exit codes (gilscope/cli/exits.py: ERROR_CODES)."""


class GilscopeError(Exception):
    """A problem gilscope reports in one line and exits for (2: usage or input error, see cli/exits.py)."""


class UsageError(GilscopeError):
    pass


class RuleLoadError(GilscopeError):
    """A rule file is broken: the message names the file, the rule and the field."""


class ReportLoadError(GilscopeError):
    """A JSON file given to report/check/diff is not a gilscope report."""


class ConfigError(GilscopeError):
    """A bad [tool.gilscope] value; the message names the key."""


class CollectorUnavailable(GilscopeError):
    """An engine cannot run here (py-spy missing or cannot attach, yappi not installed)."""

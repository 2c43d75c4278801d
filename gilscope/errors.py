"""Domain errors. Only cli.py turns them into exit codes."""


class GilscopeError(Exception):
    """A problem gilscope reports in one line and exits 2 for (usage or input error)."""

    exit_code = 2


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

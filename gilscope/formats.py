"""The report formats. A light module: the CLI's --format option needs the enum at import, before pydantic."""
from enum import Enum


class Format(str, Enum):
    text = "text"
    md = "md"
    html = "html"
    sarif = "sarif"
    json = "json"
    speedscope = "speedscope"   # an export of Report.profile, not of the findings

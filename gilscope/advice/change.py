"""The rewrite for a construct: rewrite.py's table, and the rewrites that build on rewrite.py (loops.py's loop
rewrite, shared_data.py's per-thread part). The choice is made here, above them, so none imports another."""

from __future__ import annotations

from gilscope.advice.constructs import Site
from gilscope.advice.loops import to_pool_map
from gilscope.advice.rewrite import REWRITES, Edit, NoRewrite, _merge_imports
from gilscope.advice.shared_data import to_private_part
from gilscope.advice.source import Source

_ABOVE_REWRITE = {"loop": to_pool_map, "shared-update": to_private_part}  # rewrites that build on rewrite.py


def rewrite(src: Source, site: Site, ctx: dict) -> list[Edit]:
    fn = REWRITES.get(site.construct) or _ABOVE_REWRITE.get(site.construct)
    if fn is None:
        raise NoRewrite(f"no rewrite for {site.construct}")
    return _merge_imports(src, fn(src, site, ctx))

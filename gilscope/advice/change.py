"""The rewrite for a construct: rewrite.py's table and the loop rewrite of loops.py, which builds on
rewrite.py. The choice is made here, above both, so neither imports the other."""

from __future__ import annotations

from gilscope.advice.constructs import Site
from gilscope.advice.loops import to_pool_map
from gilscope.advice.rewrite import REWRITES, Edit, NoRewrite, _merge_imports
from gilscope.advice.source import Source


def rewrite(src: Source, site: Site, ctx: dict) -> list[Edit]:
    fn = REWRITES.get(site.construct) or (to_pool_map if site.construct == "loop" else None)
    if fn is None:
        raise NoRewrite(f"no rewrite for {site.construct}")
    return _merge_imports(src, fn(src, site, ctx))

"""Jinja2 templates for generated SQL and scripts, read from the project's ``templates/`` folder.

Templates are part of the project (like the catalog), so a team can review and adapt them.
StrictUndefined turns a typo in a template into an error instead of an empty string.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # jinja2 loads where templates render: validate uses ``bracket`` alone
    from jinja2 import Environment


def template_environment(project_root: Path) -> Environment:
    from jinja2 import Environment, FileSystemLoader, StrictUndefined

    env = Environment(
        loader=FileSystemLoader(str(project_root / "templates")),
        undefined=StrictUndefined,
        keep_trailing_newline=True,
        trim_blocks=True,
        lstrip_blocks=True,
        autoescape=False,  # SQL and Python, not HTML
        # One generate reads each template once: with reloading on, every render of a template and
        # of each template it imports checked the file again (15,000 stats at 1,000 tables).
        auto_reload=False,
        cache_size=-1,  # a plain dict: Jinja's default LRU cache takes a lock and reorders a deque per lookup
    )
    env.filters["bracket"] = bracket
    return env


@cache  # the same few names, over and over: 190,000 calls for 1,000 tables
def bracket(identifier: str) -> str:
    """``mart.dim_customer`` → ``[mart].[dim_customer]`` (T-SQL delimited identifiers)."""
    return ".".join(f"[{part.replace(']', ']]')}]" for part in identifier.split("."))

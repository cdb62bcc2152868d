"""Shared output helpers: JSON for machines, problems on stderr for people."""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any

import click

from wardcloud.core.errors import Problem


def echo_json(payload: Any) -> None:
    """Pretty, stable JSON on stdout (non-ASCII kept readable: ward names are Japanese)."""
    click.echo(json.dumps(payload, ensure_ascii=False, indent=2, sort_keys=False, default=str))


def echo_problems(problems: Iterable[Problem]) -> None:
    """One `FILE:LINE:COL: CODE message (at path)` line per problem, on stderr."""
    from wardcloud.core.secrets import mask_secrets  # its patterns compile on import: only when there is a problem

    for problem in problems:
        click.echo(mask_secrets(problem.render()), err=True)

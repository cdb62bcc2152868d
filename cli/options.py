"""Options several commands share, spelled and checked once so they agree everywhere."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import click

from wardcloud.core.errors import Problem, WardcloudError

MONTH = re.compile(r"\d{4}-(0[1-9]|1[0-2])")


def _check_period(ctx: click.Context, param: click.Parameter, value: str | None) -> str | None:
    # one mistake, one code: every command's bad --period is cost allocation's COST030 (its Period defines a month)
    from wardcloud.cost_allocation.errors import Code

    if value is not None and not MONTH.fullmatch(value):
        raise WardcloudError(
            [Problem("--period", 0, 0, Code.BAD_PERIOD, f"period {value!r} is not a month YYYY-MM (e.g. 2023-07)")]
        )
    return value


def period_option(*, required: bool = True, help: str = "Billing month.") -> Callable[[Any], Any]:
    """`--period YYYY-MM`, checked before the command runs (COST030 otherwise)."""
    return click.option(
        "--period", required=required, default=None, metavar="YYYY-MM", callback=_check_period, help=help
    )


def yes_option(help: str = "Do not ask for confirmation.") -> Callable[[Any], Any]:
    """`-y/--yes`, the same on every command that asks before acting."""
    return click.option("-y", "--yes", is_flag=True, help=help)


GOVERNANCE_HELP = "Directory holding `signers` (allowed_signers with roles) and `rules.yaml`."


def governance_option(help: str = GOVERNANCE_HELP) -> Callable[[Any], Any]:
    """`--governance DIR` ($WARDCTL_GOVERNANCE, default ./governance): whose signers and rules count."""
    return click.option(
        "--governance",
        "governance_dir",
        type=click.Path(path_type=Path, file_okay=False),
        envvar="WARDCTL_GOVERNANCE",
        default=Path("governance"),
        show_default=True,
        show_envvar=True,
        help=help,
    )


def check_ward_codes(ctx: click.Context, param: click.Parameter, value: Any) -> Any:
    """Callback for options naming wards: each must be one of the 23 wards' codes (TEN020 / TEN024)."""
    codes = value if isinstance(value, tuple) else () if value is None else (value,)
    if not codes:  # click calls back for an absent option too: no reference data (nor YAML) read for it
        return value
    from wardcloud.tenants.problems import TenantError
    from wardcloud.tenants.reference import reference_ward

    where = param.opts[0] if isinstance(param, click.Option) else param.human_readable_name
    problems = []
    for code in codes:
        try:
            reference_ward(code, where)
        except TenantError as exc:
            problems.extend(exc.problems)
    if problems:
        raise TenantError(problems)
    return value

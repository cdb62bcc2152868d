"""A click group that imports a subcommand's module only when that subcommand runs."""

from __future__ import annotations

import importlib
from collections.abc import Mapping
from typing import Any

import click


class LazyGroup(click.Group):
    """Subcommands named as `"module:attribute"`, imported on first use.

    `wardctl cost allocate` then loads neither Pulumi, the OpenStack SDK, openpyxl nor the policy engine:
    start-up is a fixed cost on every command, and on a big bill it is most of what is not DuckDB.
    `lazy_help` gives a lazy command's help text (its docstring's first paragraph) so that listing the
    commands (`wardctl --help`) imports none of them; a command without one is imported to ask it.
    """

    def __init__(self, *args: Any, lazy_subcommands: Mapping[str, str] | None = None,
                 lazy_help: Mapping[str, str] | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.lazy_subcommands = dict(lazy_subcommands or {})
        self.lazy_help = dict(lazy_help or {})

    def list_commands(self, ctx: click.Context) -> list[str]:  # noqa: D102 - click's hook
        return sorted({*super().list_commands(ctx), *self.lazy_subcommands})

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:  # noqa: D102
        target = self.lazy_subcommands.get(cmd_name)
        if target is None:
            return super().get_command(ctx, cmd_name)
        module, _, attribute = target.partition(":")
        command = getattr(importlib.import_module(module), attribute)
        if not isinstance(command, click.Command):
            raise TypeError(f"{target} is not a click command")
        return command

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        """click's command list, taking a lazy command's help from `lazy_help` instead of importing it."""
        names = self.list_commands(ctx)
        if not names:
            return
        limit = formatter.width - 6 - max(len(name) for name in names)
        rows = []
        for name in names:
            if name in self.lazy_help and name not in self.commands:
                rows.append((name, click.Command(name, help=self.lazy_help[name]).get_short_help_str(limit)))
                continue
            command = self.get_command(ctx, name)
            if command is not None and not command.hidden:
                rows.append((name, command.get_short_help_str(limit)))
        if rows:
            with formatter.section("Commands"):
                formatter.write_dl(rows)

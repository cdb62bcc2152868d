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
            command = super().get_command(ctx, cmd_name)
        else:
            module, _, attribute = target.partition(":")
            command = getattr(importlib.import_module(module), attribute)
            if not isinstance(command, click.Command):
                raise TypeError(f"{target} is not a click command")
        if command is not None:
            record_format(command)
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

FORMAT_KEY = "wardctl.format"  # in ctx.meta, which every context of one invocation shares


def requested_format(ctx: click.Context) -> str | None:
    """The `--format` value the running command was given (None before it was parsed, or no such option)."""
    value = ctx.meta.get(FORMAT_KEY)
    return value if isinstance(value, str) else None


def record_format(command: click.Command) -> None:
    """Make every `--format` option of `command` (and of its subcommands) note its value in ctx.meta.

    The group's error handling reads it, so a command that fails before printing anything still reports
    its problems in the format asked for, without each command having to catch and format errors itself.
    """
    for param in command.params:
        if isinstance(param, click.Option) and "--format" in param.opts and not getattr(param, "_recorded", False):
            param.callback = _recording(param.callback)
            param._recorded = True  # type: ignore[attr-defined]
    if isinstance(command, click.Group):  # a LazyGroup's lazy subcommands: when its get_command loads them
        for subcommand in command.commands.values():
            record_format(subcommand)


def _recording(callback: Any) -> Any:
    def record(ctx: click.Context, param: click.Parameter, value: Any) -> Any:
        ctx.meta[FORMAT_KEY] = value
        return callback(ctx, param, value) if callback is not None else value

    return record

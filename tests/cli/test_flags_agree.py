"""Options mean and spell the same on every command: -y/--yes, --format, --period YYYY-MM, one code per mistake."""

from __future__ import annotations

import click
import pytest
from click.testing import CliRunner

from tests.conftest import ROOT
from wardcloud.cli.main import cli
from wardcloud.cli.options import check_ward_codes

EXAMPLES = ROOT / "cost_allocation" / "examples"
BILL, RULES = str(EXAMPLES / "bill-2023-07.csv"), str(EXAMPLES / "rules.yaml")
WITHOUT_FORMAT = {"wardctl apply"}  # apply streams pulumi's own output; its rewrite gives it a JSON form


def leaf_commands() -> dict[str, click.Command]:
    ctx = click.Context(cli)
    found: dict[str, click.Command] = {}

    def walk(command: click.Command, path: str) -> None:
        if isinstance(command, click.Group):
            for name in command.list_commands(ctx):
                sub = command.get_command(ctx, name)
                assert sub is not None
                walk(sub, f"{path} {name}")
        else:
            found[path] = command

    walk(cli, "wardctl")
    return found


def options(command: click.Command) -> dict[str, click.Option]:
    return {p.opts[-1] if p.opts[-1].startswith("--") else p.opts[0]: p
            for p in command.params if isinstance(p, click.Option)}


COMMANDS = leaf_commands()


def test_every_confirmation_is_skipped_by_both_y_and_yes():
    asking = {path: opts["--yes"] for path, c in COMMANDS.items() if "--yes" in (opts := options(c))}
    assert set(asking) >= {"wardctl apply", "wardctl destroy", "wardctl audit repair"}
    for path, option in asking.items():
        assert set(option.opts) == {"-y", "--yes"}, path


def test_every_command_but_apply_has_format_text_and_json():
    for path, command in COMMANDS.items():
        if path in WITHOUT_FORMAT:
            continue
        fmt = options(command).get("--format")
        assert fmt is not None, f"{path} has no --format"
        assert isinstance(fmt.type, click.Choice) and {"text", "json"} <= set(fmt.type.choices), path
        assert fmt.default == "text", path


def test_every_period_is_yyyy_mm():
    periods = {path: opts["--period"] for path, c in COMMANDS.items() if "--period" in (opts := options(c))}
    assert set(periods) == {"wardctl cost allocate", "wardctl cost simulate", "wardctl cost usage", "wardctl report",
                            "wardctl cost estimate"}
    assert {option.metavar for option in periods.values()} == {"YYYY-MM"}


@pytest.mark.parametrize(
    "args",
    [
        ["cost", "allocate", "--bill", BILL, "--rules", RULES, "--period", "2023-7"],
        ["cost", "simulate", "--join", "131113", "--date", "2023-07-10", "--bill", BILL, "--rules", RULES,
         "--period", "2023-7"],
        ["cost", "usage", "--cloud", "nowhere", "--out", "usage.csv", "--period", "2023-7"],
        ["report", "--bill", BILL, "--rules", RULES, "--out", "report.html", "--period", "2023-7"],
    ],
    ids=lambda args: " ".join(args[:2]),
)
def test_a_bad_period_is_the_same_problem_everywhere(args, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(cli, args, catch_exceptions=False)
    assert result.exit_code == 1
    assert result.stderr == "--period: COST030 period '2023-7' is not a month YYYY-MM (e.g. 2023-07)\n"
    assert list(tmp_path.iterdir()) == []


def test_every_ward_option_checks_its_code_the_same_way():
    ward_options = {(path, name): option for path, c in COMMANDS.items()
                    for name, option in options(c).items() if option.metavar == "CODE6"}
    assert len(ward_options) >= 9
    for (path, name), option in ward_options.items():
        assert option.callback is check_ward_codes, (path, name)


@pytest.mark.parametrize(
    "args",
    [
        ["plan", "--ward", "131131"],
        ["policy", "check", "--ward", "131131"],
        ["destroy", "--ward", "131131"],
        ["audit", "log", "--ward", "131131"],
        ["drift", "--cloud", "nowhere", "--ward", "131131"],
        ["cost", "simulate", "--date", "2023-07-10", "--bill", BILL, "--rules", RULES, "--join", "131131"],
    ],
    ids=lambda args: " ".join(args[:2]),
)
def test_a_wrong_ward_code_is_the_same_problem_everywhere(args):
    result = CliRunner().invoke(cli, args, catch_exceptions=False)
    assert result.exit_code == 1
    option = args[-2]
    assert result.stderr == f"{option}: TEN020 code 131131 has a wrong check digit: expected 131130 (渋谷区 Shibuya)\n"

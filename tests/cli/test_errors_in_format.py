"""Problems come out in the format the command was asked for; a crashing rule names itself."""

from __future__ import annotations

import json
from dataclasses import replace

import pytest
from click.testing import CliRunner

from tests.conftest import ROOT
from wardcloud.cli.main import cli
from wardcloud.policies.registry import catalogue

EXAMPLES = ROOT / "cost_allocation" / "examples"
HINT = "; run from the repository root, or give the ward files' directory with --tenants DIR or WARDCTL_TENANTS"
ERROR_KEYS = {"file", "line", "column", "code", "message", "path"}


def run(*args: str):
    return CliRunner().invoke(cli, list(args), catch_exceptions=False)


def errors_of(stdout: str) -> list[dict]:
    payload = json.loads(stdout)
    assert "errors" in payload and set(payload) <= {"errors", "valid", "tenants"}  # validate: its own keys too
    assert payload["errors"] and all(set(e) == ERROR_KEYS for e in payload["errors"])
    return payload["errors"]


def test_library_problems_are_json_on_stdout_under_format_json(tmp_path):
    result = run("--tenants", str(tmp_path), "tenant", "list", "--format", "json")
    assert result.exit_code == 1
    assert errors_of(result.stdout) == [
        {"file": str(tmp_path), "line": 1, "column": 1, "code": "TEN050",
         "message": "no tenant files (*.yaml) in this directory" + HINT, "path": ""}
    ]
    assert "TEN050" not in result.stderr


def test_the_same_problem_is_a_text_line_on_stderr_without_format_json(tmp_path):
    result = run("--tenants", str(tmp_path), "tenant", "list")
    assert result.exit_code == 1 and result.stdout == ""
    assert result.stderr.strip() == f"{tmp_path}:1:1: TEN050 no tenant files (*.yaml) in this directory{HINT}"


@pytest.mark.parametrize("fmt_args", [["--format", "json"], ["--format=json"]])
def test_usage_mistakes_are_json_too(fmt_args):
    result = run("policy", "list", *fmt_args, "--no-such-option")
    assert result.exit_code == 1
    [error] = errors_of(result.stdout)
    assert error["code"] == "CLI001" and "--no-such-option" in error["message"]
    assert error["file"] == "wardctl policy list"


def test_bad_period_is_json_in_a_nested_command():
    result = run("cost", "allocate", "--format", "json", "--period", "2023-13",
                 "--bill", str(EXAMPLES / "bill-2023-07.csv"), "--rules", str(EXAMPLES / "rules.yaml"))
    assert result.exit_code == 1
    [error] = errors_of(result.stdout)
    assert error["file"] == "--period" and error["code"] == "COST030"


def test_wardctl_alone_prints_help_and_succeeds():
    result = run()
    assert result.exit_code == 0
    assert "Usage: wardctl" in result.stdout and "validate" in result.stdout


def broken_line() -> int:
    return broken.__code__.co_firstlineno


def broken(resource, config):
    raise KeyError("remoteIpPrefix")


@pytest.fixture
def crashing_rule(monkeypatch):
    """NET-001 (a resource rule on routers) replaced by one that raises KeyError."""
    registry = catalogue()
    original = registry["NET-001"]
    monkeypatch.setitem(registry._rules, "NET-001", replace(original, check=broken))
    return original


@pytest.mark.parametrize("fmt", ["text", "json"])
def test_a_crashing_rule_names_the_rule_and_the_resource(crashing_rule, fmt):
    result = run("policy", "check", "--ward", "131130", "--format", fmt)
    assert result.exit_code == 1
    assert "internal error" not in result.output
    if fmt == "json":
        [error] = errors_of(result.stdout)
        code, message = error["code"], error["message"]
    else:
        [line] = result.stderr.splitlines()
        code, message = line.split(" ", 2)[1], line
    assert code == "POL020"
    if fmt == "text":  # located at the rule's source, where the fix goes
        assert message.startswith(f"tests/cli/test_errors_in_format.py:{broken_line()}: POL020 ")
    assert f"policy rule NET-001 ({crashing_rule.title}) failed on resource 131130-" in message
    assert "KeyError: 'remoteIpPrefix'" in message


def test_a_genuine_bug_is_one_line_in_json_without_a_traceback(monkeypatch):
    import wardcloud.cli.tenant as tenant_cli

    def boom(*args, **kwargs):
        raise RuntimeError("boom")

    monkeypatch.setattr(tenant_cli, "load_tenants", boom)
    monkeypatch.delenv("WARDCTL_DEBUG", raising=False)
    result = run("tenant", "list", "--format", "json")
    assert result.exit_code == 1
    [error] = errors_of(result.stdout)
    assert error["code"] == "CLI000" and "RuntimeError: boom" in error["message"]
    assert "Traceback" not in result.output


@pytest.mark.parametrize("command", [["validate"], ["tenant", "list"], ["plan"]])
def test_outside_the_repository_a_missing_tenants_directory_says_how_to_point_at_it(tmp_path, monkeypatch, command):
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("WARDCTL_TENANTS", raising=False)
    result = run(*command)
    assert result.exit_code == 1
    assert result.stderr.splitlines()[0] == (
        "tenants/wards:1:1: TEN051 no such file or directory; run from the repository root, "
        "or give the ward files' directory with --tenants DIR or WARDCTL_TENANTS"
    )
    as_json = run(*command, "--format", "json")
    assert "--tenants DIR or WARDCTL_TENANTS" in errors_of(as_json.stdout)[0]["message"]

"""No credential in any output: every command that talks to a cloud goes through one masking translation."""

from __future__ import annotations

import os
import socket
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.hardening.helpers import assert_clean_failure, wardctl
from wardcloud.audit.recorder import record
from wardcloud.core.secrets import mask_secrets

PASSWORD = "Hunter2-s3cret-pw"
TOKEN = "gAAAAABtoken-value-0123456789"


def closed_port() -> int:
    """A loopback port nothing listens on (bound, then released)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture
def cloud_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[dict[str, str]]:
    """OS_* credentials with the password inside OS_AUTH_URL too, pointing at a closed port."""
    for name in list(os.environ):
        if name.startswith("OS_"):
            monkeypatch.delenv(name)
    home = tmp_path / "home"
    home.mkdir()
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(home / ".config"))
    port = closed_port()
    env = {"OS_AUTH_URL": f"http://admin:{PASSWORD}@127.0.0.1:{port}/identity/v3", "OS_USERNAME": "admin",
           "OS_PASSWORD": PASSWORD, "OS_PROJECT_NAME": "platform-audit", "OS_USER_DOMAIN_NAME": "Default",
           "OS_PROJECT_DOMAIN_NAME": "Default", "OS_REGION_NAME": "RegionOne", "WARDCTL_CLOUD_TIMEOUT": "2"}
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    yield env


def _no_secret(text: str) -> None:
    assert PASSWORD not in text and "Hunter2" not in text, text


def test_audit_ship_to_a_closed_port_is_a_located_line_without_the_password(tmp_path: Path,
                                                                            cloud_env: dict[str, str]) -> None:
    state = tmp_path / "state"
    record(state, "ops", "cost allocate", ["wardctl"], {}, "success", 0, {})
    result = wardctl("--state", str(state), "audit", "ship")
    assert_clean_failure(result, "AUD011")
    assert "LIVE002" in result.stderr and "unreachable" in result.stderr
    assert "***@127.0.0.1" in result.stderr
    _no_secret(result.output)
    assert len(result.stderr.splitlines()) == 1


@pytest.mark.parametrize("args", [["inventory", "--cloud", "envvars"],
                                  ["drift", "--cloud", "envvars"],
                                  ["cost", "usage", "--cloud", "envvars", "--period", "2023-07", "--out", "u.csv"]])
def test_live_commands_to_a_closed_port_mask_the_password(tmp_path: Path, cloud_env: dict[str, str],
                                                          args: list[str]) -> None:
    if "--out" in args:
        args = [*args[:-1], str(tmp_path / "u.csv")]
    result = wardctl("--state", str(tmp_path / "state"), *args)
    assert_clean_failure(result, "LIVE002")
    _no_secret(result.output)


@pytest.mark.parametrize("text", [
    f"Unable to establish connection to https://admin:{PASSWORD}@keystone:5000/v3/auth/tokens",
    f"https://{TOKEN}@swift.example/v1/AUTH_x",
    f"password={PASSWORD}", f'{{"password": "{PASSWORD}"}}', f"X-Auth-Token: {TOKEN}",
    f"os_password: {PASSWORD}", f"the token={TOKEN} was refused", f"auth failed for {PASSWORD}",
])
def test_the_mask_hides_every_spelling(text: str) -> None:
    masked = mask_secrets(text, {"OS_PASSWORD": PASSWORD})
    assert PASSWORD not in masked and TOKEN not in masked, masked


def test_prose_is_left_alone() -> None:
    text = "no OpenStack credentials: set OS_CLOUD; see /v3/auth/tokens: 404"
    assert mask_secrets(text, {}) == text


@pytest.mark.parametrize("name", ["--pass", "db_pass", "OS_PASSWORD", "passphrase", "dbPassword", "api-key"])
def test_secret_names_are_masked_in_audit_records(name: str) -> None:
    from wardcloud.audit.redact import redact_argv, redact_mapping

    assert redact_mapping({name: PASSWORD}) == {name: "***"}
    assert PASSWORD not in " ".join(redact_argv(["wardctl", f"--{name.lstrip('-')}", PASSWORD]))


@pytest.mark.parametrize("name", ["passed", "bypass", "compass", "passes", "passengers"])
def test_words_that_merely_contain_pass_are_not_secrets(name: str) -> None:
    from wardcloud.audit.redact import redact_mapping

    # a restore drill's `passed: false` is the drill's result, and the audit record must keep it
    assert redact_mapping({name: False, "checks": {name: "yes"}}) == {name: False, "checks": {name: "yes"}}
    assert mask_secrets(f'"{name}": true', {}) == f'"{name}": true'

"""Cloud failures become one line naming cloud, service and call; exit 1 (no dev cloud needed)."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner
from keystoneauth1 import exceptions as ksa
from openstack import exceptions as sdk

from wardcloud.cli.main import cli
from wardcloud.core.cloud import CloudError, Code, classify, guarded

REFUSED = (
    "Unable to establish connection to http://127.0.0.1:5999/v3/auth/tokens: [Errno 111] Connection refused"
)


def wrapped(cause: BaseException) -> BaseException:
    """What openstacksdk raises: its generic SDKException, keystoneauth's precise error as the cause."""
    try:
        try:
            raise cause
        except Exception as exc:
            raise sdk.SDKException("Error authenticating") from exc
    except sdk.SDKException as outer:
        return outer


@pytest.mark.parametrize(
    ("exc", "code", "text"),
    [
        (
            wrapped(ksa.ConnectFailure(REFUSED)),
            Code.UNREACHABLE,
            "unreachable: http://127.0.0.1:5999/v3/auth/tokens (connection refused)",
        ),
        (ksa.ConnectTimeout("Request to http://127.0.0.1:5000/v3 timed out"), Code.TIMEOUT, "timed out"),
        (
            wrapped(ksa.Unauthorized("The request you have made requires authentication.")),
            Code.AUTH,
            "authentication failed (401)",
        ),
        (
            sdk.ForbiddenException("Policy doesn't allow get_network_quota", http_status=403),
            Code.FORBIDDEN,
            "forbidden (403)",
        ),
        (
            ksa.EndpointNotFound("public endpoint for compute service not found"),
            Code.NO_SERVICE,
            "not in the service catalog",
        ),
        (sdk.ConfigException("Cloud nope was not found."), Code.CONFIG, "Cloud nope was not found."),
        (sdk.HttpException("Internal Server Error", http_status=500), Code.HTTP, "HTTP 500"),
        (RuntimeError("boom"), Code.ERROR, "RuntimeError: boom"),
    ],
)
def test_sdk_failures_map_to_stable_codes(exc: BaseException, code: str, text: str) -> None:
    got_code, message = classify(exc)
    assert got_code == code
    assert text in message


def test_a_failed_call_names_cloud_service_and_call_on_one_line() -> None:
    def list_networks() -> list[str]:
        raise sdk.ForbiddenException("Policy doesn't allow\nget_network\n", http_status=403)

    with pytest.raises(CloudError) as caught:
        guarded("wardcloud-dev", "network", "list networks", list_networks)
    [line] = str(caught.value).splitlines()
    assert line == (
        "cloud wardcloud-dev: LIVE005 network list networks: forbidden (403): "
        "Policy doesn't allow get_network"
    )


@pytest.fixture()
def clouds_yaml(tmp_path: Path) -> Path:
    path = tmp_path / "clouds.yaml"
    path.write_text(
        "clouds:\n  closed-port:\n    auth:\n      auth_url: http://127.0.0.1:1/v3\n"
        "      username: admin\n      password: secret\n      project_name: admin\n"
        "      user_domain_name: Default\n      project_domain_name: Default\n"
        "    region_name: RegionOne\n"
    )
    return path


@pytest.mark.parametrize(
    "command",
    [["inventory"], ["drift", "--ward", "131130"], ["cost", "usage", "--period", "2026-11", "--out", "OUT"]],
)
def test_unreachable_cloud_fails_every_command_in_one_line(
    command: list[str], clouds_yaml: Path, tmp_path: Path
) -> None:
    out = tmp_path / "usage.csv"
    args = [str(out) if a == "OUT" else a for a in command]
    result = CliRunner().invoke(
        cli, [*args, "--cloud", "closed-port"], env={"OS_CLIENT_CONFIG_FILE": str(clouds_yaml)}
    )
    assert result.exit_code == 1
    assert result.stdout == ""
    [line] = result.stderr.splitlines()
    assert line.startswith(
        "cloud closed-port: LIVE002 identity authenticate: unreachable: http://127.0.0.1:1/v3"
    ), line
    assert "connection refused" in line
    assert not out.exists()


def test_unknown_cloud_names_the_entry(clouds_yaml: Path) -> None:
    result = CliRunner().invoke(
        cli, ["inventory", "--cloud", "nope"], env={"OS_CLIENT_CONFIG_FILE": str(clouds_yaml)}
    )
    assert (result.exit_code, result.stderr) == (
        1,
        "cloud nope: LIVE001 identity authenticate: bad cloud configuration: Cloud nope was not found.\n",
    )


def test_bad_period_and_unknown_ward_fail_before_touching_the_cloud(
    clouds_yaml: Path, tmp_path: Path
) -> None:
    env = {"OS_CLIENT_CONFIG_FILE": str(clouds_yaml)}
    usage = CliRunner().invoke(
        cli,
        ["cost", "usage", "--cloud", "closed-port", "--period", "2026-13", "--out", str(tmp_path / "u.csv")],
        env=env,
    )
    assert (usage.exit_code, usage.stderr) == (
        1,
        "--period: COST030 period '2026-13' is not a month YYYY-MM (e.g. 2023-07)\n",  # one code, every command
    )
    drift = CliRunner().invoke(
        cli, ["--tenants", "tenants/wards", "drift", "--cloud", "closed-port", "--ward", "999999"], env=env
    )
    assert drift.exit_code == 1
    # a code that is no ward's: the same problem on every command
    assert drift.stderr == "--ward: TEN020 code 999999 has a wrong check digit: expected 999997\n"

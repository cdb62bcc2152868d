"""`wardctl` imports a command's code only when that command runs."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import click

from tests.conftest import ROOT
from wardcloud.cli.main import COMMANDS, cli

EXAMPLES = ROOT / "cost_allocation" / "examples"

# Run wardctl in a fresh interpreter, then report which of these packages it had loaded.
PROBE = """
import json, os, sys
from wardcloud.cli.main import cli
try:
    cli.main(sys.argv[1:], prog_name="wardctl")
except SystemExit as exit:
    code = exit.code
watched = ("pulumi", "openstack", "openpyxl", "jinja2", "jsonschema", "infra", "policies", "reports", "live")
def top(name):
    parts = name.split(".")
    return parts[1] if parts[0] == "wardcloud" and len(parts) > 1 else parts[0]
loaded = sorted({top(name) for name in sys.modules} & set(watched))
if os.environ.get("WATCHED"):  # whole module names instead
    loaded = sorted(set(sys.modules) & set(os.environ["WATCHED"].split(",")))
print(json.dumps({"exit": code, "loaded": loaded}), file=sys.stderr)
"""


def loaded_by(args: list[str], state: Path, watched: tuple[str, ...] = ()) -> dict[str, object]:
    env = {**os.environ, "WARDCTL_STATE": str(state), "WARDCTL_AUDIT_LOG": str(state / "audit.jsonl"),
           "WATCHED": ",".join(watched)}
    done = subprocess.run(
        [sys.executable, "-c", PROBE, *args], cwd=ROOT, env=env, capture_output=True, text=True, check=False
    )
    return json.loads(done.stderr.strip().splitlines()[-1])  # type: ignore[no-any-return]


def test_every_listed_command_resolves_to_a_command_of_that_name() -> None:
    ctx = click.Context(cli)
    for name in COMMANDS:
        command = cli.get_command(ctx, name)
        assert isinstance(command, click.Command) and command.name == name, name
    assert cli.list_commands(ctx) == sorted(COMMANDS)


def test_cost_allocate_loads_no_cloud_policy_or_report_code(tmp_path: Path) -> None:
    args = ["cost", "allocate", "--bill", str(EXAMPLES / "bill-2023-07.csv"), "--rules",
            str(EXAMPLES / "rules.yaml"), "--usage", str(EXAMPLES / "usage-2023-07.csv"), "--period", "2023-07",
            "--out", str(tmp_path / "statement.json"), "--format", "json"]
    first = loaded_by(args, tmp_path / "state")
    assert first["exit"] == 0
    # the first run validates the tenant and rules files, and they are valid: jsonschema-rs says so, and
    # jsonschema, which only explains what is wrong, is not loaded; nor is anything else
    assert first["loaded"] == []
    again = loaded_by(args, tmp_path / "state")
    assert again == {"exit": 0, "loaded": []}


def test_audit_verify_loads_only_the_log_reader(tmp_path: Path) -> None:
    # verify's fixed cost is a share of its 2x-sha256sum budget: break-glass review, the recorder, shipping,
    # cryptography and the secrets module (random, hmac) load only for the commands that use them
    from wardcloud.audit.log import append
    from wardcloud.audit.record import Entry

    append(tmp_path / "state" / "audit.jsonl", [Entry(actor="a", command="backup run", argv=("wardctl",),
                                                      inputs={}, outcome="success", exit_code=None)])
    watched = ("wardcloud.audit.breakglass", "wardcloud.audit.recorder", "wardcloud.audit.ship",
               "wardcloud.audit.digest", "wardcloud.core.secrets", "cryptography", "secrets", "decimal", "fractions",
               "getpass")
    assert loaded_by(["audit", "verify"], tmp_path / "state", watched) == {"exit": 0, "loaded": []}
    assert loaded_by(["audit", "log"], tmp_path / "state", watched)["loaded"] == ["wardcloud.audit.breakglass"]


def test_help_lists_every_command(wardctl) -> None:
    result = wardctl("--help")
    assert result.exit_code == 0
    listed = [line.split()[0] for line in result.output.split("Commands:")[1].splitlines() if line.strip()]
    assert listed == sorted(COMMANDS)


def test_help_lists_every_command_with_its_own_help_yet_imports_none(tmp_path: Path) -> None:
    from wardcloud.cli.main import SHORT_HELP

    ctx = click.Context(cli)
    for name in COMMANDS:  # the static text is the command's own first paragraph, word for word
        command = cli.get_command(ctx, name)
        assert command is not None and (command.help or "").split("\n\n")[0].strip() == SHORT_HELP[name], name
    listing = loaded_by(["--help"], tmp_path / "state")
    assert listing == {"exit": 0, "loaded": []}
    help_text = subprocess.run([sys.executable, "-m", "wardcloud.cli", "--help"], cwd=ROOT, capture_output=True,
                               text=True, check=True).stdout
    assert re.search(r"^  validate +Validate tenant files \(default: the --tenants directory\)\.$", help_text, re.M)
    assert re.search(r"^  audit +Tamper-evident audit log:", help_text, re.M)


def test_help_hashes_nothing_and_loads_no_code_of_ours_beyond_the_group() -> None:
    # the error reporting (json, dataclasses, the problem types, secret masking) is loaded only on failure
    probe = (
        "import sys\nfrom wardcloud.cli.main import cli\n"
        "try:\n    cli.main(['--help'], prog_name='wardctl')\nexcept SystemExit:\n    pass\n"
        "watched = ('hashlib', 'mmap', 'json', 'dataclasses', 'pathlib', 'wardcloud.audit', 'wardcloud.core',\n"
        "           'wardcloud.cli.context', 'wardcloud.cli.output')\n"
        "print(sorted(m for m in watched if m in sys.modules), file=sys.stderr)\n"
    )
    done = subprocess.run([sys.executable, "-c", probe], cwd=ROOT, capture_output=True, text=True, check=True)
    assert done.stderr.strip().splitlines()[-1] == "[]"

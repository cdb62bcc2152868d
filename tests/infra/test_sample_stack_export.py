"""The shipped sample `pulumi stack export` lets a new user see `plan` diff offline, without a cloud."""

from __future__ import annotations

import shutil
from pathlib import Path

from click.testing import CliRunner, Result

from tests.conftest import BUNDLED_WARDS, ROOT
from wardcloud.cli.main import cli

SAMPLE = ROOT / "infra" / "examples" / "ward-131130.stack-export.json"


def wardctl(tenants: Path, state: Path, *args: str) -> Result:
    return CliRunner().invoke(cli, ["--tenants", str(tenants), "--state", str(state), *args])


def test_the_sample_export_matches_the_bundled_file_and_a_quota_edit_shows_an_update(tmp_path: Path) -> None:
    wards, state = tmp_path / "wards", tmp_path / "state"
    shutil.copytree(BUNDLED_WARDS, wards)
    imported = wardctl(wards, state, "state", "import", "--stack", "ward-131130", str(SAMPLE))
    assert imported.exit_code == 0, imported.output

    unchanged = wardctl(wards, state, "plan", "--ward", "131130")
    assert unchanged.exit_code == 0, unchanged.output  # else: scripts/sample_stack_export.py regenerates it
    assert "ward-131130: no changes" in unchanged.output

    shibuya = wards / "131130-shibuya.yaml"
    text = shibuya.read_text(encoding="utf-8")
    assert "  cores: 80\n" in text
    shibuya.write_text(text.replace("  cores: 80\n", "  cores: 96\n"), encoding="utf-8")
    edited = wardctl(wards, state, "plan", "--ward", "131130")
    assert edited.exit_code == 2, edited.output
    assert "  ~ update 131130-compute-quota (openstack:compute/quotaSetV2:QuotaSetV2)  changed: cores" in edited.output
    assert "Plan: 0 to create, 1 to update, 0 to delete." in edited.output

"""The installed distribution: one top-level name, and a wheel that works away from the checkout."""

from __future__ import annotations

import os
import subprocess
import sys
import sysconfig
from importlib import metadata
from pathlib import Path

import pytest
import yaml

from tests.conftest import ROOT

TENANTS = ROOT / "tenants" / "wards"
EXAMPLES = ROOT / "cost_allocation" / "examples"


def top_level_names(files: list[str]) -> set[str]:
    """The first path part of every installed file, less the metadata folder and scripts."""
    names = {Path(file).parts[0] for file in files}
    return {n for n in names if not n.endswith(".dist-info") and n not in {"..", "__pycache__"}}


def test_installed_distribution_owns_only_the_wardcloud_name() -> None:
    distribution = metadata.distribution("wardcloud")
    assert (distribution.read_text("top_level.txt") or "").split() == ["wardcloud"]
    assert [ep.value for ep in distribution.entry_points if ep.name == "wardctl"] == ["wardcloud.cli.main:main"]


def test_python_start_up_in_the_venv_loads_no_import_hook_of_ours() -> None:
    # src layout: an editable install is a path line in a .pth; the import hook setuptools writes for a flat
    # layout cost every Python start in the venv ~25 ms (bench/startup.py)
    code = "import sys; print(sorted(m for m in sys.modules if 'editable' in m or m.startswith('wardcloud')))"
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd="/", check=True)
    assert done.stdout.strip() == "[]"


@pytest.mark.parametrize("name", ["cli", "infra", "audit", "live", "policies", "reports", "tenants", "cost_allocation"])
def test_a_design_folder_is_not_importable_under_its_bare_name(name: str) -> None:
    # from the checkout's root, where the folder is on sys.path, the bare name must still refuse
    done = subprocess.run([sys.executable, "-c", f"import {name}"], cwd=ROOT, capture_output=True, text=True)
    assert done.returncode == 1 and f"import wardcloud.{name}" in done.stderr


@pytest.fixture(scope="module")
def wheel_venv(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A fresh venv outside the repository holding only the built wheel (dependencies read from ours)."""
    work = tmp_path_factory.mktemp("wheel")
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "-w", str(work / "dist"), str(ROOT)],
        check=True, capture_output=True,
    )
    venv = work / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True)
    site = Path(sysconfig.get_paths(vars={"base": str(venv), "platbase": str(venv)})["purelib"])
    # Our dependencies, as a plain path: a .pth line adds the folder but runs none of its .pth files, so the
    # editable install of the checkout stays out.
    (site / "deps.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    wheel = next((work / "dist").glob("wardcloud-*.whl"))
    subprocess.run(
        [sys.executable, "-m", "pip", "--python", str(venv / "bin" / "python"), "install", "-q", "--no-deps",
         str(wheel)],
        check=True, capture_output=True,
    )
    return venv


def run_in(venv: Path, cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k not in {"PYTHONPATH", "WARDCTL_TENANTS", "WARDCTL_STATE"}}
    env["WARDCTL_STATE"] = str(cwd / "state")
    return subprocess.run([str(venv / "bin" / "wardctl"), *args], cwd=cwd, env=env, capture_output=True, text=True)


def test_wheel_runs_validate_plan_and_report_outside_the_checkout(wheel_venv: Path, tmp_path: Path) -> None:
    python = wheel_venv / "bin" / "python"
    where = subprocess.run(
        [str(python), "-c", "import wardcloud.infra, wardcloud.reports; print(wardcloud.infra.__file__)"],
        cwd=tmp_path, capture_output=True, text=True, check=True,
    ).stdout.strip()
    infra = Path(where).parent
    assert str(wheel_venv) in where and not Path(where).resolve().is_relative_to(ROOT)
    # everything the program reads at run time travelled with it
    for name in ("Pulumi.yaml", "../policies/PulumiPolicy.yaml", "../tenants/schema/ward-tenant.schema.json",
                 "../reports/templates/report.html.j2", "../policies/config.yaml"):
        assert (infra / name).is_file(), name
    runtime = yaml.safe_load((infra / "Pulumi.yaml").read_text())["runtime"]
    assert runtime == {"name": "python"}  # no virtualenv path that only exists in a checkout

    valid = run_in(wheel_venv, tmp_path, "--tenants", str(TENANTS), "validate")
    assert valid.returncode == 0 and "23 tenant files valid" in valid.stdout, valid.stderr
    plan = run_in(wheel_venv, tmp_path, "--tenants", str(TENANTS), "plan", "--ward", "131130")
    assert plan.returncode == 2 and "ward-131130" in plan.stdout, plan.stderr
    report = run_in(
        wheel_venv, tmp_path, "--tenants", str(TENANTS), "report", "--period", "2023-07",
        "--bill", str(EXAMPLES / "bill-2023-07.csv"), "--rules", str(EXAMPLES / "rules.yaml"),
        "--out", str(tmp_path / "report.html"),
    )
    assert report.returncode == 0, report.stderr
    assert "<html" in (tmp_path / "report.html").read_text(encoding="utf-8")[:500].lower()
    bare = subprocess.run([str(python), "-c", "import cli"], cwd=tmp_path, capture_output=True, text=True)
    assert bare.returncode == 1 and "No module named 'cli'" in bare.stderr

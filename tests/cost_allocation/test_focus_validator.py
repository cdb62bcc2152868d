"""The sample bill is a complete FOCUS 1.0 dataset: the FinOps Foundation's own validator passes it.

focus-validator 1.0.0 pins old pandas/pandera, so it lives in its own virtualenv under pytest's cache
(created once, reused), never in the project's dependencies. No install, no test: skipped with the reason.
"""

from __future__ import annotations

import subprocess
import sys
import venv
from pathlib import Path

import pytest

from tests.cost_allocation.helpers import EXAMPLES, REPO

# pandera 0.17 (pinned by focus-validator 1.0.0) imports multimethod.overload, gone from multimethod 2
REQUIREMENTS = ["focus-validator==1.0.0", "multimethod<1.11"]


def validator_venv(root: Path) -> Path:
    """The validator's virtualenv: reused when it already works, else (re)built."""
    python = root / "bin" / "python"
    probe = [str(python), "-c", "import focus_validator.main"]
    if python.exists() and subprocess.run(probe, capture_output=True, timeout=120).returncode == 0:
        return root
    venv.EnvBuilder(with_pip=True, clear=True).create(root)
    install = subprocess.run(
        [str(python), "-m", "pip", "install", "-q", *REQUIREMENTS],
        capture_output=True,
        text=True,
        timeout=900,
    )
    if install.returncode != 0 or subprocess.run(probe, capture_output=True, timeout=120).returncode != 0:
        pytest.skip(f"focus-validator 1.0.0 cannot be installed here: {install.stderr.strip()[-300:]}")
    return root


@pytest.fixture(scope="session")
def focus_validator(request: pytest.FixtureRequest) -> Path:
    cache = request.config.cache  # None under -p no:cacheprovider: then the gitignored .venv-focus
    return validator_venv(Path(cache.mkdir("focus-validator-venv")) if cache else REPO / ".venv-focus")


def run_validator(root: Path, data: Path) -> subprocess.CompletedProcess[str]:
    site = next((root / "lib").glob("python3*/site-packages"))
    # it opens its currency-code table by a path relative to site-packages, so run it from there
    return subprocess.run(
        [str(root / "bin" / "focus-validator"), "--data-file", str(data), "--validate-version", "1.0"],
        cwd=site,
        capture_output=True,
        text=True,
        timeout=600,
    )


@pytest.mark.skipif(sys.platform == "win32", reason="venv layout differs on Windows")
def test_sample_bill_passes_the_focus_1_0_validator(focus_validator: Path, tmp_path: Path) -> None:
    result = run_validator(focus_validator, EXAMPLES / "bill-2023-07.csv")
    assert result.returncode == 0 and "Validation succeeded" in result.stdout, result.stdout[-2000:]
    # and the validator does reject a bill missing a required column, so passing means something
    broken = tmp_path / "broken.csv"
    lines = (EXAMPLES / "bill-2023-07.csv").read_text(encoding="utf-8").splitlines()
    header = lines[0].split(",")
    drop = header.index("BillingAccountId")
    broken.write_text(
        "\n".join(",".join(c for i, c in enumerate(line.split(",")) if i != drop) for line in lines[:5])
        + "\n",
        encoding="utf-8",
    )
    assert "Validation succeeded" not in run_validator(focus_validator, broken).stdout

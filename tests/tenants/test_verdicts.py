"""Verdicts: files whose exact bytes passed validation are not validated again; anything else is."""

from __future__ import annotations

from pathlib import Path

from tests.tenants.test_validate_cli import edit, shibuya
from wardcloud.core.verdicts import Verdicts, source_digest
from wardcloud.tenants.validate import _checker

EXAMPLES = Path(__file__).resolve().parents[2] / "cost_allocation" / "examples"


def markers(state: Path) -> list[Path]:
    root = state / "cache" / "verdicts"
    return sorted(p for p in root.rglob("*") if p.is_file()) if root.exists() else []


def test_a_pass_is_remembered_and_an_edit_is_validated_again(wardctl, wards_dir: Path, tmp_path: Path) -> None:
    listed = wardctl("--tenants", str(wards_dir), "tenant", "list")
    remembered = markers(tmp_path / "state")
    edit(shibuya(wards_dir), "cidr: 10.", "cidr: 10.999.")
    relisted = wardctl("--tenants", str(wards_dir), "tenant", "list")

    assert listed.exit_code == 0 and len(remembered) == 1
    assert relisted.exit_code == 1 and "131130-shibuya.yaml" in relisted.output and "TEN" in relisted.output
    assert markers(tmp_path / "state") == remembered  # a failure is never remembered


def test_validate_never_trusts_a_remembered_pass(wardctl, wards_dir: Path, tmp_path: Path) -> None:
    edit(shibuya(wards_dir), "cidr: 10.", "cidr: 10.999.")
    # a pass planted for exactly these (invalid) bytes, as a tampered cache would hold
    contents = [(p.name, p.read_bytes()) for p in sorted(wards_dir.glob("*.yaml"))]
    Verdicts(tmp_path / "state" / "cache" / "verdicts").remember_pass(
        Verdicts(None).key("tenants", _checker(), contents)
    )
    result = wardctl("--tenants", str(wards_dir), "validate")
    assert result.exit_code == 1 and "131130-shibuya.yaml" in result.output


def test_rules_that_passed_and_then_changed_are_validated_again(wardctl, tmp_path: Path) -> None:
    rules = tmp_path / "rules.yaml"
    rules.write_text((EXAMPLES / "rules.yaml").read_text(encoding="utf-8"), encoding="utf-8")
    args = ["cost", "allocate", "--bill", str(EXAMPLES / "bill-2023-07.csv"), "--rules", str(rules),
            "--usage", str(EXAMPLES / "usage-2023-07.csv"), "--period", "2023-07"]
    passed = wardctl(*args)
    rules.write_text(rules.read_text(encoding="utf-8").replace("currency: JPY", "currency: yen"), encoding="utf-8")
    changed = wardctl(*args)
    assert passed.exit_code == 0
    assert changed.exit_code == 1 and "rules.yaml" in changed.output and "currency" in changed.output


def test_a_cache_that_cannot_be_written_only_costs_speed(wardctl, tmp_path: Path) -> None:
    state = tmp_path / "state"
    state.mkdir()
    (state / "cache").write_text("not a directory", encoding="utf-8")
    result = wardctl("tenant", "list")
    assert result.exit_code == 0 and "131130" in result.output


def test_the_key_covers_the_checker_the_names_and_the_bytes(tmp_path: Path) -> None:
    verdicts = Verdicts(tmp_path)
    base = verdicts.key("tenants", b"checker", [("a.yaml", b"x: 1\n")])
    assert len({
        base,
        verdicts.key("rules", b"checker", [("a.yaml", b"x: 1\n")]),
        verdicts.key("tenants", b"checker 2", [("a.yaml", b"x: 1\n")]),
        verdicts.key("tenants", b"checker", [("b.yaml", b"x: 1\n")]),
        verdicts.key("tenants", b"checker", [("a.yaml", b"x: 2\n")]),
        verdicts.key("tenants", b"checker", [("a.yaml", b"x"), (": 1\n", b"")]),
    }) == 6
    assert not verdicts.passed(base)
    verdicts.remember_pass(base)
    assert verdicts.passed(base)


def test_the_checker_fingerprint_follows_the_code(tmp_path: Path) -> None:
    module = tmp_path / "check.py"
    module.write_text("LIMIT = 1\n", encoding="utf-8")
    before = source_digest([module])
    module.write_text("LIMIT = 2\n", encoding="utf-8")
    assert source_digest([module]) != before

"""A waiver counts only when a security signer from outside the benefiting ward signed it."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.governance.conftest import key
from tests.policies.conftest import ward_dir  # noqa: F401 - fixture
from tests.policies.test_policy_cli import WAIVER, check_json, run, waived


@pytest.fixture
def enforced(gov: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("WARDCTL_GOVERNANCE", str(gov))
    return gov


def sign(directory: Path, gov: Path, who: str):
    return run("--tenants", str(directory), "approve", "--waiver", "131016:NET-010", "--governance", str(gov),
               "--key", key(gov, who))


def net010(payload):
    [violation] = [v for v in payload["violations"] if v["policy"] == "NET-010"]
    return violation


def test_unsigned_waiver_does_not_count_and_check_says_why(ward_dir, enforced):  # noqa: F811
    directory = ward_dir(waived(WAIVER))
    code, payload = check_json(directory, "--date", "2026-12-01")
    assert code == 1
    violation = net010(payload)
    assert violation["waived"] is False and violation["waiver"]["status"] == "unsigned"
    assert violation["waiver"]["reason"].startswith("unsigned: no ")
    text = run("--tenants", str(directory), "policy", "check", "--spec-only", "--date", "2026-12-01").stdout
    assert "waiver by CISO Tanaka does NOT count: unsigned" in text


def test_security_signer_from_another_ward_makes_it_count(ward_dir, enforced):  # noqa: F811
    directory = ward_dir(waived(WAIVER))
    signed = sign(directory, enforced, "sec")
    assert signed.exit_code == 0, signed.output
    assert (enforced / "waivers" / "131016-NET-010.sig").exists()
    code, payload = check_json(directory, "--date", "2026-12-01")
    assert code == 0 and net010(payload)["waived"] is True


def test_wrong_signers_are_refused_and_a_planted_signature_does_not_count(ward_dir, enforced, tmp_path):  # noqa: F811
    directory = ward_dir(waived(WAIVER))
    for who in ("plat", "chiyoda", "chiyoda-sec"):  # not security; the benefiting ward's own people
        assert sign(directory, enforced, who).exit_code == 1
    # a ward that writes the signature file itself, with its own keys, gains nothing
    from wardcloud.audit.keys import SigningKey
    from wardcloud.policies.waivers import load_trust, sign_waiver
    from wardcloud.tenants.validate import load_tenants

    tenant = load_tenants(directory)[0]
    for who in ("chiyoda", "chiyoda-sec"):
        own = SigningKey.load(Path(key(enforced, who)))
        sign_waiver(load_trust(enforced), tenant, 0, lambda payload, k=own: k.sign("wardcloud-waiver", payload))
    code, payload = check_json(directory, "--date", "2026-12-01")
    assert code == 1
    reason = net010(payload)["waiver"]["reason"]
    assert "chiyoda@test, who is not a security signer" in reason
    assert "chiyoda-sec@test of ward 131016 itself" in reason


def test_editing_a_signed_waiver_voids_it(ward_dir, enforced):  # noqa: F811
    directory = ward_dir(waived(WAIVER))
    assert sign(directory, enforced, "sec").exit_code == 0
    later = ward_dir(waived({**WAIVER, "expires": "2027-12-31"}))  # the ward extends its own waiver
    code, payload = check_json(later, "--date", "2026-12-01")
    assert code == 1 and "does not verify" in net010(payload)["waiver"]["reason"]

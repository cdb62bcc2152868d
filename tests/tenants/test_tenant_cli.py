"""`wardctl tenant new` and `wardctl tenant list` on real directories."""

from __future__ import annotations

import json
from ipaddress import IPv4Network
from pathlib import Path

from wardcloud.tenants.validate import load_tenants


def test_new_scaffolds_a_valid_file_with_the_next_free_blocks(wardctl, wards_dir):
    (wards_dir / "131130-shibuya.yaml").unlink()
    result = wardctl("--tenants", str(wards_dir), "tenant", "new", "131130", "--joined", "2024-05-01")
    assert result.exit_code == 0, result.output
    assert wardctl("validate", str(wards_dir)).exit_code == 0
    shibuya = next(t for t in load_tenants(wards_dir) if t.code == "131130")
    assert shibuya.membership.joined.isoformat() == "2024-05-01"
    # 10.13.0.0/16 was freed by the deletion and is the first block no ward or the platform uses
    assert [str(s.cidr) for s in shibuya.segments] == ["10.13.0.0/20", "10.13.16.0/20", "10.13.32.0/20"]
    assert (wards_dir / "131130-shibuya.yaml").read_text(encoding="utf-8").startswith(
        "# yaml-language-server: $schema=")


def test_new_in_an_empty_directory_skips_the_reserved_platform_block(wardctl, tmp_path):
    target = tmp_path / "fresh"
    assert wardctl("--tenants", str(target), "tenant", "new", "131016").exit_code == 0
    [chiyoda] = load_tenants(target)
    assert not any(s.cidr.overlaps(IPv4Network("10.0.0.0/16")) for s in chiyoda.segments)
    assert str(chiyoda.segment("mynumber").cidr) == "10.1.0.0/20"


def test_new_refuses_an_existing_file(wardctl, wards_dir):
    before = (wards_dir / "131130-shibuya.yaml").read_bytes()
    result = wardctl("--tenants", str(wards_dir), "tenant", "new", "131130")
    assert result.exit_code == 1
    assert result.stderr == f"{wards_dir / '131130-shibuya.yaml'}: TEN022 already exists; edit it instead\n"
    assert (wards_dir / "131130-shibuya.yaml").read_bytes() == before


def test_new_rejects_a_code_that_is_not_a_ward(wardctl, tmp_path):
    result = wardctl("--tenants", str(tmp_path), "tenant", "new", "132012")  # 八王子市: a city, not a ward
    assert result.exit_code == 1
    assert result.stderr.startswith("132012: TEN024 132012 is not a ward of the 23 (their codes: 131016, ")
    assert list(tmp_path.iterdir()) == []


def test_new_with_a_wrong_check_digit_says_so_in_file_code_form(wardctl, tmp_path):
    result = wardctl("--tenants", str(tmp_path), "tenant", "new", "131131")
    assert result.exit_code == 1
    assert result.stderr == "131131: TEN020 code 131131 has a wrong check digit: expected 131130 (渋谷区 Shibuya)\n"
    assert list(tmp_path.iterdir()) == []


def test_new_refusal_is_json_under_format_json_of_the_same_code(wardctl, tmp_path):
    result = wardctl("--tenants", str(tmp_path), "tenant", "new", "131131", "--format", "json")
    assert result.exit_code == 1
    assert json.loads(result.stdout)["errors"][0]["code"] == "TEN020"


def test_list_json_has_every_ward_with_segments(wardctl):
    result = wardctl("tenant", "list", "--format", "json")
    rows = json.loads(result.stdout)["tenants"]
    assert len(rows) == 23
    shibuya = next(r for r in rows if r["code"] == "131130")
    assert shibuya == {"code": "131130", "name": "渋谷区", "name_en": "Shibuya", "population": 229671,
                       "joined": "2021-04-01", "left": None,
                       "segments": {"mynumber": "10.13.0.0/20", "lgwan": "10.13.16.0/20",
                                    "internet": "10.13.32.0/20"}}


def test_list_text_is_a_table_with_every_ward(wardctl):
    result = wardctl("tenant", "list")
    assert result.exit_code == 0
    for name in ("千代田区", "Edogawa", "10.23.32.0/20", "917,486"):
        assert name in result.stdout


def test_list_on_invalid_tenants_fails_with_located_errors(wardctl, wards_dir):
    path = wards_dir / "131130-shibuya.yaml"
    path.write_text(path.read_text(encoding="utf-8").replace("cores: 80", "cores: -2"), encoding="utf-8")
    result = wardctl("--tenants", str(wards_dir), "tenant", "list")
    assert result.exit_code == 1
    assert Path(result.stderr.split(":")[0]).name == "131130-shibuya.yaml"

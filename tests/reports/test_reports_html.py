"""The HTML report as text: self-contained, escaped, every ward and total present."""

from __future__ import annotations

import re
from html import unescape
from pathlib import Path
from typing import Any

from wardcloud.cost_allocation.model import Statement
from wardcloud.reports.html import Report, render_html, write_html
from wardcloud.reports.model import WardInfo
from wardcloud.reports.status import policy_status


def _report(allocation_json: dict[str, Any], wards: dict[str, WardInfo], **extra: Any) -> Report:
    return Report(Statement.from_json(allocation_json), wards, "2026-11-01T00:00:00Z", **extra)


def test_report_fetches_nothing_a_strict_csp_and_no_urls(
    allocation_json: dict[str, Any], wards: dict[str, WardInfo]
) -> None:
    html = render_html(_report(allocation_json, wards))
    meta = re.search(r'<meta http-equiv="Content-Security-Policy" content="([^"]*)">', html)
    assert meta and unescape(meta.group(1)).startswith("default-src 'none'; style-src 'unsafe-inline';")
    assert not re.search(r"(https?:)?//[a-z0-9]", html, re.I)
    assert "<script" not in html and "<link" not in html and "@import" not in html
    assert html.count("<svg") >= 3


def test_every_ward_with_japanese_and_english_name_and_total(
    allocation_json: dict[str, Any], wards: dict[str, WardInfo]
) -> None:
    html = render_html(_report(allocation_json, wards))
    for ward in allocation_json["wards"]:
        info = wards[ward["code"]]
        assert f"{info.name} {info.name_en}" in html
        assert f'data-ward="{ward["code"]}" data-total="{ward["total"]}"' in html
        assert f"¥{ward['total']:,}" in html
    assert f'id="consortium-total" data-yen="{allocation_json["total"]}"' in html


def test_ward_text_is_escaped(allocation_json: dict[str, Any], wards: dict[str, WardInfo]) -> None:
    allocation_json["wards"][0]["lines"][0]["description"] = "<script>alert(1)</script>"
    html = render_html(_report(allocation_json, wards))
    assert "<script>alert(1)" not in html and "&lt;script&gt;alert(1)" in html


def test_policy_and_month_over_month_sections_only_when_given(
    allocation_json: dict[str, Any],
    previous_json: dict[str, Any],
    policy_json: dict[str, Any],
    wards: dict[str, WardInfo],
    tmp_path: Path,
) -> None:
    plain = render_html(_report(allocation_json, wards))
    assert 'id="policy"' not in plain and 'id="changes"' not in plain
    status = policy_status(policy_json, wards)
    out = tmp_path / "report.html"
    write_html(_report(allocation_json, wards, policy=status, previous=Statement.from_json(previous_json)), out)
    html = out.read_text(encoding="utf-8")
    assert 'data-ward="131032" data-status="violation"' in html
    assert 'data-ward="131121" data-status="waived"' in html
    assert 'data-ward="131041" data-status="advisory"' in html
    assert 'data-ward="131016" data-status="pass"' in html
    change = allocation_json["total"] - previous_json["total"]
    assert f'id="consortium-change" data-yen="{change}"' in html
    assert "新規加入 / joined" in html


def test_statement_lines_explain_drivers_days_and_cap(
    allocation_json: dict[str, Any], wards: dict[str, WardInfo]
) -> None:
    setagaya = next(w for w in allocation_json["wards"] if w["code"] == "131121")
    line = next(x for x in setagaya["lines"] if x.get("pool") == "platform-population")
    line.update(
        {
            "capped": True,
            "share_before_cap": 0.1,
            "share": 0.09,
            "cap_adjustment": -0.01,
            "participation": {"days": 15, "of": 31, "fraction": 0.4839},
        }
    )
    html = render_html(_report(allocation_json, wards))
    assert "上限調整 cap 10% → 9% (-¥480,000)" in html
    assert "参加日数 days 15/31" in html
    assert "人口割 / population ×1" in html and "均等割 / equal ×1" in html
    assert "加入負担金還付 / buy-in refund" in html

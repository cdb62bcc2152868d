"""The HTML report opened in real headless Chromium: wards, totals to the yen, charts drawn, no requests."""

from __future__ import annotations

import os
import re
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from cdp_browser import Browser, find_chromium

from wardcloud.cost_allocation.model import Statement
from wardcloud.reports.html import Report, write_html
from wardcloud.reports.model import WardInfo
from wardcloud.reports.status import policy_status

CHROMIUM = find_chromium()
pytestmark = pytest.mark.skipif(
    CHROMIUM is None, reason="chromium not installed (apt-get install chromium; .ci/prepare.d/20-chromium.sh)"
)


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    assert CHROMIUM is not None
    with Browser(CHROMIUM) as instance:
        instance.send("Log.enable")
        yield instance


def _yen(text: str) -> int:
    match = re.fullmatch(r"\s*([+-]?)¥([\d,]+)\s*", text)
    assert match, text
    return (-1 if match.group(1) == "-" else 1) * int(match.group(2).replace(",", ""))


def test_report_in_chromium_shows_every_ward_and_totals_to_the_yen(
    browser: Browser,
    tmp_path: Path,
    allocation_json: dict[str, Any],
    previous_json: dict[str, Any],
    policy_json: dict[str, Any],
    wards: dict[str, WardInfo],
) -> None:
    out = tmp_path / "report.html"
    report = Report(
        Statement.from_json(allocation_json),
        wards,
        "2026-11-01T00:00:00Z",
        policy=policy_status(policy_json, wards),
        previous=Statement.from_json(previous_json),
    )
    write_html(report, out)

    browser.open(out.as_uri())

    # no request left the page: the document is the only thing loaded, and nothing was blocked either
    assert browser.requested_urls == [out.as_uri()]
    assert not [e for e in browser.console_errors if "Content Security Policy" in e]
    assert browser.evaluate("performance.getEntriesByType('resource').length") == 0

    # every ward: summary row, statement section, and the total as the reader sees it
    rows = browser.evaluate("""[...document.querySelectorAll('#summary tbody tr[data-ward]')].map(r => ({
        code: r.dataset.ward, label: r.cells[1].innerText, total: r.cells[5].innerText}))""")
    expected = {w["code"]: w["total"] for w in allocation_json["wards"]}
    assert {r["code"]: _yen(r["total"]) for r in rows} == expected
    for r in rows:
        assert r["label"] == f"{wards[r['code']].name} {wards[r['code']].name_en}"
    sections = browser.evaluate("""[...document.querySelectorAll('section.ward')].map(s => [s.dataset.ward,
        s.querySelector('.ward-total').innerText,
        [...s.querySelectorAll('tr.line td:last-child')].map(td => td.innerText)])""")
    assert {code: _yen(total) for code, total, _ in sections} == expected
    for code, total, lines in sections:
        assert sum(_yen(t) for t in lines) == _yen(total), code
    assert _yen(browser.evaluate("document.getElementById('consortium-total').innerText")) == allocation_json["total"]
    assert _yen(browser.evaluate("document.getElementById('summary-total').innerText")) == allocation_json["total"]
    assert [r["code"] for r in rows] == sorted(expected, key=lambda c: (-expected[c], c))  # sorted bar order

    # policy status and month-over-month made it to the page
    statuses = browser.evaluate(
        "Object.fromEntries([...document.querySelectorAll('#policy tr[data-ward]')].map(r => [r.dataset.ward,"
        " r.dataset.status]))"
    )
    assert statuses["131032"] == "violation" and statuses["131121"] == "waived"
    assert len(statuses) == 24 and statuses["platform"] == "pass"  # 23 wards and the platform stack
    changes = browser.evaluate(
        "[...document.querySelectorAll('#changes tr[data-ward]')].map(r => [r.dataset.ward, r.cells[3].innerText])"
    )
    previous = {w["code"]: w["total"] for w in previous_json["wards"]}
    for code, text in changes:
        assert _yen(text.splitlines()[0]) == expected.get(code, 0) - previous.get(code, 0)


def test_every_chart_rendered_with_nonzero_size_for_every_ward(
    browser: Browser,
    tmp_path: Path,
    allocation_json: dict[str, Any],
    previous_json: dict[str, Any],
    wards: dict[str, WardInfo],
) -> None:
    out = tmp_path / "report.html"
    write_html(
        Report(
            Statement.from_json(allocation_json),
            wards,
            "2026-11-01T00:00:00Z",
            previous=Statement.from_json(previous_json),
        ),
        out,
    )
    browser.open(out.as_uri())

    charts = browser.evaluate("""[...document.querySelectorAll('svg.chart')].map(svg => {
        const box = svg.getBoundingClientRect();
        const wards = {};
        for (const el of svg.querySelectorAll('rect[data-ward]')) {
            const r = el.getBoundingClientRect();
            if (r.width > 0 && r.height > 0) wards[el.dataset.ward] = (wards[el.dataset.ward] || 0) + 1;
        }
        return {chart: svg.dataset.chart, width: box.width, height: box.height, wards};
    })""")
    by_name = {c["chart"]: c for c in charts}
    assert set(by_name) == {"totals", "shares", "pools", "change"}
    codes = {w["code"] for w in allocation_json["wards"]}
    for chart in charts:
        assert chart["width"] > 300 and chart["height"] > 23 * 15, chart["chart"]
        assert set(chart["wards"]) == codes, chart["chart"]
    assert by_name["shares"]["wards"]["131016"] == 2  # bill share and population share bars
    # the pool chart stacks one segment per non-zero component: Chiyoda has direct, two pools and a buy-in
    assert by_name["pools"]["wards"]["131016"] == 4

    shot = tmp_path / "report.png"
    browser.screenshot(shot)
    assert shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and shot.stat().st_size > 50_000
    keep = os.environ.get("WARDCTL_SCREENSHOTS")  # CI can keep the screenshot for a person to look at
    if keep:
        Path(keep).mkdir(parents=True, exist_ok=True)
        shutil.copy(shot, Path(keep) / "report.png")


def test_network_log_would_catch_a_page_that_fetches(browser: Browser, tmp_path: Path) -> None:
    # the detector itself works: a page without our CSP that loads an image is seen asking for it
    page = tmp_path / "leaky.html"
    page.write_text('<!DOCTYPE html><img src="http://127.0.0.1:9/pixel.png">', encoding="utf-8")
    browser.open(page.as_uri())
    assert "http://127.0.0.1:9/pixel.png" in browser.requested_urls

"""The self-contained HTML report: inline CSS and SVG, no script, no network (a strict CSP says so)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape

from wardcloud.core.files import write_atomic
from wardcloud.cost_allocation.model import Statement
from wardcloud.reports import charts
from wardcloud.reports.compare import ChangeDriver, Comparison, compare
from wardcloud.reports.lines import basis, describe, kind_label
from wardcloud.reports.model import InputFile, WardInfo
from wardcloud.reports.shares import explain_shares, main_reasons
from wardcloud.reports.status import STATUS_LABELS, UnreviewedBreakGlass, WardPolicyStatus

# Nothing may load: no script, no fonts, no images from anywhere; styles only inline.
CSP = "default-src 'none'; style-src 'unsafe-inline'; img-src data:; base-uri 'none'; form-action 'none'"


# Policy table order: wards that need attention first.
_STATUS_RANK = {"violation": 3, "advisory": 2, "waived": 1, "pass": 0}


@dataclass(frozen=True)
class Report:
    """Everything one monthly report shows."""

    allocation: Statement
    wards: Mapping[str, WardInfo]
    generated_at: str
    inputs: tuple[InputFile, ...] = ()
    policy: Mapping[str, WardPolicyStatus] | None = None
    previous: Statement | None = None
    break_glass: tuple[UnreviewedBreakGlass, ...] = ()  # from the same policy result as `policy`


def ward_label(code: str, wards: Mapping[str, WardInfo], fallback: str = "") -> str:
    """`千代田区 Chiyoda` (Japanese and English name), or the code when the ward is unknown."""
    info = wards.get(code)
    if info is None:
        return fallback or code
    return f"{info.name} {info.name_en}".strip()


def _series(allocation: Statement) -> list[charts.Series]:
    series = [charts.Series("direct", "直接利用 / direct", charts.PALETTE[0])]
    for i, pool in enumerate(allocation.pools):
        series.append(
            charts.Series(f"pool:{pool.id}", f"プール / {pool.id}", charts.PALETTE[1 + i % (len(charts.PALETTE) - 2)])
        )
    series.append(charts.Series("other", "その他共有 / other shared", "#999999"))
    series.append(charts.Series("buy_in", "加入負担金 / buy-in", charts.PALETTE[-1]))
    return series


def _stack(allocation: Statement, code: str) -> list[int]:
    ward = allocation.ward(code)
    assert ward is not None
    pooled = [pool.amount_for(code) for pool in allocation.pools]
    return [ward.direct, *pooled, ward.shared - sum(pooled), ward.buy_in]


def render_html(report: Report) -> str:
    """The report as one HTML document (UTF-8 text)."""
    allocation, wards = report.allocation, report.wards
    by_total = sorted(allocation.wards, key=lambda w: (-w.total, w.code))
    labels = {w.code: ward_label(w.code, wards, w.name) for w in allocation.wards}
    explanations = {e.code: e for e in explain_shares(allocation, dict(wards))}
    series = _series(allocation)
    stacks = {w.code: _stack(allocation, w.code) for w in allocation.wards}
    used = [i for i in range(len(series)) if any(stacks[c][i] for c in stacks)]
    comparison: Comparison | None = compare(allocation, report.previous) if report.previous else None
    change_labels = {}
    if comparison is not None and report.previous is not None:
        change_labels = {
            c.code: labels.get(c.code) or ward_label(c.code, wards, getattr(report.previous.ward(c.code), "name", ""))
            for c in comparison.wards
        }
    charged = {"direct": sum(1 for w in allocation.wards if w.direct)}
    charged.update({p.id: sum(1 for yen in p.allocations.values() if yen) for p in allocation.pools})
    environment = Environment(
        loader=PackageLoader("wardcloud.reports", "templates"),
        autoescape=select_autoescape(default=True),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    environment.filters["yen"] = charts.yen
    environment.filters["signed_yen"] = lambda v: ("+" if v > 0 else "") + charts.yen(v)
    environment.filters["pct"] = lambda f: f"{float(f) * 100:.2f}%"
    template = environment.get_template("report.html.j2")
    return template.render(
        csp=CSP,
        report=report,
        allocation=allocation,
        labels=labels,
        by_total=by_total,
        explanations=explanations,
        main_reasons=main_reasons,
        series=[series[i] for i in used],
        stacks={c: [s[i] for i in used] for c, s in stacks.items()},
        policy_order=sorted(
            allocation.wards,
            key=lambda w: (-_STATUS_RANK[report.policy[w.code].status] if report.policy else 0, w.code),
        ),
        status_labels=STATUS_LABELS,
        basis=basis,
        describe=describe,
        kind_label=kind_label,
        comparison=comparison,
        charged=charged,
        comparison_drivers=_consortium_drivers(allocation, report.previous) if report.previous else (),
        change_labels=change_labels,
        total_chart=charts.bar_chart(
            [(w.code, labels[w.code], w.total) for w in by_total], "区別負担額 / Charge per ward"
        ),
        share_chart=charts.paired_share_chart(
            [
                (
                    w.code,
                    labels[w.code],
                    float(explanations[w.code].share) * 100,
                    float(explanations[w.code].population_share) * 100,
                )
                for w in by_total
            ],
            "負担割合と人口割合 / Share of bill vs share of population",
        ),
        pool_chart=charts.stacked_bar_chart(
            [(w.code, labels[w.code], [stacks[w.code][i] for i in used]) for w in by_total],
            [series[i] for i in used],
            "プール別内訳 / Breakdown by pool",
        ),
        change_chart=charts.change_chart(
            [
                (c.code, change_labels[c.code], c.change)
                for c in sorted(comparison.wards, key=lambda c: (-c.change, c.code))
            ],
            "前月比 / Change from last month",
        )
        if comparison
        else "",
    )


def _consortium_drivers(current: Statement, previous: Statement) -> tuple[ChangeDriver, ...]:
    """The consortium's change split into direct usage, each pool, other shared and buy-in."""
    comparison = compare(current, previous)
    keys = list(dict.fromkeys(d.key for c in comparison.wards for d in c.drivers))
    labels = {d.key: d.label for c in comparison.wards for d in c.drivers}
    return tuple(
        ChangeDriver(
            key,
            labels[key],
            sum(d.previous for c in comparison.wards for d in c.drivers if d.key == key),
            sum(d.current for c in comparison.wards for d in c.drivers if d.key == key),
        )
        for key in keys
    )


def write_html(report: Report, path: Path) -> None:
    """Render and write the report atomically."""
    write_atomic(path, render_html(report))

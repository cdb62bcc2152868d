"""Statement lines in words a finance clerk reads: what the line is and the basis of its amount."""

from __future__ import annotations

import json
from collections.abc import Mapping
from fractions import Fraction
from typing import Any

from wardcloud.cost_allocation.model import StatementLine

KIND_LABELS: dict[str, str] = {
    "direct": "直接利用 / direct",
    "shared": "共有按分 / shared",
    "buy_in": "加入負担金 / buy-in",
    "buy_in_refund": "加入負担金還付 / buy-in refund",
}
DRIVER_LABELS: dict[str, str] = {
    "equal": "均等割 / equal",
    "population": "人口割 / population",
    "usage": "利用量割 / usage",
    "inkan_registrations": "印鑑登録数割 / seal registrations",
}
# A description a hand-written line may carry (the cost library writes none), the first present shown.
_TEXT_KEYS = ("explanation", "description", "text", "label", "note")
# Keys already shown elsewhere, or only of interest to auditors re-deriving the yen.
_SHOWN = {
    *_TEXT_KEYS,
    "pool",
    "kind",
    "amount",
    "pool_total",
    "rows",
    "participation",
    "drivers",
    "share_before_cap",
    "cap_adjustment",
    "capped",
    "share",
    "exact",
    "rounding",
    "service",
    "category",
    "newcomer",
    "joined",
}


def kind_label(line: StatementLine) -> str:
    """`直接利用 / direct` etc.; unknown kinds as given."""
    return KIND_LABELS.get(line.kind, line.kind)


def _percent(value: Any) -> str:
    try:
        return f"{float(value) * 100:.4g}%"
    except (TypeError, ValueError):
        return str(value)


def _driver(term: Mapping[str, Any]) -> str:
    name = str(term.get("driver", ""))
    label = DRIVER_LABELS.get(name.split(":")[0].split("(")[0].strip(), name)
    return f"{label} ×{float(term.get('weight', 1)):.3g}: {_percent(term.get('share'))}"


def describe(line: StatementLine) -> str:
    """What the line is: service for direct usage, pool for shared costs, newcomer for buy-in."""
    text = next((line.field(key) for key in _TEXT_KEYS if line.field(key) is not None), None)
    if text is not None:
        return str(text)
    if line.kind == "direct":
        return " / ".join(str(v) for v in (line.field("service"), line.field("category")) if v)
    if line.kind == "shared":
        return f"プール / pool {line.pool} ({cost_yen(line.field('pool_total'))})"
    if line.kind == "buy_in":
        return f"加入負担金 / buy-in (加入日 joined {line.field('joined', '')})"
    if line.kind == "buy_in_refund":
        newcomer, joined = line.field("newcomer", ""), line.field("joined", "")
        return f"{newcomer} 加入に伴う還付 / refund for newcomer (joined {joined})"
    return line.pool


def cost_yen(value: Any) -> str:
    """¥ with thousands separators for integers, the value as given otherwise."""
    if isinstance(value, int) and not isinstance(value, bool):
        return f"-¥{-value:,}" if value < 0 else f"¥{value:,}"
    return str(value or "")


def cap_yen(line: StatementLine) -> int:
    """Yen a cap moved on this line (negative: the ward was capped; positive: it took on others' excess)."""
    adjustment, pool_total = line.field("cap_adjustment"), line.field("pool_total")
    if adjustment is None or not isinstance(pool_total, int):
        return line.amount if "cap" in line.kind.lower() else 0
    exact = Fraction(str(adjustment)) * pool_total
    return int(exact + Fraction(1, 2)) if exact >= 0 else -int(-exact + Fraction(1, 2))


def basis(line: StatementLine) -> str:
    """Why the amount is what it is: drivers and shares, days of participation, cap, rows."""
    parts: list[str] = []
    if line.kind == "shared":
        drivers = line.field("drivers") or []
        if isinstance(drivers, list) and drivers:
            parts.append("; ".join(_driver(t) for t in drivers if isinstance(t, Mapping)))
        if line.field("share") is not None:
            parts.append(f"負担割合 share {_percent(line.field('share'))}")
        participation = line.field("participation")
        if isinstance(participation, Mapping) and participation.get("days") != participation.get("of"):
            parts.append(f"参加日数 days {participation.get('days')}/{participation.get('of')}")
        if line.field("capped") or cap_yen(line):
            parts.append(
                f"上限調整 cap {_percent(line.field('share_before_cap'))} → {_percent(line.field('share'))}"
                f" ({'+' if cap_yen(line) > 0 else ''}{cost_yen(cap_yen(line))})"
            )
    elif line.kind in ("buy_in", "buy_in_refund") and line.field("share") is not None:
        parts.append(f"割合 share {_percent(line.field('share'))}")
    elif line.kind == "direct" and line.field("rows") is not None:
        parts.append(f"{line.field('rows')} 行 / rows")
    rest = [(k, v) for k, v in line.detail if k not in _SHOWN]
    parts.extend(f"{k}={json.dumps(v, ensure_ascii=False) if isinstance(v, Mapping | list) else v}" for k, v in rest)
    return "; ".join(parts)

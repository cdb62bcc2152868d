"""Problems found in bills, usage files and allocation rules, and the one error type carrying them."""

from __future__ import annotations

from enum import StrEnum

from wardcloud.core.errors import Problem, WardcloudError

__all__ = ["Code", "CostError", "Problem", "StatementCode"]


class Code(StrEnum):
    """Stable problem codes of cost allocation; documented in docs/cost.md, never renumbered."""

    UNREADABLE = "COST001"
    MISSING_COLUMN = "COST002"
    EMPTY_BILL = "COST003"
    BAD_COST = "COST004"
    NEGATIVE_COST = "COST005"
    CURRENCY = "COST006"
    OUTSIDE_PERIOD = "COST007"
    BAD_DATE = "COST008"
    UNKNOWN_WARD = "COST009"
    UNMATCHED_SHARED = "COST010"
    BAD_QUANTITY = "COST011"
    RULES_SCHEMA = "COST020"
    UNKNOWN_DRIVER = "COST021"
    WEIGHTS_SUM = "COST022"
    INFEASIBLE_CAP = "COST023"
    MISSING_DRIVER_VALUE = "COST024"
    ZERO_DRIVER_TOTAL = "COST025"
    UNKNOWN_MATCH_COLUMN = "COST026"
    DUPLICATE_POOL = "COST027"
    BAD_PERIOD = "COST030"
    NO_WARDS = "COST031"
    BAD_CHANGE = "COST032"
    DRIVERS_FILE = "COST040"
    NO_VALUE_AT_DATE = "COST041"
    LEDGER = "COST042"
    RATES = "COST050"
    RATE_OVERLAP = "COST051"
    NO_RATE = "COST052"
    ESTIMATES = "COST060"
    MISSING_MONTHS = "COST061"
    BAD_FISCAL_YEAR = "COST062"
    AGREEMENT = "COST070"
    REVERSED_PERIOD = "COST043"  # a row's ChargePeriodStart is not before its ChargePeriodEnd
    COST_TOO_LARGE = "COST044"  # a BilledCost of 10^18 or more: beyond any bill, and beyond exact sums
    DUPLICATE_ROWS = "COST045"  # rows equal in every column: a bill fed twice (--allow-duplicate-rows)


class StatementCode(StrEnum):
    """Problems in a statement's JSON (a saved `cost allocate --format json`), found by `Statement.from_json`.

    The reports, which read such files, named them first: they keep their R numbers, never renumbered.
    """

    NOT_AN_OBJECT = "R000"  # the allocation JSON is not an object
    NOT_INTEGER_YEN = "R001"
    LINE_NOT_OBJECT = "R002"
    LINE_WITHOUT_AMOUNT = "R003"
    MISSING_KEY = "R004"
    BAD_POOL = "R005"
    POOL_SUM = "R006"
    BAD_WARD = "R007"
    WARD_SUM = "R008"
    TOTAL_SUM = "R009"
    DUPLICATE_WARD = "R010"
    NOT_A_LIST = "R011"
    BAD_FIELD = "R013"  # a date, string, number or object where the shape has one (drivers, cap re-allocation)


class CostError(WardcloudError):
    """Bad bill, usage or rules input; carries every problem found."""

"""The live library's own error codes (the cloud's are wardcloud.core.cloud.Code); docs/errors.md."""

from __future__ import annotations

from enum import StrEnum


class Code(StrEnum):
    """Bad input to inventory, drift and usage."""

    UNKNOWN_WARD = "LIVE020"  # `--ward` names no tenant file
    BAD_PERIOD = "LIVE030"  # `--period` is not `YYYY-MM`
    NOT_METERED = "LIVE031"  # `cost usage --period`: not begun, or past and the cloud meters only gauges

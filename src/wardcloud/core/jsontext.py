"""JSON from files a user hands us: one parser, for which nesting too deep is bad input, not a crash.

`json.loads` raises RecursionError on a document nested a few thousand levels deep; every reader of an
input (allocation and policy JSON, stack exports, state files, audit records) calls `loads` here
instead, which turns that into the `json.JSONDecodeError` (a ValueError) those readers already report
as a located problem.
"""

from __future__ import annotations

import json
from typing import Any


def loads(text: str | bytes) -> Any:
    """`json.loads(text)`; JSONDecodeError (line 1, column 1) when it is nested too deeply to parse."""
    try:
        return json.loads(text)
    except RecursionError:
        doc = text if isinstance(text, str) else text[:64].decode("utf-8", "replace")
        raise json.JSONDecodeError("nested too deeply", doc, 0) from None

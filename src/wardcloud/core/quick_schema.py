"""A quick yes for a JSON Schema check: jsonschema-rs proves a document valid, jsonschema explains a no.

jsonschema (pure Python) names every error with its path, which is what a ward's IT staff read; it costs
~100 ms to import and ~3 ms per tenant file, most of a cold `wardctl cost allocate`'s own time. jsonschema-rs
(Rust) checks the same draft in microseconds but words its errors its own way, so it is only asked "valid?",
and only where its yes is jsonschema's yes by construction:

- every string in the document is printable (`str.isprintable`: no control character, no line break, no
  whitespace but the ASCII space), every key a string, every number finite and within 64 bits; Python's
  `re` and Rust's regex differ on line ends and on which characters are whitespace, not on such text;
- every `pattern` uses only literals, classes, groups, anchors, repetition and the escapes `\\s \\S \\. \\- \\/`
  (no `\\d` or `\\w`, whose Unicode tables differ between the two engines' Unicode versions);
- every `format` the schema asserts is checked by jsonschema's own rule (`FORMATS`), handed to jsonschema-rs.

Anything else, and every no, goes to jsonschema, so what is accepted and what is reported are unchanged.
"""

from __future__ import annotations

import ipaddress
import math
import re
from collections.abc import Callable, Iterator, Mapping
from datetime import date
from functools import cached_property
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from jsonschema import Draft202012Validator
    from jsonschema.exceptions import ValidationError

_DATE = re.compile(r"\d{4}-\d{2}-\d{2}", re.ASCII)


def _is_date(text: str) -> bool:  # jsonschema's `date`: the shape, then a real calendar day (no year 0)
    try:
        return bool(_DATE.fullmatch(text)) and bool(date.fromisoformat(text))
    except ValueError:
        return False


def _is_ipv4(text: str) -> bool:  # jsonschema's `ipv4`: what the ipaddress module accepts
    try:
        ipaddress.IPv4Address(text)
    except ValueError:
        return False
    return True


FORMATS: dict[str, Callable[[str], bool]] = {"date": _is_date, "ipv4": _is_ipv4}
# a pattern both engines read alike: no escape but these, no flag group, no backreference
_PORTABLE_PATTERN = re.compile(r"(?:[^\\(]|\\[sS.\-/]|\((?!\?))*")
_INT64 = 2**63


def _walk(schema: Any) -> Iterator[tuple[str, Any]]:
    if isinstance(schema, Mapping):
        for key, value in schema.items():
            yield key, value
            yield from _walk(value)
    elif isinstance(schema, list):
        for value in schema:
            yield from _walk(value)


def quick_validator(schema: Mapping[str, Any], *, formats: bool) -> Callable[[Any], bool] | None:
    """A check that returns True only for a document jsonschema would find valid (False: ask jsonschema);
    None when this schema holds something the quick check cannot vouch for, or jsonschema-rs is missing."""
    patterns: list[str] = []
    asserted: set[str] = set()
    for key, value in _walk(schema):
        if key == "pattern" and isinstance(value, str):
            patterns.append(value)
        elif key == "patternProperties" and isinstance(value, Mapping):
            patterns.extend(str(k) for k in value)
        elif key == "format" and isinstance(value, str):
            asserted.add(value)
    if not all(_PORTABLE_PATTERN.fullmatch(p) for p in patterns):
        return None
    if formats and not asserted <= FORMATS.keys():
        return None
    try:
        import jsonschema_rs
    except ImportError:  # pragma: no cover - a dependency; without it everything goes to jsonschema
        return None
    validator = jsonschema_rs.Draft202012Validator(
        dict(schema), validate_formats=formats,
        formats={name: FORMATS[name] for name in asserted} if formats else None)

    def check(document: Any) -> bool:
        if not _plain(document):
            return False
        try:
            return bool(validator.is_valid(document))
        except (ValueError, TypeError, OverflowError):  # a value it cannot convert: jsonschema decides
            return False

    return check


class SchemaCheck:
    """One schema's check: jsonschema-rs's quick yes, and jsonschema's errors (imported only then) for a no."""

    def __init__(self, schema: Mapping[str, Any], *, formats: bool) -> None:
        self._schema = schema
        self._formats = formats
        self._quick = quick_validator(schema, formats=formats)

    @cached_property
    def _full(self) -> Draft202012Validator:
        from jsonschema import Draft202012Validator, FormatChecker

        return Draft202012Validator(self._schema, format_checker=FormatChecker() if self._formats else None)

    def errors(self, document: Any) -> list[ValidationError]:
        """jsonschema's errors for `document`: none, without loading jsonschema, when the quick check passes."""
        if self._quick is not None and self._quick(document):
            return []
        return list(self._full.iter_errors(document))


def _plain(value: Any) -> bool:
    """JSON-like data on which the two engines agree: see the module docstring."""
    if isinstance(value, str):
        return value.isprintable()
    if isinstance(value, bool) or value is None:
        return True
    if isinstance(value, int):
        return -_INT64 <= value < _INT64
    if isinstance(value, float):
        return math.isfinite(value)
    if isinstance(value, dict):
        return all(isinstance(k, str) and k.isprintable() and _plain(v) for k, v in value.items())
    if isinstance(value, list):
        return all(_plain(v) for v in value)
    return False

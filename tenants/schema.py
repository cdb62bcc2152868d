"""The tenant JSON Schema and the translation of its errors into located problems."""

from __future__ import annotations

import difflib
import json
from functools import cache
from importlib import resources
from typing import TYPE_CHECKING, Any

from wardcloud.core.quick_schema import SchemaCheck
from wardcloud.tenants.load import Document
from wardcloud.tenants.problems import Code, Problem

if TYPE_CHECKING:
    from jsonschema.exceptions import ValidationError

SCHEMA_RESOURCE = "schema/ward-tenant.schema.json"


@cache
def tenant_schema() -> dict[str, Any]:
    """The published JSON Schema (2020-12) every tenant file must satisfy."""
    text = resources.files("wardcloud.tenants").joinpath(SCHEMA_RESOURCE).read_text(encoding="utf-8")
    return json.loads(text)  # type: ignore[no-any-return]


@cache
def _check() -> SchemaCheck:
    return SchemaCheck(tenant_schema(), formats=True)


def schema_problems(document: Document) -> list[Problem]:
    """Every schema violation in the document, each at its own line and column."""
    problems: list[Problem] = []
    located: set[tuple[Any, ...]] = set()
    for error in _check().errors(document.value):
        for problem in _explain(document, error):
            # a bad date fails both `pattern` and `format`: one report per place is enough
            key = (problem.line, problem.column, problem.path)
            if key not in located:
                located.add(key)
                problems.append(problem)
    return problems


def _type_name(value: Any) -> str:
    return {dict: "a mapping", list: "a list", str: "a string", bool: "a boolean",
            int: "an integer", float: "a number", type(None): "null"}.get(type(value), type(value).__name__)


def _explain(document: Document, error: ValidationError) -> list[Problem]:
    pointer = tuple(error.absolute_path)
    schema = error.schema if isinstance(error.schema, dict) else {}
    value = error.instance
    if error.validator == "additionalProperties" and isinstance(value, dict):
        allowed = sorted(schema.get("properties", {}))
        out = []
        for extra in sorted(set(value) - set(allowed), key=str):
            hint = difflib.get_close_matches(str(extra), allowed, n=1)
            suggestion = f"did you mean '{hint[0]}'? " if hint else ""
            msg = f"unknown key '{extra}': {suggestion}expected one of {', '.join(allowed)}"
            out.append(document.problem((*pointer, extra), Code.SCHEMA, msg, at_key=True))
        return out
    if error.validator == "required":
        missing = error.message.split("'")[1] if "'" in error.message else str(error.validator_value)
        described = schema.get("properties", {}).get(missing, {}).get("description", "")
        msg = f"missing required key '{missing}'" + (f": {described}" if described else "")
        return [document.problem(pointer, Code.SCHEMA, msg)]
    if error.validator == "type":
        expected = error.validator_value
        return [document.problem(pointer, Code.SCHEMA,
                                 f"expected {expected}, got {_type_name(value)} {value!r}"[:300])]
    if error.validator == "enum":
        options = ", ".join(str(v) for v in error.validator_value)
        return [document.problem(pointer, Code.SCHEMA, f"{value!r} is not one of: {options}")]
    if error.validator in {"pattern", "format", "oneOf", "propertyNames"}:
        described = schema.get("description", "")
        shown = repr(value) if not isinstance(value, dict | list) else _type_name(value)
        msg = f"{shown} is not valid" + (f": {described}" if described else f" ({error.message})")
        if error.validator == "propertyNames":
            msg = f"{error.message}: driver names are lower_snake_case and not a built-in driver"
        return [document.problem(pointer, Code.SCHEMA, msg[:400])]
    bounds = {"minimum": ">=", "maximum": "<=", "exclusiveMinimum": ">", "exclusiveMaximum": "<"}
    if error.validator in bounds:
        described = schema.get("description", "")
        msg = f"must be {bounds[str(error.validator)]} {error.validator_value}, got {value!r}"
        return [document.problem(pointer, Code.SCHEMA, msg + (f": {described}" if described else ""))]
    return [document.problem(pointer, Code.SCHEMA, error.message[:300])]

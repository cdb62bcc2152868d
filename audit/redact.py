"""Secret redaction: what goes into the audit log must never carry a password, token or key."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Any

from wardcloud.core.secrets import is_secret_name

MASK = "***"

# user:password@ in URLs (state backends, clouds).
_URL_PASSWORD = re.compile(r"(?P<head>[a-z][a-z0-9+.-]*://[^/\s:@]*:)[^/\s@]+@", re.IGNORECASE)


def redact_text(text: str) -> str:
    """`text` with URL passwords and `NAME=value` secrets masked."""
    text = _URL_PASSWORD.sub(lambda m: f"{m['head']}{MASK}@", text)
    name, sep, _ = text.partition("=")
    if sep and is_secret_name(name.lstrip("-")) and " " not in name:
        return f"{name}={MASK}"
    return text


def redact_argv(argv: Sequence[str]) -> tuple[str, ...]:
    """Command arguments with the values of secret options (`--token X`, `--token=X`) masked."""
    out: list[str] = []
    mask_next = False
    for arg in argv:
        if mask_next:
            out.append(MASK)
            mask_next = False
        elif arg.startswith("-") and "=" not in arg and is_secret_name(arg.lstrip("-")):
            out.append(arg)
            mask_next = True
        else:
            out.append(redact_text(arg))
    return tuple(out)


def redact_mapping(value: Any) -> Any:
    """A JSON-like value with every secret-named key's value masked and URL passwords removed."""
    if isinstance(value, Mapping):
        return {k: MASK if isinstance(k, str) and is_secret_name(k) else redact_mapping(v)
                for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [redact_mapping(v) for v in value]
    if isinstance(value, str):
        return redact_text(value)
    return value

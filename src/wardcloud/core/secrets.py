"""Mask credentials in any text that may reach a user, a log or a record.

One function, used wherever an outside message (an SDK's error, an exception's text) is shown: the
cloud error translation (core/cloud.py), `wardctl`'s error printer and its last-resort "internal
error" line. What is masked:

- the whole user-info part of a URL (`https://user:pass@host` → `https://***@host`): a bare user part
  is often a token;
- the value after a secret-looking name (`password=…`, `"token": "…"`, `X-Auth-Token: …`, `OS_PASSWORD=…`);
- the literal values of the OS_* secret variables in the environment, wherever they appear.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping

MASK = "***"

_USERINFO = re.compile(r"(?P<scheme>\b[a-z][a-z0-9+.-]*://)[^/\s@?#]+@", re.IGNORECASE)
# The words that make a name secret. A bare `pass` only as a word of its own (`--pass`, `db_pass`), so that
# `passed`, `bypass` or `compass` (a drill's result, a rule's field) are never taken for one.
SECRET_WORDS = (
    r"(?:password|passwd|passphrase|(?<![a-z])pass(?![a-z])|secret|token|credential|api[-_]?key|private[-_]?key|"
    r"access[-_]?key|auth[-_]?key)"
)
_SECRET_NAME = re.compile(SECRET_WORDS, re.IGNORECASE)
_NAMED = re.compile(
    r"(?<![/\w.-])(?P<name>[\w-]*" + SECRET_WORDS + r"[\w-]*)"
    r"(?P<sep>['\"]?\s*[:=]\s*(?:b?['\"])?)"
    r"(?P<value>[^\s'\",;&}\])]+)",
    re.IGNORECASE)
_SECRET_VARIABLES = ("OS_PASSWORD", "OS_TOKEN", "OS_APPLICATION_CREDENTIAL_SECRET", "OS_AUTH_TOKEN",
                     "OS_SECRET_KEY", "OS_ACCESS_SECRET")
_MIN_LITERAL = 4  # a one-letter "password" would mask every such letter


def mask_secrets(text: str, environ: Mapping[str, str] | None = None) -> str:
    """`text` with URL user-info, `secret-name: value` pairs and the environment's secret values masked."""
    environ = os.environ if environ is None else environ
    for name in _SECRET_VARIABLES:
        value = environ.get(name, "")
        if len(value) >= _MIN_LITERAL:
            text = text.replace(value, MASK)
    url_password = _auth_url_password(environ.get("OS_AUTH_URL", ""))
    if len(url_password) >= _MIN_LITERAL:
        text = text.replace(url_password, MASK)
    text = _USERINFO.sub(lambda m: f"{m['scheme']}{MASK}@", text)
    return _NAMED.sub(_mask_named, text)


_KEY_NAMES = re.compile(r"(?:password|passwd|passphrase|pass|secret|token|api[-_]?key)", re.IGNORECASE)


def is_secret_name(name: str) -> bool:
    """True if an option, variable or key called `name` holds a secret (`--os-password`, `api_key`, `OS_TOKEN`)."""
    return _SECRET_NAME.search(name) is not None


def _mask_named(match: re.Match[str]) -> str:
    """`name=value` always; `name: value` when it reads as data, not prose ("no credentials: set OS_CLOUD"):
    a quoted value, a header or variable-like name (X-Auth-Token, os_password), or a bare key word."""
    name, sep, value = match["name"], match["sep"], match["value"]
    as_data = ("=" in sep or sep.rstrip().endswith(("'", '"')) or "-" in name or "_" in name
               or _KEY_NAMES.fullmatch(name) is not None)
    return name + sep + (MASK if as_data and value != MASK else value)


def _auth_url_password(url: str) -> str:
    match = re.match(r"[a-z][a-z0-9+.-]*://([^/\s@]*)@", url, re.IGNORECASE)
    return match.group(1).partition(":")[2] if match else ""

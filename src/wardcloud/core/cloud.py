"""Connect to a cloud (clouds.yaml / OS_* variables) and turn every failure into one `CloudError` line.

A real cloud fails in many ways — refused connection, timeout, bad password, a 403 on one call, a service
missing from the catalog. Each becomes a `CloudError` naming the cloud, the service and the call, so
`wardctl` prints one line and exits 1 instead of a keystoneauth traceback.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from enum import StrEnum
from typing import Any, TypeVar

from wardcloud.core.errors import Problem, WardcloudError
from wardcloud.core.secrets import mask_secrets

T = TypeVar("T")

# Without a handler keystoneauth's warnings reach stderr through logging's last resort, beside our one line.
for _logger in ("keystoneauth", "openstack", "stevedore"):
    logging.getLogger(_logger).addHandler(logging.NullHandler())
DEFAULT_TIMEOUT = 20.0


class Code(StrEnum):
    """Stable problem codes of the live-cloud library; documented in docs/live.md."""

    CONFIG = "LIVE001"  # no such cloud in clouds.yaml, incomplete auth settings
    UNREACHABLE = "LIVE002"  # connection refused, DNS, TLS
    TIMEOUT = "LIVE003"
    AUTH = "LIVE004"  # 401: bad credentials, expired token
    FORBIDDEN = "LIVE005"  # 403 on one call
    NO_SERVICE = "LIVE006"  # service or endpoint missing from the catalog
    HTTP = "LIVE007"  # any other HTTP error status
    ERROR = "LIVE008"  # anything else the SDK raised


class CloudError(WardcloudError):
    """A live cloud refused, failed or could not be reached; one problem naming cloud, service and call."""


def cloud_error(cloud: str, service: str, call: str, code: str, message: str) -> CloudError:
    """A one-problem CloudError: `cloud NAME: CODE SERVICE CALL: message`, credentials masked."""
    return CloudError([Problem(mask_secrets(f"cloud {cloud}"), 0, 0, code,
                               mask_secrets(f"{service} {call}: {one_line(message)}"))])


def translate(exc: BaseException, cloud: str, service: str, call: str) -> CloudError:
    """The one translation of any failure talking to a cloud (SDK, keystoneauth, requests, socket) into a
    located CloudError with credentials masked; every command that talks to a cloud goes through it."""
    if isinstance(exc, CloudError):
        return exc
    try:
        code, message = classify(exc)
    except Exception:  # classification must never be what fails: keep the exception's name and text
        code, message = Code.ERROR, f"{type(exc).__name__}: {exc}"
    return cloud_error(cloud, service, call, code, message)


def one_line(text: str, limit: int = 300) -> str:
    """Collapse whitespace and cut long SDK messages, so the error stays one readable line."""
    flat = re.sub(r"\s+", " ", text).strip()
    return flat if len(flat) <= limit else flat[: limit - 1] + "…"


def _status(exc: BaseException) -> int | None:
    for attribute in ("status_code", "http_status"):
        value = getattr(exc, attribute, None)
        if isinstance(value, int):
            return value
    return None


def _chain(exc: BaseException) -> list[BaseException]:
    """The exception and what caused it: openstacksdk wraps keystoneauth's precise errors in SDKException."""
    seen: list[BaseException] = []
    current: BaseException | None = exc
    while current is not None and current not in seen:
        seen.append(current)
        current = current.__cause__ or current.__context__
    return seen


def _reason(text: str) -> str:
    """`URL (connection refused)` out of urllib3's paragraph, else the text itself."""
    url = re.search(r"(https?://[^\s:'\"]+(?::[0-9]+)?[^\s:'\"]*)", text)
    for needle, short in (
        ("Connection refused", "connection refused"),
        ("Max retries exceeded", "cannot connect"),
        ("timed out", "timed out"),
        ("Name or service not known", "unknown host"),
        ("CERTIFICATE_VERIFY", "TLS"),
    ):
        if needle in text:
            return f"{url.group(1)} ({short})" if url else short
    return text


def classify(exc: BaseException) -> tuple[str, str]:
    """The problem code and message for an exception openstacksdk or keystoneauth raised."""
    from openstack import exceptions as sdk

    chain = _chain(exc)
    # the most precise cause wins: a keystoneauth error beneath a generic SDKException
    for candidate in chain:
        if type(candidate) is not sdk.SDKException:
            found = _classify_one(candidate)
            if found[0] != Code.ERROR:
                return found
    return _classify_one(exc)


def _classify_one(exc: BaseException) -> tuple[str, str]:
    # imported here: the non-live test suite and `wardctl --help` need not import the SDK
    from keystoneauth1 import exceptions as ksa
    from openstack import exceptions as sdk

    name = type(exc).__name__
    text = _reason(mask_secrets(str(exc) or name))
    if isinstance(exc, ksa.ConnectTimeout | ksa.RequestTimeout | TimeoutError):
        return Code.TIMEOUT, f"timed out: {text}"
    if isinstance(exc, ksa.ConnectFailure | ksa.DiscoveryFailure | ksa.SSLError | ConnectionError):
        return Code.UNREACHABLE, f"unreachable: {text}"
    if isinstance(
        exc,
        ksa.EndpointNotFound
        | ksa.EmptyCatalog
        | sdk.ServiceDiscoveryException
        | sdk.ServiceDisabledException,
    ):
        return Code.NO_SERVICE, f"not in the service catalog: {text}"
    if isinstance(exc, ksa.Unauthorized) or _status(exc) == 401:
        return Code.AUTH, f"authentication failed (401): {text}"
    if isinstance(exc, ksa.Forbidden) or _status(exc) == 403:
        return Code.FORBIDDEN, f"forbidden (403): {text}"
    if isinstance(exc, sdk.ConfigException | ksa.MissingRequiredOptions | ksa.AuthPluginException):
        return Code.CONFIG, f"bad cloud configuration: {text}"
    if (status := _status(exc)) is not None:
        return Code.HTTP, f"HTTP {status}: {text}"
    return Code.ERROR, f"{name}: {text}"


def _realise(value: Any) -> Any:
    """SDK listings are lazy generators: pull them inside the guarded call so errors are caught there."""
    return list(value) if isinstance(value, Iterator) else value


@dataclass(frozen=True)
class Cloud:
    """One authenticated connection, and the name users know it by."""

    name: str
    connection: Any  # openstack.connection.Connection

    def call(self, service: str, call: str, fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        """Run one SDK call (listings realised to lists); any failure becomes a CloudError naming it."""
        return guarded(self.name, service, call, lambda: _realise(fn(*args, **kwargs)))

    def has_service(self, service_type: str) -> bool:
        """Whether the catalog lists `service_type` (e.g. `compute`, `object-store`)."""
        catalog = self.call("identity", "catalog", lambda: self.connection.service_catalog)
        return any(entry.get("type") == service_type and entry.get("endpoints") for entry in catalog or ())


def guarded(cloud: str, service: str, call: str, fn: Callable[[], T]) -> T:
    """`fn()`, with every SDK/keystoneauth/socket failure turned into a CloudError."""
    try:
        return fn()
    except WardcloudError:
        raise
    except Exception as exc:  # the SDK raises many families (requests, keystoneauth, its own)
        raise translate(exc, cloud, service, call) from None  # the cause's text holds the credentials


def connect(name: str, *, timeout: float = DEFAULT_TIMEOUT) -> Cloud:
    """Connect to cloud `name` (clouds.yaml entry; OS_* variables when it is `envvars`) and authenticate."""
    import openstack

    def open_connection() -> Any:
        connection = openstack.connect(cloud=name, api_timeout=timeout, connect_retries=0)
        connection.authorize()  # fail here, with a clear line, rather than on the first listing
        return connection

    return Cloud(name, guarded(name, "identity", "authenticate", open_connection))

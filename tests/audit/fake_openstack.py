"""A loopback stand-in for Keystone v3 and Swift: just enough HTTP for openstacksdk to log in and PUT.

It lets `wardctl audit ship` and `audit verify --remote` run their real openstacksdk path (clouds config,
Keystone password auth, catalog lookup, object PUT, container listing, object GET) without a cloud. It is
not Swift: it stores what is PUT, lists and returns it, and answers 403 for containers in `forbidden`.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import unquote

PROJECT = "AUTH_platform-audit"


@dataclass
class FakeCloud:
    """What the fake saw and stores."""

    url: str = ""
    objects: dict[str, bytes] = field(default_factory=dict)  # "container/name" → body
    tokens_issued: int = 0
    forbidden: set[str] = field(default_factory=set)

    def environ(self) -> dict[str, str]:
        """OS_* variables pointing at the fake."""
        return {"OS_AUTH_URL": f"{self.url}/identity/v3", "OS_USERNAME": "log-shipper", "OS_PASSWORD": "pw",
                "OS_PROJECT_NAME": "platform-audit", "OS_USER_DOMAIN_NAME": "Default",
                "OS_PROJECT_DOMAIN_NAME": "Default", "OS_REGION_NAME": "RegionOne"}


def _handler(cloud: FakeCloud) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args: object) -> None:
            pass

        def _reply(self, code: int, body: bytes = b"", headers: dict[str, str] | None = None) -> None:
            self.send_response(code)
            for key, value in (headers or {}).items():
                self.send_header(key, value)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def _body(self) -> bytes:
            return self.rfile.read(int(self.headers.get("Content-Length", 0)))

        def do_GET(self) -> None:  # noqa: N802 - http.server's naming
            prefix = f"/swift/v1/{PROJECT}/"
            if self.path.startswith(prefix):
                if self.headers.get("X-Auth-Token") != "fake-token":
                    self._reply(401)
                    return
                path, _, query = self.path[len(prefix):].partition("?")
                if "/" not in path:  # a container listing (JSON, paged by `marker`)
                    marker = dict(p.split("=", 1) for p in query.split("&") if "=" in p).get("marker", "")
                    names = sorted(k.split("/", 1)[1] for k in cloud.objects if k.split("/", 1)[0] == path)
                    listing = [{"name": n, "bytes": len(cloud.objects[f"{path}/{n}"]), "hash": "0",
                                "last_modified": "2026-01-01T00:00:00.000000", "content_type": "text/plain"}
                               for n in names if n > unquote(marker)]
                    self._reply(200, json.dumps(listing).encode(), {"Content-Type": "application/json"})
                elif unquote(path) in cloud.objects:
                    self._reply(200, cloud.objects[unquote(path)], {"Content-Type": "text/plain", "Etag": "0"})
                else:
                    self._reply(404)
                return
            if self.path.rstrip("/") == "/identity/v3":
                version = {"version": {"id": "v3.14", "status": "stable", "media-types": [],
                                       "links": [{"rel": "self", "href": f"{cloud.url}/identity/v3/"}]}}
                self._reply(200, json.dumps(version).encode(), {"Content-Type": "application/json"})
            else:
                self._reply(404)

        def do_POST(self) -> None:  # noqa: N802
            self._body()
            if self.path != "/identity/v3/auth/tokens":
                self._reply(404)
                return
            cloud.tokens_issued += 1
            domain = {"id": "default", "name": "Default"}
            endpoint = {"id": "e1", "interface": "public", "region": "RegionOne", "region_id": "RegionOne",
                        "url": f"{cloud.url}/swift/v1/{PROJECT}"}
            token = {"token": {
                "methods": ["password"], "expires_at": "2099-01-01T00:00:00.000000Z",
                "issued_at": "2026-01-01T00:00:00.000000Z",
                "user": {"id": "u1", "name": "log-shipper", "domain": domain},
                "project": {"id": "p1", "name": "platform-audit", "domain": domain},
                "roles": [{"id": "r1", "name": "member"}],
                "catalog": [{"type": "object-store", "name": "swift", "id": "s1", "endpoints": [endpoint]}]}}
            self._reply(201, json.dumps(token).encode(),
                        {"Content-Type": "application/json", "X-Subject-Token": "fake-token"})

        def do_PUT(self) -> None:  # noqa: N802
            body = self._body()
            prefix = f"/swift/v1/{PROJECT}/"
            if not self.path.startswith(prefix) or self.headers.get("X-Auth-Token") != "fake-token":
                self._reply(401)
                return
            key = self.path[len(prefix):]
            if key.split("/")[0] in cloud.forbidden:
                self._reply(403, b"<html><h1>Forbidden</h1></html>")
                return
            cloud.objects[key] = body
            self._reply(201, b"", {"Etag": "0"})

    return Handler


@contextmanager
def fake_openstack() -> Iterator[FakeCloud]:
    """A running fake on a free loopback port, shut down afterwards."""
    cloud = FakeCloud()
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(cloud))
    cloud.url = f"http://127.0.0.1:{server.server_port}"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield cloud
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)

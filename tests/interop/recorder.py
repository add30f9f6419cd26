"""A small appservice that records every request the homeserver makes and answers per spec."""

from __future__ import annotations

import json
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit


@dataclass
class Recorded:
    method: str
    path: str  # percent-decoded
    raw_path: str
    query: dict[str, list[str]]
    headers: dict[str, str]
    body: bytes


@dataclass
class RecordingAppservice:
    hs_token: str
    requests: list[Recorded] = field(default_factory=list)
    arrived: threading.Condition = field(default_factory=threading.Condition)
    server: ThreadingHTTPServer | None = None

    def answer(self, rec: Recorded) -> tuple[int, dict[str, Any]]:
        if rec.headers.get("authorization") != f"Bearer {self.hs_token}":
            return 403, {"errcode": "M_FORBIDDEN", "error": "bad hs_token"}
        if rec.path.startswith("/_matrix/app/v1/users/"):
            return 404, {"errcode": "M_NOT_FOUND", "error": "no such bridged user"}
        if rec.path.startswith("/_matrix/app/v1/rooms/"):
            return 404, {"errcode": "M_NOT_FOUND", "error": "no such bridged room"}
        if (
            rec.path.startswith("/_matrix/app/v1/transactions/")
            or rec.path == "/_matrix/app/v1/ping"
        ):
            return 200, {}
        return 404, {"errcode": "M_UNRECOGNIZED", "error": "unknown endpoint"}

    def start(self, port: int) -> None:
        recorder = self

        class Handler(BaseHTTPRequestHandler):
            def _handle(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                split = urlsplit(self.path)
                rec = Recorded(
                    self.command, unquote(split.path), split.path, parse_qs(split.query),
                    {k.lower(): v for k, v in self.headers.items()}, self.rfile.read(length),
                )  # fmt: skip
                status, body = recorder.answer(rec)
                data = json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)
                with recorder.arrived:
                    recorder.requests.append(rec)
                    recorder.arrived.notify_all()

            do_GET = do_PUT = do_POST = do_DELETE = _handle

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", port), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def stop(self) -> None:
        if self.server is not None:
            self.server.shutdown()
            self.server.server_close()

    def wait_for(self, predicate: Any, timeout: float = 20) -> Recorded:
        with self.arrived:
            ok = self.arrived.wait_for(
                lambda: any(predicate(r) for r in self.requests), timeout=timeout
            )
            if not ok:
                seen = [(r.method, r.path) for r in self.requests]
                raise AssertionError(f"no matching request within {timeout} s; seen: {seen}")
            return next(r for r in self.requests if predicate(r))

"""Helpers shared by the API client tests (data to deposit, request timing)."""

from __future__ import annotations

import json
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import httpx

from chorus_connect.api import Credentials
from chorus_connect.simulator import SimulatorServer
from chorus_connect.simulator.samples import sample_batch, sample_cii


def invoice_batch(sim: SimulatorServer, count: int, prefix: str = "T") -> bytes:
    """A zip of ``count`` valid CII invoices from the main supplier to a recipient without requirements."""
    supplier_siret = sim.dataset.main_supplier().siret
    recipient_siret = sim.dataset.recipient_with().siret
    files = [
        (
            f"{prefix}{i:05d}.xml",
            sample_cii(
                number=f"{prefix}-{i:05d}", supplier_siret=supplier_siret, recipient_siret=recipient_siret
            ),
        )
        for i in range(count)
    ]
    return sample_batch(files)


def one_invoice(sim: SimulatorServer, number: str) -> bytes:
    return sample_cii(
        number=number,
        supplier_siret=sim.dataset.main_supplier().siret,
        recipient_siret=sim.dataset.recipient_with().siret,
    )


class RequestLog:
    """Records when each request leaves the client (an httpx event hook), to check rates and resends."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.entries: list[tuple[float, str]] = []

    def hook(self, request: httpx.Request) -> None:
        with self.lock:
            self.entries.append((time.monotonic(), request.url.path))

    def times(self, path_part: str = "/cpro/") -> list[float]:
        with self.lock:
            return [t for t, path in self.entries if path_part in path]

    def count(self, path_part: str) -> int:
        return len(self.times(path_part))


def max_in_window(times: list[float], window: float = 1.0) -> int:
    """The largest number of requests sent within any ``window`` seconds."""
    ordered = sorted(times)
    best, start = 0, 0
    for end, moment in enumerate(ordered):
        while moment - ordered[start] >= window:
            start += 1
        best = max(best, end - start + 1)
    return best


def credentials_for(sim: SimulatorServer, login: str, *, application: Any = None) -> Credentials:
    app = application or sim.dataset.main_application()
    account = sim.dataset.account_by_login(login)
    assert account is not None
    return Credentials(app.client_id, app.client_secret, account.login, account.password)


# --- scripted loopback server -------------------------------------------------------------------------


@dataclass
class Scripted:
    status: int
    body: bytes | dict[str, Any] | None = None
    headers: dict[str, str] = field(default_factory=dict)


class ScriptedServer:
    """A real HTTP server on 127.0.0.1: the token endpoint always succeeds; /cpro answers from a script."""

    def __init__(self) -> None:
        self.script: list[Scripted] = []
        self.received: list[tuple[str, dict[str, str], bytes]] = []
        self.token_count = 0
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:  # keep test output clean
                pass

            def do_GET(self) -> None:
                self._answer()

            def do_POST(self) -> None:
                self._answer()

            def _answer(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length)
                outer.received.append((self.path, dict(self.headers), body))
                if self.path.startswith("/api/oauth/token"):
                    outer.token_count += 1
                    reply = Scripted(200, {"access_token": f"tok-{outer.token_count}", "expires_in": 3600})
                else:
                    reply = outer.script.pop(0) if outer.script else Scripted(200, {"codeRetour": 0})
                payload = reply.body
                raw = json.dumps(payload).encode() if isinstance(payload, dict) else (payload or b"")
                self.send_response(reply.status)
                for name, value in reply.headers.items():
                    self.send_header(name, value)
                if isinstance(payload, dict):
                    self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(raw)))
                self.end_headers()
                self.wfile.write(raw)

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.base_url = f"http://127.0.0.1:{self._server.server_address[1]}"
        self._thread = threading.Thread(target=self._server.serve_forever, args=(0.05,), daemon=True)

    def __enter__(self) -> ScriptedServer:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.shutdown()
        self._server.server_close()

    def cpro_calls(self) -> int:
        return sum(1 for path, _, _ in self.received if path.startswith("/cpro/"))

"""Serving the simulator over real HTTP: in the foreground (`chorus simulator serve`) or embedded in a
background thread on a free loopback port (tests, the demo, the connector's default environment)."""

from __future__ import annotations

import socket
import threading
import time
from types import TracebackType
from typing import Any

import httpx
import uvicorn

from chorus_connect.simulator.app import build_app
from chorus_connect.simulator.config import SimulatorConfig
from chorus_connect.simulator.dataset import Dataset
from chorus_connect.simulator.platform import Platform


class AdminClient:
    """Small helper over the admin routes, for tests and the demo."""

    def __init__(self, base_url: str) -> None:
        self._http = httpx.Client(base_url=f"{base_url}/_simulator", timeout=30)

    def advance_clock(self, seconds: float = 0, *, hours: float = 0, days: float = 0) -> dict[str, Any]:
        return self._post("/clock/advance", {"seconds": seconds, "hours": hours, "days": days})

    def now(self) -> str:
        return self._get("/clock")["now"]

    def set_faults(self, **fields: Any) -> dict[str, Any]:
        return self._post("/faults", fields)

    def clear_faults(self) -> dict[str, Any]:
        response = self._http.delete("/faults")
        response.raise_for_status()
        return response.json()

    def revoke_tokens(self, client_id: str | None = None) -> int:
        return self._post("/tokens/revoke", {"client_id": client_id} if client_id else {})["revoked"]

    def set_scenario(self, invoice_number: str, scenario: str) -> dict[str, Any]:
        return self._post("/scenarios", {"invoice_number": invoice_number, "scenario": scenario})

    def stats(self) -> dict[str, Any]:
        return self._get("/stats")

    def _post(self, path: str, body: dict[str, Any]) -> dict[str, Any]:
        response = self._http.post(path, json=body)
        response.raise_for_status()
        return response.json()

    def _get(self, path: str) -> dict[str, Any]:
        response = self._http.get(path)
        response.raise_for_status()
        return response.json()

    def close(self) -> None:
        self._http.close()


class SimulatorServer:
    """A running simulator. As a context manager it serves on a free 127.0.0.1 port until exit."""

    def __init__(self, config: SimulatorConfig | None = None, host: str = "127.0.0.1", port: int = 0) -> None:
        self.config = config or SimulatorConfig()
        self.platform = Platform(self.config)
        self._host, self._port = host, port
        self._server: uvicorn.Server | None = None
        self._thread: threading.Thread | None = None
        self._admin: AdminClient | None = None

    @property
    def dataset(self) -> Dataset:
        return self.platform.state.dataset

    @property
    def base_url(self) -> str:
        return f"http://{self._host}:{self._port}"

    @property
    def token_url(self) -> str:
        return f"{self.base_url}/api/oauth/token"

    @property
    def admin(self) -> AdminClient:
        if self._admin is None:
            self._admin = AdminClient(self.base_url)
        return self._admin

    def _bind(self) -> socket.socket:
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        # Accepted connections inherit it: without it, Nagle + delayed ACKs add ~40 ms per keep-alive call.
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        sock.bind((self._host, self._port))
        sock.listen(1024)
        self._port = sock.getsockname()[1]
        return sock

    def _uvicorn(self, log_level: str) -> uvicorn.Server:
        config = uvicorn.Config(
            build_app(self.platform), log_level=log_level, access_log=False, lifespan="off"
        )
        return uvicorn.Server(config)

    def start(self) -> SimulatorServer:
        sock = self._bind()
        self._server = self._uvicorn("critical")
        self._server.config.install_signal_handlers = False  # type: ignore[attr-defined]
        self._thread = threading.Thread(
            target=self._server.run, kwargs={"sockets": [sock]}, name="chorus-simulator", daemon=True
        )
        self._thread.start()
        deadline = time.monotonic() + 10
        while not self._server.started:
            if not self._thread.is_alive() or time.monotonic() > deadline:
                raise RuntimeError(f"the simulator could not start on {self.base_url}")
            time.sleep(0.01)
        return self

    def serve_forever(self, log_level: str = "info") -> None:
        """Serve in the foreground until interrupted (Ctrl+C)."""
        sock = self._bind()
        self._server = self._uvicorn(log_level)
        try:
            self._server.run(sockets=[sock])
        finally:
            self.platform.close()

    def stop(self) -> None:
        if self._admin:
            self._admin.close()
        if self._server and self._thread:
            self._server.should_exit = True
            self._thread.join(timeout=10)
        self.platform.close()

    def __enter__(self) -> SimulatorServer:
        return self.start()

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()

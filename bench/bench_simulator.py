"""Requests per second of the simulator on one core: consulterCRDetaille and deposer/flux (1-page Factur-X).

The simulator runs in its own process pinned to CPU 0; the load comes from this process pinned to CPU 1,
over keep-alive HTTP connections from a few threads. Also measured: how long the platform takes to
integrate the deposited fluxes once the clock is advanced (file reading, XSD, rules), per flux.

    .venv/bin/python bench/bench_simulator.py [--seconds 5] [--threads 4]
"""

from __future__ import annotations

import argparse
import base64
import json
import os
import socket
import subprocess
import sys
import threading
import time

import httpx

from chorus_connect.simulator.dataset import Dataset
from chorus_connect.simulator.samples import sample_facturx


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def start_server(port: int) -> subprocess.Popen:
    command = [
        sys.executable,
        "-m",
        "chorus_connect",
        "simulator",
        "serve",
        "--port",
        str(port),
        "--frozen-clock",
    ]
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    if hasattr(os, "sched_setaffinity") and os.cpu_count() and os.cpu_count() > 1:
        os.sched_setaffinity(process.pid, {0})
        os.sched_setaffinity(0, {1})
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            httpx.get(f"http://127.0.0.1:{port}/_simulator/clock", timeout=1)
            return process
        except httpx.TransportError:
            time.sleep(0.1)
    process.kill()
    raise SystemExit("the simulator did not start")


def headers_for(base: str, dataset: Dataset) -> dict[str, str]:
    application = dataset.main_application()
    account = dataset.supplier_account(dataset.main_supplier().structure_id)
    token = httpx.post(
        f"{base}/api/oauth/token",
        data={
            "grant_type": "client_credentials",
            "client_id": application.client_id,
            "client_secret": application.client_secret,
        },
    ).json()["access_token"]
    account_header = base64.b64encode(f"{account.login}:{account.password}".encode()).decode()
    return {"Authorization": f"Bearer {token}", "cpro-account": account_header}


def hammer(base: str, headers: dict[str, str], path: str, bodies, seconds: float, threads: int) -> dict:
    """Send requests from `threads` keep-alive clients for `seconds`; count successes and errors."""
    stop = time.monotonic() + seconds
    counts = {"ok": 0, "errors": 0}
    lock = threading.Lock()

    def worker(index: int) -> None:
        ok = errors = 0
        with httpx.Client(base_url=base, headers=headers, timeout=30) as client:
            sequence = 0
            while time.monotonic() < stop:
                response = client.post(path, json=bodies(index, sequence))
                sequence += 1
                if response.status_code == 200:
                    ok += 1
                else:
                    errors += 1
        with lock:
            counts["ok"] += ok
            counts["errors"] += errors

    started = time.monotonic()
    pool = [threading.Thread(target=worker, args=(i,)) for i in range(threads)]
    for thread in pool:
        thread.start()
    for thread in pool:
        thread.join()
    elapsed = time.monotonic() - started
    return {**counts, "seconds": round(elapsed, 2), "requests_per_second": round(counts["ok"] / elapsed, 1)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--seconds", type=float, default=5.0)
    parser.add_argument("--threads", type=int, default=4)
    args = parser.parse_args()

    port = free_port()
    base = f"http://127.0.0.1:{port}"
    server = start_server(port)
    try:
        dataset = Dataset.model_validate_json(httpx.get(f"{base}/_simulator/dataset").content)
        headers = headers_for(base, dataset)
        supplier, recipient = dataset.main_supplier(), dataset.recipient_with()
        document = sample_facturx(
            supplier_siret=supplier.siret, recipient_siret=recipient.siret, number="B-0"
        )
        encoded = base64.b64encode(document).decode()

        def deposit_body(index: int, sequence: int) -> dict:
            # Same bytes each time (a unique number would need a new PDF per call: client-side cost).
            return {
                "fichierFlux": encoded,
                "nomFichier": f"B-{index}-{sequence}.pdf",
                "syntaxeFlux": "IN_DP_E2_CII_FACTURX",
            }

        deposits = hammer(
            base, headers, "/cpro/factures/v1/deposer/flux", deposit_body, args.seconds, args.threads
        )
        stats = httpx.get(f"{base}/_simulator/stats").json()
        pending = stats["fluxes"]
        started = time.perf_counter()
        httpx.post(f"{base}/_simulator/clock/advance", json={"seconds": 10}, timeout=600)
        integration_seconds = time.perf_counter() - started

        flux = httpx.post(
            f"{base}/cpro/factures/v1/deposer/flux", headers=headers, json=deposit_body(99, 0)
        ).json()["numeroFluxDepot"]
        reports = hammer(
            base,
            headers,
            "/cpro/transverses/v1/consulterCRDetaille",
            lambda index, sequence: {"numeroFluxDepot": flux},
            args.seconds,
            args.threads,
        )
        result = {
            "server_cpu": "1 core (pinned)" if hasattr(os, "sched_setaffinity") else "unpinned",
            "client_threads": args.threads,
            "facturx_bytes": len(document),
            "deposer_flux": deposits,
            "consulterCRDetaille": reports,
            "integration": {
                "fluxes": pending,
                "seconds": round(integration_seconds, 2),
                "ms_per_flux": round(1000 * integration_seconds / max(pending, 1), 2),
            },
        }
        print(json.dumps(result, indent=2))
    finally:
        server.terminate()
        server.wait(timeout=10)


if __name__ == "__main__":
    main()

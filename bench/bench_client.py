"""Benchmark of the Chorus Pro client against the embedded simulator, in one run:

1. calls per second through ``ChorusClient`` and through raw ``httpx`` sending the very same requests
   (same URL, headers and JSON body, same keep-alive connection pool), one thread; the ratio is the
   client's overhead (models, validation, token cache, logging, error reading);
2. the time to read 1,000 invoices through the paged supplier search (``iter_supplier_invoices``).

Run: ``.venv/bin/python bench/bench_client.py [--calls 400] [--invoices 1000]``
"""

from __future__ import annotations

import argparse
import json
import statistics
import time
from collections.abc import Callable

import httpx

from chorus_connect.api import ChorusClient, Credentials, Environment
from chorus_connect.api.models.factures import DepositFluxRequest
from chorus_connect.simulator import SimulatorConfig, SimulatorServer
from chorus_connect.simulator.samples import sample_batch, sample_cii

JSON = "application/json;charset=utf-8"
MAX_FILES_PER_ARCHIVE = 500


def rate(action: Callable[[], object], calls: int, rounds: int = 3) -> float:
    """Best-of-``rounds`` calls per second (the best round is the least disturbed by the machine)."""
    best = 0.0
    for _ in range(rounds):
        started = time.perf_counter()
        for _ in range(calls):
            action()
        best = max(best, calls / (time.perf_counter() - started))
    return best


def raw_caller(sim: SimulatorServer, credentials: Credentials, path: str, body: dict) -> Callable[[], object]:
    """The client's request by hand: token once, then POST with both headers; check codeRetour."""
    http = httpx.Client(timeout=60)
    token = http.post(
        sim.token_url,
        data={
            "grant_type": "client_credentials",
            "client_id": credentials.client_id,
            "client_secret": credentials.client_secret,
            "scope": "openid",
        },
    ).json()["access_token"]
    headers = {
        "Authorization": f"Bearer {token}",
        "cpro-account": credentials.cpro_account,
        "Content-Type": JSON,
        "Accept": JSON,
    }
    url = f"{sim.base_url}{path}"
    content = json.dumps(body).encode()

    def call() -> object:
        response = http.post(url, content=content, headers=headers)
        response.raise_for_status()
        payload = response.json()
        assert payload["codeRetour"] == 0
        return payload

    return call


def deposit_invoices(sim: SimulatorServer, client: ChorusClient, count: int) -> float:
    """Deposit ``count`` invoices in archives of at most 500 files (Chorus Pro's limit per archive)."""
    supplier = sim.dataset.main_supplier().siret
    recipient = sim.dataset.recipient_with().siret
    started = time.perf_counter()
    fluxes = []
    for first in range(0, count, MAX_FILES_PER_ARCHIVE):
        numbers = range(first, min(count, first + MAX_FILES_PER_ARCHIVE))
        files = [
            (
                f"B{i:05d}.xml",
                sample_cii(number=f"B-{i:05d}", supplier_siret=supplier, recipient_siret=recipient),
            )
            for i in numbers
        ]
        request = DepositFluxRequest.from_bytes(
            sample_batch(files), file_name=f"bench-{first}.zip", syntax="IN_DP_E1_CII_16B"
        )
        fluxes.append(client.factures.deposit_flux(request).flux_number)
    sim.admin.advance_clock(10)  # integration happens on the simulator's clock
    for flux in fluxes:
        report = client.transverses.consult_detailed_report({"flux_number": flux})
        assert str(report.flux_status) == "IN_INTEGRE", report
    return time.perf_counter() - started


def paged_search(client: ChorusClient, page_size: int, expected: int, rounds: int = 3) -> list[float]:
    times = []
    for _ in range(rounds):
        started = time.perf_counter()
        count = sum(1 for _ in client.factures.iter_supplier_invoices(page_size=page_size))
        times.append(time.perf_counter() - started)
        assert count == expected, count
    return times


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=400, help="calls per measured round")
    parser.add_argument("--invoices", type=int, default=1000, help="invoices in the paged search")
    args = parser.parse_args()

    with SimulatorServer(SimulatorConfig(frozen_clock=True)) as sim:
        dataset = sim.dataset
        application = dataset.main_application()
        account = dataset.supplier_account(dataset.main_supplier().structure_id)
        credentials = Credentials(
            application.client_id, application.client_secret, account.login, account.password
        )
        client = ChorusClient(credentials, Environment.local(sim.base_url), rate_limit=None)

        results: dict[str, object] = {}
        cases = [
            (
                "recuperer/formatflux",
                "/cpro/transverses/v1/recuperer/formatflux",
                {},
                client.transverses.flux_formats,
            ),
            (
                "rechercher/fournisseur (10 per page)",
                "/cpro/factures/v1/rechercher/fournisseur",
                {"rechercheFactureParFournisseur": {"pageResultatDemandee": 1, "nbResultatsParPage": 10}},
                lambda: client.factures.search_supplier_invoices({"paging": {"page": 1, "page_size": 10}}),
            ),
        ]
        deposit_seconds = deposit_invoices(sim, client, args.invoices)
        print(f"Simulator at {sim.base_url}; {args.invoices} invoices deposited in {deposit_seconds:.2f} s")
        print(f"\n{'operation':<40}{'client calls/s':>16}{'raw httpx calls/s':>20}{'overhead':>10}")
        for label, path, body, through_client in cases:
            raw = raw_caller(sim, credentials, path, body)
            for warm in (through_client, raw):
                for _ in range(30):
                    warm()
            client_rate = rate(through_client, args.calls)
            raw_rate = rate(raw, args.calls)
            ratio = raw_rate / client_rate
            print(f"{label:<40}{client_rate:>16.0f}{raw_rate:>20.0f}{ratio:>9.2f}x")
            results[label] = {
                "client_per_s": round(client_rate),
                "raw_per_s": round(raw_rate),
                "ratio": round(ratio, 3),
            }

        print(f"\nPaged supplier search over {args.invoices} invoices (best / median of 3):")
        for page_size in (100, 500):
            times = paged_search(client, page_size, args.invoices)
            pages = -(-args.invoices // page_size)
            best, median = min(times), statistics.median(times)
            print(f"  page size {page_size:>4} ({pages:>2} pages): {best:.3f} s / {median:.3f} s")
            results[f"search_{args.invoices}_page_{page_size}_s"] = round(min(times), 3)
        client.close()
    print("\n" + json.dumps(results))


if __name__ == "__main__":
    main()

"""The worker loop: several processes on PostgreSQL sharing the work, graceful stops, `--once`."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from collections import Counter
from pathlib import Path

import pytest
from conftest import TEST_SETTINGS, drop_schema, new_schema_url
from engine_helpers import add_structure, invoice_data, prepare

from chorus_connect.engine.service import Engine
from chorus_connect.simulator import SimulatorConfig, SimulatorServer
from chorus_connect.store import DepositState, InvoiceStatus, Store

WORKER = [sys.executable, "-m", "chorus_connect", "worker", "run"]


def _start(url: str, key: str, log: Path, *options: str) -> subprocess.Popen:
    env = {**os.environ, "CHORUS_SECRET_KEY": key}
    with log.open("ab") as sink:
        return subprocess.Popen([*WORKER, "--store", url, *options], env=env, stdout=sink, stderr=sink)


@pytest.mark.slow
@pytest.mark.postgres
@pytest.mark.timeout(900)  # above the 600 s deadline below, so a stall fails with its own diagnosis
def test_four_workers_on_postgresql_deposit_1000_invoices_once_and_follow_them_to_the_end(
    tmp_path, secret_key
):
    schema, url = new_schema_url()
    workers: list[subprocess.Popen] = []
    started = time.monotonic()
    try:
        with SimulatorServer(SimulatorConfig(frozen_clock=True)) as sim:
            siret = sim.dataset.main_supplier().siret
            store = Store.open(url, secret_key=secret_key, environ={})
            structure_id = add_structure(store, sim)
            numbers = [f"MW-{i:04d}" for i in range(1000)]
            with Engine(store, settings=TEST_SETTINGS, actor="test") as engine:
                ids = prepare(
                    engine,
                    structure_id,
                    [
                        invoice_data(sim, n, scenario="REJETEE" if i % 10 == 0 else "PAYE")
                        for i, n in enumerate(numbers)
                    ],
                )
            prepared = time.monotonic() - started
            options = (
                "--lease-seconds",
                "30",
                "--timeout",
                "10",
                "--poll-interval",
                "0.2",
                "--sync-interval",
                "0.5",
            )
            for index in range(4):
                workers.append(
                    _start(url, secret_key, tmp_path / f"w{index}.log", "--worker-id", f"w{index}", *options)
                )
            stop = threading.Event()

            def platform() -> None:  # simulated time runs 2 h per 0.2 s: payments come within seconds
                while not stop.wait(0.2):
                    sim.admin.advance_clock(hours=2)

            clock = threading.Thread(target=platform, daemon=True)
            clock.start()
            try:
                deadline = time.monotonic() + 600  # generous: a loaded CI machine is several times slower
                while time.monotonic() < deadline and _unfinished(store) > 0:
                    assert all(w.poll() is None for w in workers), _logs(tmp_path)
                    time.sleep(0.5)
            finally:
                stop.set()
                clock.join()
            assert _unfinished(store) == 0, f"{_status_counts(store)}\n{_logs(tmp_path)}"
            for worker in workers:  # graceful stop
                worker.send_signal(signal.SIGTERM)
            codes = [worker.wait(timeout=30) for worker in workers]
            assert codes == [0, 0, 0, 0], _logs(tmp_path)

            stats = sim.admin.stats()
            assert stats["deposits_by_supplier"][siret] == 1000
            assert stats["invoice_numbers_by_supplier"][siret] == sorted(numbers)
            with store.read() as tx:
                records = [tx.invoices.get(i) for i in ids]
                finals = Counter(r.chorus_status for r in records)
                assert all(r.is_terminal for r in records)
                assert finals == {"MISE_EN_PAIEMENT": 900, "REJETEE": 100}
                attempts = [tx.deposits.attempts(invoice_id=r.id) for r in records]
                assert all([a.state for a in per] == [DepositState.CONFIRMED] for per in attempts)
                by_worker = Counter(per[0].worker for per in attempts)
            assert len(by_worker) >= 2, by_worker  # the claims did spread the work
            store.close()
            print(
                f"\n4 workers / PostgreSQL / 1000 invoices: prepared in {prepared:.1f} s, deposited and "
                f"followed to the end in {time.monotonic() - started - prepared:.1f} s; "
                f"deposits per worker {dict(by_worker)}"
            )
    finally:
        for worker in workers:
            if worker.poll() is None:
                worker.kill()
        drop_schema(schema)


def _unfinished(store: Store) -> int:
    with store.read() as tx:
        return sum(c.count for c in tx.invoices.status_counts() if not _finished(c))


def _status_counts(store: Store) -> dict[str, int]:
    with store.read() as tx:
        return {f"{c.status}/{c.chorus_status}": c.count for c in tx.invoices.status_counts()}


def _finished(count: object) -> bool:
    return getattr(count, "chorus_status", None) in ("MISE_EN_PAIEMENT", "REJETEE")


def _logs(tmp_path: Path) -> str:
    return "\n".join(p.read_text(errors="replace")[-2000:] for p in sorted(tmp_path.glob("w*.log")))


def test_sigterm_stops_the_worker_after_the_item_in_hand(sqlite_url, secret_key, sim, tmp_path):
    store = Store.open(sqlite_url, secret_key=secret_key, environ={})
    structure_id = add_structure(store, sim)
    with Engine(store, settings=TEST_SETTINGS, actor="test") as engine:
        ids = prepare(engine, structure_id, [invoice_data(sim, f"SG-{i:02d}") for i in range(30)])
    sim.admin.set_faults(latency_ms=300, latency_after_processing=True)
    log = tmp_path / "worker.log"
    worker = _start(sqlite_url, secret_key, log, "--poll-interval", "0.1", "--no-sync", "--log-level", "info")
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline and "engine.deposit.sent" not in log.read_text():
        time.sleep(0.1)
    worker.send_signal(signal.SIGTERM)
    assert worker.wait(timeout=10) == 0
    text = log.read_text()
    assert "stopping after the current item" in text and "stopped after" in text
    with store.read() as tx:
        statuses = Counter(tx.invoices.get(i).status for i in ids)
        assert not tx.deposits.unresolved()  # the deposit in hand was recorded before leaving
    assert statuses[InvoiceStatus.DEPOSITED] >= 1 and statuses[InvoiceStatus.QUEUED] >= 1
    assert InvoiceStatus.DEPOSITING not in statuses
    store.close()


def test_worker_once_deposits_what_is_queued_and_exits(sqlite_url, secret_key, sim, tmp_path):
    store = Store.open(sqlite_url, secret_key=secret_key, environ={})
    structure_id = add_structure(store, sim)
    with Engine(store, settings=TEST_SETTINGS, actor="test") as engine:
        ids = prepare(engine, structure_id, [invoice_data(sim, f"ON-{i}") for i in range(3)])
    env = {**os.environ, "CHORUS_SECRET_KEY": secret_key}
    done = subprocess.run(
        [*WORKER, "--store", sqlite_url, "--once", "--json"], env=env, capture_output=True, timeout=60
    )
    assert done.returncode == 0, done.stderr.decode()
    assert '"deposited": 3' in done.stdout.decode()
    with store.read() as tx:
        assert {tx.invoices.get(i).status for i in ids} == {InvoiceStatus.DEPOSITED}
    store.close()


def test_a_paused_structure_is_left_alone(engine, store, sim, structure_id):
    [invoice_id] = prepare(engine, structure_id, [invoice_data(sim, "PA-1")])
    with store.transaction() as tx:
        tx.structures.update(structure_id, {"is_active": False})
    assert engine.deposit_now().deposits == {}
    with store.transaction() as tx:
        tx.structures.update(structure_id, {"is_active": True})
    assert engine.deposit_now().deposits == {"deposited": 1}
    with store.read() as tx:
        assert tx.invoices.get(invoice_id).status == InvoiceStatus.DEPOSITED

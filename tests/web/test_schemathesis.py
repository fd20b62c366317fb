"""Schemathesis generates requests from the OpenAPI description (valid and invalid ones) for every
operation of the API, sent with a valid API key to the ASGI app: none may end in a server error (5xx),
and every answer's media type must be one the description documents.

(Schemathesis's ``from_fixture`` pytest helper does not run on this pytest version, so the operations
are listed once at collection and each is driven through Hypothesis with the operation's strategy.)
"""

from __future__ import annotations

import datetime as dt

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import content_type_conformance
from web_helpers import bearer

from chorus_connect.store import ReceivedInvoiceData, Store, generate_key
from chorus_connect.web import create_app

MAX_EXAMPLES = 12  # per operation: the whole run stays well under a minute on the 2-core machine


def _operations() -> list[tuple[str, str]]:
    store = Store.open("sqlite://", secret_key=generate_key(), environ={})
    try:
        schema = schemathesis.openapi.from_asgi("/api/v1/openapi.json", create_app(store))
        return [(op.ok().method.upper(), op.ok().path) for op in schema.get_all_operations()]
    finally:
        store.close()


OPERATIONS = _operations()


def test_every_operation_is_fuzzed():
    assert len(OPERATIONS) >= 20


def real_ids(store, world, path: str) -> dict[str, int]:
    """Ids of objects that exist, so that generated bodies and queries also reach real invoices."""
    with store.transaction() as tx:
        invoice = tx.invoices.add(world.a, world.invoice_data("S-0001")).id
        received, _ = tx.received.upsert(
            world.p,
            ReceivedInvoiceData(chorus_invoice_id=31337, number="R-1", issue_date=dt.date(2026, 11, 3)),
        )
    ids = {"structure_id": world.p if "received" in path else world.a, "invoice_id": invoice}
    ids["received_id"] = received.id
    return {name: value for name, value in ids.items() if "{" + name + "}" in path}


@pytest.mark.parametrize(("method", "path"), OPERATIONS, ids=[f"{m} {p}" for m, p in OPERATIONS])
def test_no_server_error(app, world, store, method, path):
    operation = schemathesis.openapi.from_asgi("/api/v1/openapi.json", app)[path][method]
    real = real_ids(store, world, path)
    strategies = [
        operation.as_strategy(GenerationMode.POSITIVE),
        operation.as_strategy(GenerationMode.NEGATIVE),
    ]
    if real:
        strategies.append(operation.as_strategy(GenerationMode.POSITIVE, path_parameters=real))
    strategy = st.one_of(strategies)
    headers = bearer(world.key_a)

    @given(case=strategy)
    @settings(
        max_examples=MAX_EXAMPLES, deadline=None, derandomize=True, suppress_health_check=list(HealthCheck)
    )
    def run(case: schemathesis.Case) -> None:
        case.call_and_validate(headers=headers, checks=[not_a_server_error, content_type_conformance])

    run()

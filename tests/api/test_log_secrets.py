"""A whole session of calls logged at DEBUG (httpx and httpcore included) leaks no secret."""

from __future__ import annotations

import logging

import pytest
from api_helpers import one_invoice

from chorus_connect.api import ChorusError, Credentials
from chorus_connect.api.models.factures import DepositFluxRequest


def _session(sim, make_client, credentials: Credentials) -> list[ChorusError]:
    """Exercise every logging path: token, calls, retries, renewal, business errors, outcome unknown."""
    errors: list[ChorusError] = []
    client = make_client(credentials)
    client.transverses.health_check()
    client.factures.deposit_flux(
        DepositFluxRequest.from_bytes(
            one_invoice(sim, "LOG-1"), file_name="log.xml", syntax="IN_DP_E1_CII_16B"
        )
    )
    sim.admin.advance_clock(10)
    list(client.factures.iter_supplier_invoices(page_size=1))
    sim.admin.revoke_tokens()
    client.structures.consult(sim.dataset.main_supplier().structure_id)
    sim.admin.set_faults(error_burst_status=503, error_burst_count=2)
    client.transverses.currencies()
    sim.admin.set_faults(
        drop_after_processing_operations=["deposerFluxFacture"], drop_after_processing_count=1
    )
    attempts = [
        lambda: client.factures.deposit_flux(
            DepositFluxRequest.from_bytes(
                one_invoice(sim, "LOG-2"), file_name="log2.xml", syntax="IN_DP_E1_CII_16B"
            )
        ),
        lambda: client.factures.consult_supplier_invoice({"invoice_id": 999999}),
        lambda: make_client(
            _with(credentials, technical_password="wrong-password-1")
        ).transverses.health_check(),
        lambda: make_client(_with(credentials, client_secret="wrong-secret-1")).transverses.health_check(),
    ]
    for attempt in attempts:
        with pytest.raises(ChorusError) as caught:
            attempt()
        errors.append(caught.value)
    return errors


def _with(credentials: Credentials, **changes: str) -> Credentials:
    fields = {
        "client_id": credentials.client_id,
        "client_secret": credentials.client_secret,
        "technical_login": credentials.technical_login,
        "technical_password": credentials.technical_password,
    }
    return Credentials(**{**fields, **changes})


def test_no_secret_reaches_the_logs_or_the_errors_at_debug_level(
    sim, make_client, supplier_credentials, caplog
):
    with caplog.at_level(logging.DEBUG):
        errors = _session(sim, make_client, supplier_credentials)

    used = [
        supplier_credentials,
        _with(supplier_credentials, technical_password="wrong-password-1"),
        _with(supplier_credentials, client_secret="wrong-secret-1"),
    ]
    secrets = {value for credentials in used for value in credentials.secret_values()}
    tokens = set(sim.platform.state.tokens)  # every bearer token the simulator issued in the session
    assert len(tokens) >= 3  # first token, the one after revocation, the wrong-password client's
    secrets |= tokens

    records = caplog.records
    assert any(r.name.startswith("httpcore") for r in records)  # the transport's own DEBUG logs are in
    assert any(getattr(r, "chorus_event", "") == "chorus.api.outcome_unknown" for r in records)
    assert any(getattr(r, "chorus_event", "") == "chorus.api.token.renew" for r in records)
    assert any(getattr(r, "chorus_event", "") == "chorus.api.retry" for r in records)
    for record in records:
        rendered = " ".join([record.getMessage(), repr(record.args), repr(vars(record))])
        leaked = [s for s in secrets if s in rendered]
        assert not leaked, f"secret in log record {record.name}: {record.getMessage()[:200]}"
    for error in errors:
        rendered = " ".join([str(error), repr(error), repr(vars(error))])
        assert not [s for s in secrets if s in rendered], f"secret in {type(error).__name__}"

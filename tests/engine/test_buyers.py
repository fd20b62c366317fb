"""Public buyers against the real simulator over HTTP, on SQLite and PostgreSQL: sync (paging, the empty
answer, increments), download kept in the store, approve / suspend / reject through traiter/recue, and the
errors that stop a bad action before any call."""

from __future__ import annotations

import datetime as dt
import io
import zipfile
from decimal import Decimal

import pytest
from buyers_helpers import (  # noqa: F401  (the *_fixture names are fixtures)
    add_public_buyer,
    database_url_fixture,
    piste_for,
    platform_status,
    put_invoice,
    secret_key_fixture,
    sim_fixture,
    store_fixture,
)

from chorus_connect.api import ChorusClient, Credentials, Environment
from chorus_connect.api.models.factures import DepositFluxRequest
from chorus_connect.engine.buyers import BuyerError, ReceivedInvoices, ReceivedInvoiceView
from chorus_connect.simulator.samples import sample_cii
from chorus_connect.simulator.workflow import change_status
from chorus_connect.store import EnvironmentName, NewStructure, NotFoundError, ReceivedInvoice
from chorus_connect.store.repositories.cursors import RECEIVED_INVOICES


def requests(sim, operation: str) -> int:
    return int(sim.admin.stats()["requests_by_operation"].get(operation, 0))


@pytest.fixture
def buyer(store, sim) -> int:
    with store.transaction(actor="test") as tx:
        return add_public_buyer(tx, sim)


@pytest.fixture
def desk(store) -> ReceivedInvoices:
    return ReceivedInvoices(store, actor="alice")


def received_rows(store) -> list[ReceivedInvoiceView]:
    """Every received invoice of the store, whatever its structure."""
    with store.read() as tx:
        rows = tx.session.query(ReceivedInvoice).order_by(ReceivedInvoice.chorus_invoice_id)
        return [ReceivedInvoiceView.of(row) for row in rows]


# --- sync -------------------------------------------------------------------------------------------------


def test_nothing_received_is_an_empty_list_not_an_error(store, sim, buyer, desk):
    report = desk.sync(buyer)
    assert (report.seen, report.created, report.updated) == (0, 0, 0)
    assert requests(sim, "rechercherFactureParRecipiendaire") == 1  # codeRetour 20000 ends the paging
    with store.read() as tx:
        assert tx.cursors.find(buyer, RECEIVED_INVOICES).last_synced_at is not None
    assert desk.list(buyer) == []


def test_sync_reads_every_page_and_only_this_structures_invoices(store, sim, buyer, desk):
    own = [put_invoice(sim) for _ in range(230)]
    # The recipient account also receives for two other structures: their invoices must stay out.
    account = sim.dataset.recipient_account(sim.dataset.recipient_with().structure_id)
    other = next(s for s in account.structure_ids if s != sim.dataset.recipient_with().structure_id)
    put_invoice(sim, other)

    report = desk.sync(buyer)

    assert (report.seen, report.created, report.updated) == (230, 230, 0)
    assert requests(sim, "rechercherFactureParRecipiendaire") == 3  # 100 + 100 + 30, never one per invoice
    rows = received_rows(store)
    assert [r.chorus_invoice_id for r in rows] == [inv.invoice_id for inv in own]
    first = rows[0]
    supplier = sim.dataset.main_supplier()
    assert first.number == own[0].number
    assert first.supplier_name == supplier.name and first.supplier_identifier == supplier.siret
    assert first.amount_tax_inclusive == Decimal("1200.00") and first.amount_tax_exclusive == Decimal(
        "1000.00"
    )
    assert first.chorus_status == "MISE_A_DISPOSITION"
    assert abs(first.chorus_status_at - own[0].status_at) < dt.timedelta(milliseconds=1)
    assert first.chorus_status_at.utcoffset() == dt.timedelta(0)
    with store.read() as tx:
        # idStructureCPP found from the SIRET and kept for the next calls.
        assert tx.structures.get(buyer).chorus_structure_id == sim.dataset.recipient_with().structure_id


def test_later_syncs_read_only_the_recent_changes(store, sim, buyer, desk):
    invoices = [put_invoice(sim) for _ in range(5)]
    assert desk.sync(buyer).seen == 5

    sim.admin.advance_clock(days=3)
    with sim.platform.state.lock:  # decided on the Chorus Pro portal, not through the connector
        change_status(sim.platform, invoices[2], "SERVICE_FAIT", sim.platform.now(), "", "portail")
    newcomer = put_invoice(sim)
    second = desk.sync(buyer)
    # From the day of the newest change already seen (the filter is a day): that day is read again.
    assert second.since == invoices[0].status_at.date()
    assert (second.seen, second.created, second.updated) == (6, 1, 1)

    sim.admin.advance_clock(days=3)
    with sim.platform.state.lock:
        change_status(sim.platform, invoices[3], "REJETEE", sim.platform.now(), "Doublon", "portail")
    third = desk.sync(buyer)
    # Only what changed since the second sync's day: the 3 untouched invoices of the first day are not read.
    assert third.since == newcomer.status_at.date()
    assert (third.seen, third.created, third.updated) == (3, 0, 1)

    by_id = {r.chorus_invoice_id: r for r in received_rows(store)}
    assert by_id[invoices[2].invoice_id].chorus_status == "SERVICE_FAIT"
    assert by_id[invoices[3].invoice_id].chorus_status == "REJETEE"
    history = desk.history(by_id[invoices[2].invoice_id].id)
    assert [(h.source, h.chorus_status) for h in history] == [
        ("chorus", "MISE_A_DISPOSITION"),
        ("chorus", "SERVICE_FAIT"),
    ]
    # --full reads everything again, and changes nothing.
    again = desk.sync(buyer, full=True)
    assert (again.since, again.seen, again.created, again.updated) == (None, 6, 0, 0)


def test_list_filters_by_status_and_pages(store, sim, buyer, desk):
    for _ in range(4):
        put_invoice(sim)
    put_invoice(sim, status="SUSPENDUE")
    desk.sync(buyer)
    assert [v.chorus_status for v in desk.list(buyer, statuses=["suspendue"])] == ["SUSPENDUE"]
    assert len(desk.list(buyer, limit=3)) == 3 and len(desk.list(buyer, limit=3, offset=3)) == 2
    assert desk.list("quimper", limit=1)[0].as_dict()["amount_tax_inclusive"] == "1200.00"


# --- download ---------------------------------------------------------------------------------------------


def test_download_is_kept_in_the_store_and_served_again_without_a_call(store, sim, buyer, desk):
    invoice = put_invoice(sim)
    desk.sync(buyer)
    [view] = desk.list(buyer)

    first = desk.download(view.id)
    again = desk.download(view.id)

    assert not first.from_store and again.from_store
    assert first.content == again.content and first.media_type == "application/zip"
    assert first.file_name == f"{invoice.number}_{invoice.invoice_id}.zip"
    with zipfile.ZipFile(io.BytesIO(first.content)) as archive:
        [name] = archive.namelist()
        assert archive.read(name) == b"%PDF-1.7 invoice " + str(invoice.invoice_id).encode()
    assert requests(sim, "telechargerGroupeFacture") == 1
    assert desk.get(view.id).has_file and desk.get(view.id).downloaded_at is not None
    assert sim.platform.state.invoices[invoice.invoice_id].downloaded_by_recipient

    desk.download(view.id, refresh=True)
    assert requests(sim, "telechargerGroupeFacture") == 2


# --- decisions --------------------------------------------------------------------------------------------


def test_approve_up_to_payment_with_the_mandate_number(store, sim, buyer, desk):
    invoice = put_invoice(sim)
    desk.sync(buyer)
    [view] = desk.list(buyer)

    assert desk.approve(view.id).new_status == "SERVICE_FAIT"
    assert platform_status(sim, invoice.invoice_id) == "SERVICE_FAIT"
    mandated = desk.approve(view.id, status="mandatee", mandate_number="DP-2026-77")
    assert mandated.previous_status == "SERVICE_FAIT" and mandated.invoice.chorus_status == "MANDATEE"
    assert sim.platform.state.invoices[invoice.invoice_id].mandate_number == "DP-2026-77"
    desk.approve(view.id, status="MISE_EN_PAIEMENT")
    assert platform_status(sim, invoice.invoice_id) == "MISE_EN_PAIEMENT"

    history = desk.history(view.id)
    assert [(h.source, h.chorus_status) for h in history] == [
        ("chorus", "MISE_A_DISPOSITION"),
        ("user", "SERVICE_FAIT"),
        ("user", "MANDATEE"),
        ("user", "MISE_EN_PAIEMENT"),
    ]
    assert "DP-2026-77" in (history[2].comment or "") and history[2].actor == "alice"
    # The next sync sees what was decided: nothing to change, no duplicate history line.
    assert desk.sync(buyer, full=True).updated == 0
    assert len(desk.history(view.id)) == 4


def test_suspend_and_reject_carry_the_motif_to_chorus_pro(store, sim, buyer, desk):
    suspended, rejected = put_invoice(sim), put_invoice(sim)
    desk.sync(buyer)
    ids = {v.chorus_invoice_id: v.id for v in desk.list(buyer)}

    desk.suspend(ids[suspended.invoice_id], "  Bon de livraison manquant ")
    desk.reject(ids[rejected.invoice_id], "Facture adressée au mauvais service")

    platform = sim.platform.state.invoices
    assert (platform[suspended.invoice_id].status, platform[suspended.invoice_id].status_comment) == (
        "SUSPENDUE",
        "Bon de livraison manquant",
    )
    assert platform[rejected.invoice_id].status == "REJETEE"
    assert desk.history(ids[rejected.invoice_id])[-1].comment == "Facture adressée au mauvais service"
    # Chorus refuses SERVICE_FAIT from SUSPENDUE: the error says what it allows, nothing is recorded.
    with pytest.raises(BuyerError) as refused:
        desk.approve(ids[suspended.invoice_id])
    assert "REJETEE" in refused.value.fix and "SUSPENDUE" in refused.value.fix
    assert desk.get(ids[suspended.invoice_id]).chorus_status == "SUSPENDUE"


@pytest.mark.parametrize("action", ["suspend", "reject"])
def test_a_motif_is_required_and_checked_before_any_call(store, sim, buyer, desk, action):
    invoice = put_invoice(sim)
    desk.sync(buyer)
    [view] = desk.list(buyer)
    with pytest.raises(BuyerError, match="motif is mandatory"):
        getattr(desk, action)(view.id, "   ")
    assert requests(sim, "traiterFactureRecue") == 0
    assert platform_status(sim, invoice.invoice_id) == "MISE_A_DISPOSITION"
    assert len(desk.history(view.id)) == 1


def test_bad_decisions_are_refused_before_any_call(store, sim, buyer, desk):
    put_invoice(sim)
    desk.sync(buyer)
    [view] = desk.list(buyer)
    with pytest.raises(BuyerError, match="goes with MANDATEE"):
        desk.approve(view.id, mandate_number="DP-1")
    with pytest.raises(BuyerError, match="not an approval status"):
        desk.approve(view.id, status="REJETEE")
    with pytest.raises(BuyerError, match="not a status a recipient can set"):
        desk.process(view.id, "DEPOSEE")
    desk.reject(view.id, "Doublon de la facture FA-1")
    calls = requests(sim, "traiterFactureRecue")
    with pytest.raises(BuyerError, match="final status"):
        desk.approve(view.id, status="MISE_EN_PAIEMENT")
    assert requests(sim, "traiterFactureRecue") == calls


def test_a_lost_answer_is_settled_by_asking_chorus_pro(store, sim, buyer, desk):
    applied, not_applied = put_invoice(sim), put_invoice(sim)
    desk.sync(buyer)
    ids = {v.chorus_invoice_id: v.id for v in desk.list(buyer)}

    # Processed, then the connection drops: the client cannot know; the buyer desk asks and records it.
    sim.admin.set_faults(
        drop_after_processing_operations=["traiterFactureRecue"], drop_after_processing_count=1
    )
    treatment = desk.approve(ids[applied.invoice_id])
    assert treatment.invoice.chorus_status == "SERVICE_FAIT"
    assert platform_status(sim, applied.invoice_id) == "SERVICE_FAIT"

    # A 503 before processing: not applied, and said so (nothing recorded).
    sim.admin.set_faults(error_burst_status=503, error_burst_count=1)
    with pytest.raises(BuyerError, match="was not applied"):
        desk.approve(ids[not_applied.invoice_id])
    sim.admin.clear_faults()
    assert desk.get(ids[not_applied.invoice_id]).chorus_status == "MISE_A_DISPOSITION"
    assert platform_status(sim, not_applied.invoice_id) == "MISE_A_DISPOSITION"


# --- wrong structures -------------------------------------------------------------------------------------


def test_a_supplier_or_unknown_structure_is_refused_clearly(store, sim, desk):
    supplier = sim.dataset.main_supplier()
    account = sim.dataset.supplier_account(supplier.structure_id)
    with store.transaction(actor="test") as tx:
        tx.structures.add(
            NewStructure(
                name="atelier",
                environment=EnvironmentName.LOCAL,
                siret=supplier.siret,
                technical_login=account.login,
                technical_password=account.password,
                piste=piste_for(sim),
            )
        )
    with pytest.raises(BuyerError, match="is a supplier"):
        desk.sync("atelier")
    with pytest.raises(NotFoundError, match="'nowhere'"):
        desk.sync("nowhere")
    with pytest.raises(NotFoundError):
        desk.approve(999)


def test_a_wrong_siret_names_what_the_account_receives_for_and_changes_nothing(store, sim, desk):
    with store.transaction(actor="test") as tx:
        buyer = add_public_buyer(tx, sim, siret="00000000099999")
    put_invoice(sim)
    with pytest.raises(BuyerError) as error:
        desk.sync(buyer)
    assert "00000000099999" in error.value.message
    assert sim.dataset.recipient_with().siret in error.value.message  # what it does receive for
    assert "--siret" in error.value.fix
    assert received_rows(store) == []
    with store.read() as tx:
        assert tx.structures.get(buyer).chorus_structure_id is None
        assert tx.cursors.find(buyer, RECEIVED_INVOICES) is None


# --- the whole way, from a real deposit -------------------------------------------------------------------


def test_an_invoice_deposited_by_a_supplier_is_received_downloaded_and_approved(store, sim, buyer, desk):
    dataset = sim.dataset
    supplier, recipient = dataset.main_supplier(), dataset.recipient_with()
    account, application = dataset.supplier_account(supplier.structure_id), dataset.main_application()
    document = sample_cii(number="FA-E2E-001", supplier_siret=supplier.siret, recipient_siret=recipient.siret)
    sim.admin.set_scenario("FA-E2E-001", "SANS_SUITE")  # the recipient does not act by itself
    credentials = Credentials(
        application.client_id, application.client_secret, account.login, account.password
    )
    with ChorusClient(credentials, Environment.local(sim.base_url)) as supplier_client:
        supplier_client.factures.deposit_flux(
            DepositFluxRequest.from_bytes(document, file_name="FA-E2E-001.xml", syntax="IN_DP_E1_CII_16B")
        )
    sim.admin.advance_clock(seconds=30)  # integration, then routing to the recipient

    assert desk.sync(buyer).created == 1
    [view] = desk.list(buyer)
    assert (view.number, view.chorus_status) == ("FA-E2E-001", "MISE_A_DISPOSITION")
    assert view.amount_tax_inclusive == Decimal("1200.00")
    with zipfile.ZipFile(io.BytesIO(desk.download(view.id).content)) as archive:
        assert archive.read(archive.namelist()[0]) == document
    desk.approve(view.id)
    assert platform_status(sim, view.chorus_invoice_id) == "SERVICE_FAIT"

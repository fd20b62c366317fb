"""Every operation of the client over real HTTP against the simulator."""

from __future__ import annotations

import base64
import io
import zipfile

import pytest
from api_helpers import invoice_batch, one_invoice

from chorus_connect.api import BusinessError, NotAttachedToStructureError
from chorus_connect.api import engagements as engagements_api
from chorus_connect.api import factures as factures_api
from chorus_connect.api import structures as structures_api
from chorus_connect.api import transverses as transverses_api
from chorus_connect.api import travaux as travaux_api
from chorus_connect.api import utilisateurs as utilisateurs_api
from chorus_connect.api.models import FluxStatus, InvoiceStatus
from chorus_connect.api.models.factures import DepositFluxRequest, DepositPdfRequest
from chorus_connect.api.models.transverses import AddFileRequest
from chorus_connect.simulator.registry import load_all_operations

CLIENT_OPERATIONS = [
    *factures_api.OPERATIONS,
    *transverses_api.OPERATIONS,
    *structures_api.OPERATIONS,
    *utilisateurs_api.OPERATIONS,
    *engagements_api.OPERATIONS,
    *travaux_api.OPERATIONS,
]
# Deprecated services the simulator still declares only to name their replacement (reference §2.2).
DEPRECATED = {"recupererStructuresPourUtilisateur", "rechercherServiceExecutant", "detacherPieceJointe"}
MINIMAL_PDF = b"%PDF-1.7\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n"


def test_the_client_has_an_operation_for_every_route_the_simulator_serves():
    client_routes = {(op.method, op.url_path): op for op in CLIENT_OPERATIONS}
    for (method, path), simulated in load_all_operations().items():
        if simulated.name in DEPRECATED:
            continue
        assert (method, path) in client_routes, f"no client operation for {method} {path} ({simulated.name})"
        # What changes state on the platform must never be resent blindly by the client.
        assert client_routes[(method, path)].idempotent is not simulated.state_changing, simulated.name


def _deposit(sim, supplier, count: int, prefix: str) -> list:
    deposit = supplier.factures.deposit_flux(
        DepositFluxRequest.from_bytes(
            invoice_batch(sim, count, prefix), file_name=f"{prefix}.zip", syntax="IN_DP_E1_CII_16B"
        )
    )
    assert deposit.flux_number and deposit.flux_number.startswith("CPP")
    sim.admin.advance_clock(10)
    report = supplier.transverses.consult_detailed_report({"flux_number": deposit.flux_number})
    assert report.flux_status is FluxStatus.IN_INTEGRE
    assert report.invoice_errors == []
    invoices = list(
        supplier.factures.iter_supplier_invoices({"flux_number": deposit.flux_number}, page_size=3)
    )
    assert sorted(i.invoice_number for i in invoices) == [f"{prefix}-{n:05d}" for n in range(count)]
    return invoices


def test_supplier_invoice_life_cycle(sim, supplier, recipient):
    invoices = _deposit(sim, supplier, 4, "CYC")
    first, second, third = invoices[0], invoices[1], invoices[2]
    report = supplier.transverses.consult_report({"flux_number": first.flux_number})
    assert report.flux_status is FluxStatus.IN_INTEGRE
    detail = supplier.factures.consult_supplier_invoice({"invoice_id": first.invoice_id}).invoice
    assert detail.invoice_number == first.invoice_number
    assert detail.totals.total_ttc == first.amount_ttc
    history = supplier.factures.history({"invoice_id": first.invoice_id})
    assert history.current_status is InvoiceStatus.MISE_A_DISPOSITION
    assert [e.status for e in history.status_history.entries][-1] is InvoiceStatus.DEPOSEE

    # Recipient side: find the invoices, consult, suspend one, send one back for recycling, reject one.
    received = list(recipient.factures.iter_recipient_invoices(page_size=2))
    assert {i.invoice_id for i in invoices} <= {i.invoice_id for i in received}
    consulted = recipient.factures.consult_recipient_invoice({"invoice_id": first.invoice_id})
    assert consulted.invoice.invoice_id == first.invoice_id
    allowed = recipient.transverses.processing_statuses("MISE_A_DISPOSITION").statuses
    assert InvoiceStatus.SUSPENDUE in {s.status for s in allowed}
    suspended = recipient.factures.process_received(
        {"invoice_id": first.invoice_id, "new_status": "SUSPENDUE", "reason": "Bon de commande manquant"}
    )
    assert suspended.new_status is InvoiceStatus.SUSPENDUE
    recipient.factures.process_received(
        {"invoice_id": second.invoice_id, "new_status": "A_RECYCLER", "reason": "x"}
    )
    recipient.factures.process_received(
        {"invoice_id": third.invoice_id, "new_status": "REJETEE", "reason": "Doublon"}
    )

    # Supplier side: complete with an attachment, recycle, acknowledge the rejection.
    attachment = supplier.transverses.add_file(AddFileRequest.from_bytes(MINIMAL_PDF, file_name="bc.pdf"))
    assert attachment.attachment_id
    completed = supplier.factures.complete(
        {
            "invoice_id": first.invoice_id,
            "comment": "Bon de commande joint",
            "attachments": [{"attachment_id": attachment.attachment_id, "designation": "bc.pdf"}],
        }
    )
    assert completed.invoice_id == first.invoice_id
    assert (
        supplier.factures.history({"invoice_id": first.invoice_id}).current_status is InvoiceStatus.COMPLETEE
    )
    recycled = supplier.factures.recycle(
        {
            "invoice_id": second.invoice_id,
            "recipient": {"recipient_code": second.recipient_code},
            "comment": "ok",
        }
    )
    assert recycled.status is not None
    supplier.factures.acknowledge_rejections({"payment_requests": [{"payment_request_id": third.invoice_id}]})

    # Downloads.
    archive = supplier.factures.download({"invoices": [{"invoice_id": first.invoice_id}], "format": "PDF"})
    assert zipfile.ZipFile(io.BytesIO(archive.content())).namelist()
    document = supplier.transverses.download_attachment(
        {
            "object_type": "DEMANDE_PAIEMENT",
            "payment_request": {
                "listeFacture": [{"idFacture": first.invoice_id}],
                "format": "PDF",
                "avecPiecesJointesComplementaires": "NON",
            },
        }
    )
    assert document.content()  # the invoice's document as deposited
    requests = list(supplier.factures.iter_payment_requests(page_size=2))
    assert {r.payment_request_id for r in requests} >= {i.invoice_id for i in invoices}


def test_pdf_deposit_returns_an_attachment_id(supplier):
    response = supplier.factures.deposit_pdf(
        DepositPdfRequest.from_bytes(MINIMAL_PDF, file_name="facture.pdf")
    )
    assert response.attachment_id is not None


def test_submit_creates_an_invoice_from_data(sim, supplier):
    if ("POST", "/cpro/factures/v1/soumettre") not in load_all_operations():
        pytest.skip("the simulator does not serve soumettreFacture yet")
    supplier_structure = sim.dataset.main_supplier()
    response = supplier.factures.submit(
        {
            "invoice_number": "SOUM-1",
            "invoice_date": "2026-01-15",
            "recipient": {"recipient_code": sim.dataset.recipient_with().siret},
            "supplier": {"supplier_id": supplier_structure.structure_id},
            "billing_framework": {"code": "A1_FACTURE_FOURNISSEUR"},
            "totals": {"total_ht": 100, "total_vat": 20, "total_ttc": 120, "amount_due": 120},
        }
    )
    assert response.invoice_id


def test_validator_operations(supplier):
    assert supplier.factures.search_validator_invoices().invoices == []
    assert list(supplier.factures.iter_validator_invoices()) == []
    assert InvoiceStatus.A_VALIDER_1 in {
        s.code for s in supplier.factures.validator_visible_statuses().statuses
    }
    # The simulator has no validation circuit: these answer its business error, through the right routes.
    for call in (
        lambda: supplier.factures.consult_validator_invoice({"invoice_id": 1}),
        lambda: supplier.factures.process_invoice_to_validate({"invoice_id": 1, "action": "VALIDATION"}),
        lambda: supplier.factures.correct_validator({"invoice_id": 1, "structure_identifier": "1"}),
    ):
        with pytest.raises(BusinessError) as caught:
            call()
        assert caught.value.code == 20020


def test_code_lists(supplier):
    t = supplier.transverses
    assert t.health_check().status_code_value == 200
    assert {f.format for f in t.flux_formats().formats} >= {"IN_DP_E1_STRUCT", "IN_DP_E2_FACTURX"}
    assert "IN_DP_E2_CII_FACTURX" in {s.syntax for s in t.flux_syntaxes().syntaxes}
    assert "EUR" in {c.code for c in t.currencies().currencies}
    assert "FR" in {c.code for c in t.countries("EN").countries}
    assert "SAISIE_API" in {m.mode for m in t.deposit_modes().modes}
    assert "VIREMENT" in {m.mode for m in t.payment_modes().modes}
    assert "A1_FACTURE_FOURNISSEUR" in {f.code for f in t.billing_frameworks().frameworks}
    assert t.vat_rates().rates and t.vat_exemption_reasons().reasons
    assert t.refusal_reasons({"billing_framework": "A9_FACTURE_SOUSTRAITANT"}).reasons
    assert "FACTURE" in {x.type for x in t.payment_request_types().types}
    assert t.payment_request_states().states
    assert t.works_invoice_types().types
    assert "SIRET" in {x.type for x in t.identifier_types().types}
    assert t.attachment_types().types
    assert list(t.iter_support_categories(page_size=2))
    assert t.support_subcategories().subcategories


def test_structures_seen_by_the_account(sim, supplier, recipient):
    supplier_structure = sim.dataset.main_supplier()
    t = supplier.transverses
    active = t.active_supplier_structures().structures
    assert [s.structure_id for s in active] == [supplier_structure.structure_id]
    assert recipient.transverses.active_recipient_structures().structures
    assert t.active_works_structures().structures
    banks = t.valid_bank_accounts(supplier_structure.structure_id).bank_accounts
    assert banks and all(b.bank_account_id for b in banks)
    assert t.siret_information(supplier_structure.siret).company_name == supplier_structure.name
    public = sim.dataset.recipient_with()
    found = list(t.iter_recipients({"identifier": public.siret}))
    assert [r.structure_id for r in found] == [public.structure_id]
    assert zipfile.ZipFile(io.BytesIO(t.recipient_directory().content())).namelist()
    t.add_file(AddFileRequest.from_bytes(MINIMAL_PDF, file_name="piece.pdf"))
    assert [a.designation for a in t.iter_my_attachments()] == ["piece.pdf"]
    mine = t.search_structure_attachments({"structure_id": supplier_structure.structure_id})
    assert [a.designation for a in mine.attachments] == ["piece.pdf"]


def test_structures_api(sim, supplier):
    s = supplier.structures
    public = sim.dataset.recipient_with(engagement_required=True)
    hits = list(s.iter({"structure": {"identifier": public.siret, "kind": "PUBLIQUE"}}))
    assert [h.structure_id for h in hits] == [public.structure_id]
    all_public = list(s.iter({"structure": {"kind": "PUBLIQUE"}}, page_size=4))
    assert len(all_public) == len([x for x in sim.dataset.recipients()])
    consulted = s.consult(public.structure_id)
    assert consulted.settings.engagement_required is True
    services = list(s.iter_services(public.structure_id, page_size=2))
    assert "FACTURES_PUBLIQUES" in {v.code for v in services}
    service = s.consult_service(public.structure_id, services[0].service_id)
    assert service.general_info.code == services[0].code
    own = sim.dataset.main_supplier()
    links = list(s.iter_user_attachments({"structure_id": own.structure_id}))
    assert links
    assert s.search_spaces({"structure": {"structure_id": own.structure_id}}).spaces


def test_utilisateurs_and_engagements(sim, supplier):
    own = sim.dataset.main_supplier()
    attachments = list(supplier.utilisateurs.iter_my_attachments())
    assert [a.structure_id for a in attachments] == [own.structure_id]
    commitment = next(c for c in sim.dataset.commitments if c.supplier_structure_id == own.structure_id)
    found = list(
        supplier.engagements.iter({"receiving_structure": str(own.structure_id), "number": commitment.number})
    )
    assert [c.number for c in found] == [commitment.number]
    consulted = supplier.engagements.consult({"number": commitment.number})
    assert consulted.number == commitment.number
    assert consulted.amount is not None


def test_works_invoices(supplier):
    assert supplier.travaux.search().works_invoices == []  # codeRetour 20007 = no result, not an error
    assert list(supplier.travaux.iter()) == []
    for call in (
        lambda: supplier.travaux.submit({"works_invoice_number": "T1"}),
        lambda: supplier.travaux.recycle({"works_invoice_id": 1}),
        lambda: supplier.travaux.refuse({"works_invoice_id": 1, "reason": "x"}),
        lambda: supplier.travaux.suspend_or_request_completion({"works_invoice_id": 1}),
        lambda: supplier.travaux.request_previous_recycling({"works_invoice_id": 1}),
    ):
        with pytest.raises(BusinessError):
            call()


def test_no_result_codes_are_empty_results(recipient):
    response = recipient.factures.search_recipient_invoices({"invoice_number": "DOES-NOT-EXIST"})
    assert response.invoices == []
    assert response.return_code == 20000 and response.is_empty_result
    assert list(recipient.factures.iter_recipient_invoices({"invoice_number": "DOES-NOT-EXIST"})) == []


def test_a_business_error_keeps_code_and_label(supplier):
    with pytest.raises(BusinessError) as caught:
        supplier.factures.consult_supplier_invoice({"invoice_id": 987654})
    error = caught.value
    assert error.code == 20003
    assert error.label.startswith("GFT_MSG_00.003")
    assert "codeRetour 20003" in str(error) and "What to do" in str(error)


def test_not_attached_to_the_structure_is_told_apart(sim, supplier):
    other = next(
        s for s in sim.dataset.suppliers() if s.structure_id != sim.dataset.main_supplier().structure_id
    )
    with pytest.raises(NotAttachedToStructureError) as caught:
        supplier.transverses.valid_bank_accounts(other.structure_id)
    assert caught.value.code == 20004
    assert "not attached" in str(caught.value)


def test_a_deposit_one_invoice_at_a_time_is_searchable_by_number(sim, supplier):
    response = supplier.factures.deposit_flux(
        DepositFluxRequest.from_bytes(
            one_invoice(sim, "ONE-1"), file_name="one.xml", syntax="IN_DP_E1_CII_16B"
        )
    )
    sim.admin.advance_clock(10)
    found = list(supplier.factures.iter_supplier_invoices({"invoice_number": "ONE-1"}))
    assert [i.flux_number for i in found] == [response.flux_number]
    assert (
        base64.b64decode(DepositFluxRequest.from_bytes(b"x", file_name="a.xml", syntax="X").file_content)
        == b"x"
    )

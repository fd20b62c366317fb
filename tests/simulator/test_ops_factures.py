"""Factures API over real HTTP: every operation's response shape and at least one business error."""

import base64
import io
import zipfile

import pytest

from chorus_connect.simulator.samples import sample_batch, sample_cii, sample_facturx, sample_ubl

DEPOSIT = "factures/v1/deposer/flux"
REPORT = "transverses/v1/consulterCRDetaille"


def encode(content: bytes) -> str:
    return base64.b64encode(content).decode()


@pytest.fixture(scope="module")
def parties(sim):
    supplier = sim.dataset.main_supplier()
    return supplier, sim.dataset.recipient_with()


def deposit(session, content: bytes, name: str, syntax: str = "IN_DP_E2_CII_FACTURX") -> str:
    body = session.ok(DEPOSIT, {"fichierFlux": encode(content), "nomFichier": name, "syntaxeFlux": syntax})
    assert set(body) == {"codeRetour", "libelle", "numeroFluxDepot", "dateDepot", "syntaxeFlux"}
    assert body["syntaxeFlux"] == syntax and len(body["dateDepot"]) == 10
    return body["numeroFluxDepot"]


def integrated_invoice(sim, session, parties, number: str, scenario: str = "SANS_SUITE") -> dict:
    supplier, recipient = parties
    sim.admin.set_scenario(number, scenario)
    flux = deposit(
        session,
        sample_facturx(supplier_siret=supplier.siret, recipient_siret=recipient.siret, number=number),
        f"{number}.pdf",
    )
    sim.admin.advance_clock(10)
    found = session.ok("factures/v1/rechercher/fournisseur", {"numeroFluxDepot": flux})
    (invoice,) = found["listeFactures"]
    return invoice


@pytest.mark.parametrize(
    ("syntax", "build", "name", "interface"),
    [
        ("IN_DP_E2_CII_FACTURX", sample_facturx, "f.pdf", "FSO1117A"),
        ("IN_DP_E1_CII_16B", sample_cii, "f.xml", "FSO1106A"),
        ("IN_DP_E1_UBL_INVOICE", sample_ubl, "f.xml", "FSO1100A"),
    ],
)
def test_each_syntax_is_integrated_with_its_interface_code(
    sim, supplier_session, parties, syntax, build, name, interface
):
    supplier, recipient = parties
    content = build(supplier_siret=supplier.siret, recipient_siret=recipient.siret, number=f"S-{interface}")
    flux = deposit(supplier_session, content, name, syntax)
    assert flux[6:10] == interface[3:7]
    sim.admin.advance_clock(10)
    report = supplier_session.ok(REPORT, {"numeroFluxDepot": flux})
    assert report["etatCourantDepotFlux"] == "IN_INTEGRE"
    assert report["codeInterfaceDepotFlux"] == interface


def test_batch_with_one_bad_invoice_is_partially_integrated(sim, supplier_session, parties):
    supplier, recipient = parties
    good = sample_facturx(supplier_siret=supplier.siret, recipient_siret=recipient.siret, number="LOT-1")
    bad = sample_facturx(supplier_siret=supplier.siret, recipient_siret="00000000012345", number="LOT-2")
    flux = deposit(supplier_session, sample_batch([("LOT-1.pdf", good), ("LOT-2.pdf", bad)]), "lot.zip")
    sim.admin.advance_clock(10)
    report = supplier_session.ok(REPORT, {"numeroFluxDepot": flux})
    assert report["etatCourantDepotFlux"] == "IN_INTEGRE_PARTIEL"
    assert [e["numeroDP"] for e in report["listeErreurDP"]] == ["LOT-2"]


def test_deposit_refusals(supplier_session):
    supplier_session.refused(
        DEPOSIT,
        {"fichierFlux": encode(b"x"), "nomFichier": "f.pdf", "syntaxeFlux": "IN_DP_E9_NOPE"},
        20002,
        "GDP_MSG_11.001",
    )
    supplier_session.refused(
        DEPOSIT, {"nomFichier": "f.pdf", "syntaxeFlux": "IN_DP_E1_CII_16B"}, 20002, "GDP_MSG_11.001"
    )
    too_big = supplier_session.post(
        DEPOSIT,
        {
            "fichierFlux": encode(b"0" * (10 * 1024 * 1024 + 1)),
            "nomFichier": "f.xml",
            "syntaxeFlux": "IN_DP_E1_CII_16B",
        },
    )
    assert too_big.status_code == 400 and too_big.json() == {"codeRetour": 20001, "libelle": "GDP_MSG_11.022"}


def test_unreadable_file_is_rejected_with_a_technical_error(sim, supplier_session):
    flux = deposit(supplier_session, b"<not-xml", "broken.xml", "IN_DP_E1_CII_16B")
    sim.admin.advance_clock(10)
    report = supplier_session.ok(REPORT, {"numeroFluxDepot": flux})
    assert report["etatCourantDepotFlux"] == "IN_REJETE"
    (error,) = report["listeErreurTechnique"]
    assert set(error) == {"codeErreur", "libelleErreur", "natureErreur"}
    assert error["libelleErreur"].startswith("IRRECEVABILITE")


def test_consulter_cr_and_report_of_someone_elses_flux(sim, supplier_session, session_for, parties):
    supplier, recipient = parties
    flux = deposit(
        supplier_session,
        sample_cii(supplier_siret=supplier.siret, recipient_siret=recipient.siret, number="CR-1"),
        "cr.xml",
        "IN_DP_E1_CII_16B",
    )
    body = supplier_session.ok("transverses/v1/consulterCR", {"numeroFluxDepot": flux})
    assert body["numeroFluxDepot"] == flux and body["nomFichierFlux"] == f"FSO1106A_CPP001_{flux}"
    assert base64.b64decode(body["fichierCR"]).decode().startswith("Compte rendu")
    other = sim.dataset.suppliers()[1]
    stranger = session_for(sim.dataset.supplier_account(other.structure_id))
    stranger.refused(REPORT, {"numeroFluxDepot": flux}, 20003, "TRA_MSG_00.003")
    supplier_session.refused(REPORT, {}, 20003, "TRA_MSG_00.003")


def test_supplier_search_pages_and_filters(sim, supplier_session, make_invoice):
    for _ in range(12):
        make_invoice(status="MANDATEE")
    first = supplier_session.ok(
        "factures/v1/rechercher/fournisseur",
        {"statutCourant": ["MANDATEE"], "rechercheFactureParFournisseur": {"nbResultatsParPage": 5}},
    )
    paging = first["parametresRetour"]
    assert paging["nbResultatsParPage"] == 5 and paging["total"] >= 12 and paging["pages"] >= 3
    assert len(first["listeFactures"]) == 5
    assert {item["statut"] for item in first["listeFactures"]} == {"MANDATEE"}
    default = supplier_session.ok("factures/v1/rechercher/fournisseur", {"statutCourant": ["MANDATEE"]})
    assert default["parametresRetour"]["nbResultatsParPage"] == 10  # the platform's default page size
    supplier_session.refused(
        "factures/v1/rechercher/fournisseur", {"periodeDateDepotDu": "23/11/2026"}, 20010, "GFT_MSG_00.010"
    )


def test_supplier_consults_detail_and_history(sim, supplier_session, parties):
    invoice = integrated_invoice(sim, supplier_session, parties, "DET-1")
    detail = supplier_session.ok(
        "factures/v1/consulter/fournisseur", {"identifiantFactureCPP": invoice["identifiantFactureCPP"]}
    )["facture"]
    assert detail["numeroFacture"] == "DET-1"
    assert detail["montantTotal"]["montantTtcTotal"] == 1200.0
    assert detail["references"]["modePaiement"] == "VIREMENT"
    assert detail["cadreDeFacturation"]["codeCadreFacturation"] == "A1_FACTURE_FOURNISSEUR"
    history = supplier_session.ok(
        "factures/v1/consulter/historique", {"idFacture": invoice["identifiantFactureCPP"]}
    )
    statuses = history["historiquesDesStatuts"]["histoStatut"]
    assert [s["histoStatutCode"] for s in statuses] == [
        "MISE_A_DISPOSITION",
        "EN_COURS_ACHEMINEMENT",
        "DEPOSEE",
    ]
    assert len(statuses[0]["histoStatutDatePassage"]) == 16  # YYYY-MM-DD HH:MM
    supplier_session.refused(
        "factures/v1/consulter/fournisseur", {"identifiantFactureCPP": 99999999}, 20003, "GFT_MSG_00.003"
    )
    supplier_session.refused("factures/v1/consulter/historique", {}, 20003, "GFT_MSG_00.003")


def test_recipient_processes_a_received_invoice(sim, supplier_session, recipient_session, parties):
    invoice = integrated_invoice(sim, supplier_session, parties, "REC-1")
    invoice_id = invoice["identifiantFactureCPP"]
    found = recipient_session.ok("factures/v1/rechercher/recipiendaire", {"numeroFacture": "REC-1"})
    assert {"pageCourante", "pages", "nbResultatsParPage", "total"} <= set(found)  # paging at top level
    assert found["listeFactures"][0]["idFacture"] == invoice_id
    detail = recipient_session.ok(
        "factures/v1/consulter/recipiendaire", {"identifiantFactureCPP": invoice_id}
    )
    assert detail["facture"]["fournisseur"]["codeFournisseur"] == parties[0].siret
    text = recipient_session.refused(
        "factures/v1/traiter/recue",
        {"idFacture": invoice_id, "nouveauStatut": "SUSPENDUE"},
        20009,
        "GFT_MSG_03.003",
    )
    assert "motif" in text
    recipient_session.refused(
        "factures/v1/traiter/recue",
        {"idFacture": invoice_id, "nouveauStatut": "DEPOSEE"},
        20008,
        "GFT_MSG_03.002",
    )
    done = recipient_session.ok(
        "factures/v1/traiter/recue",
        {"idFacture": invoice_id, "nouveauStatut": "MANDATEE", "motif": "", "numeroDPMandat": "DP123"},
    )
    assert done["nouveauStatut"] == "MANDATEE" and done["numeroFacture"] == "REC-1"
    supplier_session.refused(
        "factures/v1/traiter/recue",
        {"idFacture": invoice_id, "nouveauStatut": "REJETEE", "motif": "x"},
        20003,
        "GFT_MSG_00.003",
    )


def test_empty_recipient_search_is_the_no_result_code_on_http_200(recipient_session):
    response = recipient_session.post("factures/v1/rechercher/recipiendaire", {"numeroFacture": "NOTHING"})
    assert response.status_code == 200
    assert response.json() == {"codeRetour": 20000, "libelle": "TRA_MSG_00.015"}


def test_complete_a_suspended_invoice(sim, supplier_session, parties):
    invoice = integrated_invoice(sim, supplier_session, parties, "SUS-1", scenario="SUSPENDUE")
    invoice_id = invoice["identifiantFactureCPP"]
    supplier_session.refused(
        "factures/v1/completer", {"identifiantFactureCPP": invoice_id}, 20005, "GFT_MSG_02.005"
    )
    sim.admin.advance_clock(days=3)
    attachment = supplier_session.ok(
        "transverses/v1/ajouter/fichier",
        {
            "pieceJointeFichier": encode(b"bon de livraison"),
            "pieceJointeNom": "bl.pdf",
            "pieceJointeTypeMime": "application/pdf",
            "pieceJointeExtension": "PDF",
        },
    )["pieceJointeId"]
    supplier_session.refused(
        "factures/v1/completer",
        {
            "identifiantFactureCPP": invoice_id,
            "pieceJointeComplementaire": [{"pieceJointeComplementaireId": 424242}],
        },
        20005,
        "GFT_MSG_00.020",
    )
    done = supplier_session.ok(
        "factures/v1/completer",
        {
            "identifiantFactureCPP": invoice_id,
            "commentaire": "BL joint",
            "pieceJointeComplementaire": [{"pieceJointeComplementaireId": attachment}],
        },
    )
    assert set(done) >= {"identifiantFactureCPP", "numeroFacture", "dateTraitement"}
    detail = supplier_session.ok("factures/v1/consulter/fournisseur", {"identifiantFactureCPP": invoice_id})
    assert detail["facture"]["statutFacture"] == "COMPLETEE"
    assert [p["pieceJointeId"] for p in detail["facture"]["listeDesPiecesJointes"]["pieceJointe"]] == [
        attachment
    ]
    sim.admin.advance_clock(days=10)


def test_recycle_an_invoice_to_another_service(sim, supplier_session, parties):
    invoice = integrated_invoice(sim, supplier_session, parties, "RCY-1", scenario="A_RECYCLER")
    invoice_id = invoice["identifiantFactureCPP"]
    supplier_session.refused(
        "factures/v1/recycler", {"identifiantFactureCPP": invoice_id}, 20006, "GFT_MSG_02.006"
    )
    sim.admin.advance_clock(days=3)
    recipient = parties[1]
    service = next(
        s
        for s in recipient.services
        if s.active and not s.engagement_required and s.code != "FACTURES_PUBLIQUES"
    )
    text = supplier_session.refused(
        "factures/v1/recycler",
        {"identifiantFactureCPP": invoice_id, "destinataire": {"codeDestinataire": "00000000012345"}},
        20007,
        "GFT_MSG_02.007",
    )
    assert "destinataire.codeDestinataire" in text
    done = supplier_session.ok(
        "factures/v1/recycler",
        {
            "identifiantFactureCPP": invoice_id,
            "commentaire": "Nouveau service",
            "destinataire": {"codeDestinataire": recipient.siret, "codeServiceExecutant": service.code},
        },
    )
    assert done["statutFacture"] == "DEPOSEE" and len(done["dateDepot"]) == 16
    sim.admin.advance_clock(10)
    detail = supplier_session.ok("factures/v1/consulter/fournisseur", {"identifiantFactureCPP": invoice_id})
    assert detail["facture"]["destinataire"]["codeServiceExecutant"] == service.code
    assert detail["facture"]["statutFacture"] == "MISE_A_DISPOSITION"


def test_download_group_returns_a_zip_of_the_documents(
    sim, supplier_session, recipient_session, make_invoice
):
    invoice = make_invoice(document=b"%PDF-1.7 facture")
    body = recipient_session.ok(
        "factures/v1/telecharger/groupe",
        {"listeFacture": [{"idFacture": invoice.invoice_id}], "format": "PDF"},
    )
    with zipfile.ZipFile(io.BytesIO(base64.b64decode(body["fichierResultat"]))) as archive:
        (name,) = archive.namelist()
        assert archive.read(name) == b"%PDF-1.7 facture"
    assert sim.platform.state.invoices[invoice.invoice_id].downloaded_by_recipient
    recipient_session.refused("factures/v1/telecharger/groupe", {"listeFacture": []}, 20011, "GFT_MSG_00.011")


def test_acknowledge_a_rejection(sim, supplier_session, make_invoice):
    rejected = make_invoice(status="REJETEE")
    pending = make_invoice(status="MISE_A_DISPOSITION")
    supplier_session.ok(
        "factures/v1/traiterRejet",
        {"listeDemandePaiement": [{"idDemandePaiement": rejected.invoice_id}], "motifRejet": "vu"},
    )
    assert sim.platform.state.invoices[rejected.invoice_id].rejection_acknowledged
    supplier_session.refused(
        "factures/v1/traiterRejet",
        {"listeDemandePaiement": [{"idDemandePaiement": pending.invoice_id}]},
        20015,
        "GFT_MSG_00.016",
    )


def test_payment_request_search_by_role(supplier_session, recipient_session, make_invoice):
    invoice = make_invoice()
    as_supplier = supplier_session.ok(
        "factures/v1/rechercher/demandePaiement",
        {"roleUtilisateur": "FOURNISSEUR", "numeroFacture": invoice.number},
    )
    assert [i["idDemandePaiement"] for i in as_supplier["listeDemandePaiement"]] == [invoice.invoice_id]
    as_recipient = recipient_session.ok(
        "factures/v1/rechercher/demandePaiement",
        {"roleUtilisateur": "DESTINATAIRE", "numeroFacture": invoice.number},
    )
    assert as_recipient["parametresRetour"]["total"] == 1


def test_submit_creates_an_invoice_at_once(sim, supplier_session, parties):
    supplier, recipient = parties
    request = {
        "modeDepot": "SAISIE_API",
        "numeroFactureSaisi": "SAI-1",
        "dateFacture": "2026-11-20",
        "destinataire": {"codeDestinataire": recipient.siret},
        "fournisseur": {"idFournisseur": supplier.structure_id},
        "cadreDeFacturation": {"codeCadreFacturation": "A1_FACTURE_FOURNISSEUR"},
        "references": {
            "deviseFacture": "EUR",
            "typeFacture": "FACTURE",
            "typeTva": "TVA_SUR_DEBIT",
            "modePaiement": "VIREMENT",
        },
        "lignePoste": [
            {
                "lignePosteNumero": 1,
                "lignePosteDenomination": "Audit",
                "lignePosteQuantite": 1,
                "lignePosteMontantUnitaireHT": 100,
                "lignePosteTauxTva": "TVA20",
            }
        ],
        "montantTotal": {
            "montantHtTotal": 100,
            "montantTVA": 20,
            "montantTtcTotal": 120,
            "montantAPayer": 120,
        },
    }
    body = supplier_session.ok("factures/v1/soumettre", request)
    assert body["statutFacture"] == "DEPOSEE" and body["numeroFacture"] == "SAI-1"
    assert body["identifiantStructure"] == supplier.siret and len(body["empreinteCertificatDepot"]) == 64
    text = supplier_session.refused("factures/v1/soumettre", request, 20013, "GFT_MSG_01.013")
    assert "numeroFactureSaisi" in text  # the same number again: a duplicate
    wrong = {
        **request,
        "numeroFactureSaisi": "SAI-2",
        "montantTotal": {**request["montantTotal"], "montantTVA": 21},
    }
    assert "incoherent" in supplier_session.refused("factures/v1/soumettre", wrong, 20013, "GFT_MSG_01.013")


def test_deposit_pdf_keeps_the_file_for_a_later_submission(supplier_session):
    body = supplier_session.ok(
        "factures/v1/deposer/pdf",
        {"fichierFacture": encode(b"%PDF-1.7 x"), "nomFichier": "f.pdf", "formatDepot": "PDF_NON_SIGNE"},
    )
    assert body["pieceJointeId"] > 0 and body["numeroFacture"] is None
    supplier_session.refused(
        "factures/v1/deposer/pdf",
        {"fichierFacture": encode(b"hello"), "nomFichier": "f.pdf"},
        20002,
        "GDP_MSG_12.001",
    )


def test_validator_circuit_is_empty(supplier_session):
    found = supplier_session.ok("factures/v1/rechercher/valideur", {})
    assert found["listeFactures"] == [] and found["parametresRetour"]["total"] == 0
    statuses = supplier_session.ok("factures/v1/recuperer/statutsFactureVisibles/valideur", {})
    assert {"codeStatutFacture": "A_VALIDER_1"} in statuses["listeStatutFacture"]
    for path in ("consulter/valideur", "traiter/factureAValider", "corriger/valideur/facture"):
        supplier_session.refused(f"factures/v1/{path}", {"idFacture": 1}, 20020, "GFT_MSG_04.001")


def test_each_invoice_of_a_batch_downloads_its_own_document(
    sim, supplier_session, recipient_session, parties
):
    supplier, recipient = parties
    first = sample_facturx(supplier_siret=supplier.siret, recipient_siret=recipient.siret, number="DL-1")
    second = sample_facturx(supplier_siret=supplier.siret, recipient_siret=recipient.siret, number="DL-2")
    flux = deposit(supplier_session, sample_batch([("DL-1.pdf", first), ("DL-2.pdf", second)]), "dl.zip")
    sim.admin.advance_clock(10)
    found = supplier_session.ok("factures/v1/rechercher/fournisseur", {"numeroFluxDepot": flux})[
        "listeFactures"
    ]
    by_number = {item["numeroFacture"]: item["identifiantFactureCPP"] for item in found}
    body = supplier_session.ok(
        "factures/v1/telecharger/groupe", {"listeFacture": [{"idFacture": by_number["DL-2"]}]}
    )
    with zipfile.ZipFile(io.BytesIO(base64.b64decode(body["fichierResultat"]))) as archive:
        (name,) = archive.namelist()
        assert name.endswith("DL-2.pdf") and archive.read(name) == second

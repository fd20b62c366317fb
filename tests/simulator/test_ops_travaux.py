"""Factures travaux operations over real HTTP: the works search and the services not simulated."""

import re

import pytest

W = "facturesTravaux/v1"
DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
TIMESTAMP = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}[+-]\d{2}:\d{2}$")
MISSING, INVALID = (20001, "GFT_MSG_01.010"), (20002, "GFT_MSG_01.012")
UNKNOWN_WORKS_INVOICE, NOT_SIMULATED = (20050, "GFT_MSG_01.003"), (20090, "GFT_MSG_01.090")


def works_invoice(make_invoice, **fields):
    return make_invoice(
        payment_request_type="FACTURE_TRAVAUX",
        cadre="A4_PROJET_DECOMPTE_MENSUEL_FOURNISSEUR",
        extra={"typeFactureTravaux": "PROJET_DECOMPTE_MENSUEL"},
        **fields,
    )


@pytest.fixture(scope="module")
def outsider(sim, session_for):
    """A supplier account with no works invoice at all."""
    return session_for(sim.dataset.supplier_account(sim.dataset.suppliers()[1].structure_id))


def test_no_works_invoice_is_the_attested_no_result_on_http_200(outsider):
    response = outsider.post(f"{W}/rechercher", {"roleUtilisateur": "FOURNISSEUR"})
    assert response.status_code == 200
    assert response.json() == {"codeRetour": 20007, "libelle": "GFT_MSG_01.075"}


def test_plain_invoices_are_not_works_invoices(supplier_session, make_invoice):
    make_invoice(number="PAS-TRAVAUX-1")
    response = supplier_session.post(f"{W}/rechercher", {"numeroFactureTravaux": "PAS-TRAVAUX-1"})
    assert response.status_code == 200 and response.json()["codeRetour"] == 20007


def test_search_finds_works_invoices_by_side_and_criteria(
    sim, supplier_session, recipient_session, make_invoice
):
    invoice = works_invoice(make_invoice, number="DEC-2026-01", engagement_number="EJ-TRAVAUX-1")
    body = supplier_session.ok(
        f"{W}/rechercher",
        {
            "roleUtilisateur": "FOURNISSEUR",
            "numeroFactureTravaux": "DEC-2026-01",
            "listeStatutCourant": ["MISE_A_DISPOSITION"],
            "listeTypeFactureTravaux": ["PROJET_DECOMPTE_MENSUEL"],
            "periodeDateDepotDu": invoice.deposited_at.date().isoformat(),
            "periodeDateDepotAu": invoice.deposited_at.date().isoformat(),
            "rechercheFactureTravaux": {
                "pageResultatDemandee": 1,
                "nbResultatsParPage": 10,
                "triColonne": "DateDepot",
            },
        },
    )
    assert set(body) == {"codeRetour", "libelle", "listeFacturesTravaux", "parametresRetour"}
    [item] = body["listeFacturesTravaux"]
    assert item["idFactureTravaux"] == invoice.invoice_id and item["numeroFactureTravaux"] == "DEC-2026-01"
    assert (
        item["typeDemandePaiement"] == "FACTURE_TRAVAUX"
        and item["typeFactureTravaux"] == "PROJET_DECOMPTE_MENSUEL"
    )
    assert item["statutFactureTravaux"] == "MISE_A_DISPOSITION"
    assert DATE.match(item["dateDepot"]) and DATE.match(item["dateFactureTravaux"])
    assert TIMESTAMP.match(item["dateHeureEtatCourant"])
    assert item["montantTTC"] == 120.0 and item["numeroBonCommande"] == "EJ-TRAVAUX-1"
    assert item["identifiantFournisseur"] == sim.dataset.main_supplier().siret
    assert {"codeServiceExecutant", "codeServiceFournisseur", "codeServiceMoa", "codeServiceMoe"} <= set(item)
    assert body["parametresRetour"] == {"pageCourante": 1, "pages": 1, "nbResultatsParPage": 10, "total": 1}
    received = recipient_session.ok(
        f"{W}/rechercher", {"roleUtilisateur": "MOA", "numeroFactureTravaux": "DEC-2026-01"}
    )
    assert [i["idFactureTravaux"] for i in received["listeFacturesTravaux"]] == [invoice.invoice_id]
    as_moe = recipient_session.post(
        f"{W}/rechercher", {"roleUtilisateur": "MOE", "numeroFactureTravaux": "DEC-2026-01"}
    )
    assert as_moe.json()["codeRetour"] == 20007
    as_supplier = recipient_session.post(f"{W}/rechercher", {"roleUtilisateur": "FOURNISSEUR"})
    assert as_supplier.json()["codeRetour"] == 20007


@pytest.mark.parametrize(
    "body",
    [
        {"roleUtilisateur": "ACHETEUR"},
        {"periodeDateDepotDu": "31/12/2026"},
        {"idStructureFournisseur": "abc"},
        {"listeStatutCourant": {"statut": "DEPOSEE"}},
        {"rechercheFactureTravaux": {"triColonne": "Couleur"}},
    ],
)
def test_search_refusals(supplier_session, body):
    supplier_session.refused(f"{W}/rechercher", body, *INVALID)


def test_submit_is_not_simulated(supplier_session):
    text = supplier_session.refused(f"{W}/soumettre", {"numeroFactureSaisi": "DEC-1"}, *NOT_SIMULATED)
    assert "soumettreFactureTravaux" in text


@pytest.mark.parametrize(
    ("path", "name"),
    [
        ("refuser", "refuserFactureTravaux"),
        ("recycler", "recyclerFactureTravaux"),
        ("suspendre/demander/completer/factureTravaux", "SuspendreOuDemanderCompleterFactureTravaux"),
        ("demander/recyclage", "DemanderRecyclagePiecePrecedente"),
    ],
)
def test_services_on_a_works_invoice_check_it_then_say_they_are_not_simulated(
    supplier_session, outsider, make_invoice, path, name
):
    invoice = works_invoice(make_invoice)
    text = supplier_session.refused(f"{W}/{path}", {"idFactureTravaux": invoice.invoice_id}, *NOT_SIMULATED)
    assert name in text
    outsider.refused(f"{W}/{path}", {"idFactureTravaux": invoice.invoice_id}, *UNKNOWN_WORKS_INVOICE)
    plain = make_invoice()
    supplier_session.refused(f"{W}/{path}", {"idFactureTravaux": plain.invoice_id}, *UNKNOWN_WORKS_INVOICE)
    supplier_session.refused(f"{W}/{path}", {}, *MISSING)

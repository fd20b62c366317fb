"""Transverses operations over real HTTP: exact response shapes and business-error envelopes."""

import base64
import csv
import io
import re
import zipfile

import pytest

from chorus_connect.simulator import lifecycle
from chorus_connect.simulator.dataset import StructureKind
from chorus_connect.simulator.workflow import INTERFACE_CODES

T = "transverses/v1"
DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
TIMESTAMP = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}[+-]\d{2}:\d{2}$")
PAGING = {"pageCourante", "pages", "nbResultatsParPage", "total"}

MISSING, INVALID = (20001, "TRA_MSG_00.010"), (20002, "TRA_MSG_00.012")
UNKNOWN_STRUCTURE, NOT_ATTACHED = (20003, "TRA_MSG_00.011"), (20004, "TRA_MSG_00.013")


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def envelope_keys(body: dict) -> set[str]:
    return set(body) - {"codeRetour", "libelle"}


# --- health check and parameterless lists --------------------------------------------------------------


def test_health_check_is_a_get_with_the_spring_shape(supplier_session):
    response = supplier_session.get(f"{T}/health-check")
    assert response.status_code == 200
    assert response.json() == {"body": "OK", "statusCode": "200", "statusCodeValue": 200}


@pytest.mark.parametrize(
    ("path", "list_field", "item_field", "expected"),
    [
        (
            "recuperer/formatflux",
            "listeFormatFlux",
            "formatFlux",
            ["IN_DP_E1_STRUCT", "IN_DP_E2_MIXTE", "IN_DP_E2_FACTURX"],
        ),
        (
            "recuperer/typeidentifiant/structure",
            "listeTypeIdentifiant",
            "typeIdentifiantStructure",
            ["SIRET", "UE_HORS_FRANCE", "HORS_UE", "RIDET", "TAHITI", "AUTRE", "PARTICULIER"],
        ),
        (
            "recuperer/typedp",
            "listeTypeDemandePaiement",
            "typeDemandePaiement",
            ["FACTURE", "FACTURE_TRAVAUX", "MEMOIRE_JUSTICE", "DEMANDE_REMBOURSEMENT_TIC"],
        ),
    ],
)
def test_small_lists_have_their_exact_values(supplier_session, path, list_field, item_field, expected):
    body = supplier_session.ok(f"{T}/{path}", {})
    assert envelope_keys(body) == {list_field}
    assert body[list_field] == [{item_field: value} for value in expected]


def test_deposit_and_payment_modes(supplier_session):
    modes = supplier_session.ok(f"{T}/recuperer/modedepot")["listeModeDepot"]
    assert len(modes) == 15 and {"modeDepot": "UPLOAD_API"} in modes and {"modeDepot": "SAISIE_API"} in modes
    payments = supplier_session.ok(f"{T}/recuperer/modereglements", {"codeLangue": "FR"})["listeModePaiement"]
    assert [p["modePaiement"] for p in payments] == [
        "CHEQUE",
        "PRELEVEMENT",
        "VIREMENT",
        "ESPECE",
        "AUTRE",
        "REPORT",
    ]
    supplier_session.refused(f"{T}/recuperer/modereglements", {"codeLangue": "DE"}, *INVALID)


def test_works_invoice_types(supplier_session):
    types = supplier_session.ok(f"{T}/recuperer/typefacturetravaux")["listeTypeFactureTravaux"]
    assert len(types) == 11 and {"typeFactureTravaux": "DECOMPTE_GENERAL"} in types


# --- lists with inputs ---------------------------------------------------------------------------------


def test_syntaxes_match_what_deposer_flux_accepts(supplier_session):
    every = supplier_session.ok(f"{T}/recuperer/syntaxeflux", {})["listeSyntaxeFlux"]
    assert all(set(item) == {"syntaxeFlux"} for item in every)
    assert {item["syntaxeFlux"] for item in every} == set(INTERFACE_CODES)
    facturx = supplier_session.ok(f"{T}/recuperer/syntaxeflux", {"formatFlux": "IN_DP_E2_FACTURX"})
    assert facturx["listeSyntaxeFlux"] == [{"syntaxeFlux": "IN_DP_E2_CII_FACTURX"}]
    text = supplier_session.refused(f"{T}/recuperer/syntaxeflux", {"formatFlux": "IN_DP_E9"}, *INVALID)
    assert "formatFlux" in text and "IN_DP_E9" in text


def test_currencies_and_countries_follow_the_language(supplier_session):
    fr = supplier_session.ok(f"{T}/recuperer/devises", {"codeLangue": "FR"})["listeDevises"]
    assert {"codeDevise": "EUR", "libelleDevise": "Euro"} in fr
    assert all(set(item) == {"codeDevise", "libelleDevise"} for item in fr)
    countries_fr = supplier_session.ok(f"{T}/recuperer/pays", {})["listePays"]
    countries_en = supplier_session.ok(f"{T}/recuperer/pays", {"codeLangue": "EN"})["listePays"]
    assert {"codePays": "DE", "libellePays": "Allemagne"} in countries_fr
    assert {"codePays": "DE", "libellePays": "Germany"} in countries_en
    text = supplier_session.refused(f"{T}/recuperer/devises", {"codeLangue": "XX"}, *INVALID)
    assert "codeLangue" in text
    supplier_session.refused(f"{T}/recuperer/pays", {"codeLangue": "de"}, *INVALID)


def test_invoice_frameworks_all_25_or_by_request_type(supplier_session):
    every = supplier_session.ok(f"{T}/recuperer/cadrefacturation", {})["listeCadreFacturation"]
    codes = [item["codeCadreFacturation"] for item in every]
    assert [c.split("_")[0] for c in codes] == [f"A{n}" for n in range(1, 26)]
    assert all(set(item) == {"codeCadreFacturation"} for item in every)
    works = supplier_session.ok(f"{T}/recuperer/cadrefacturation", {"typeDemandePaiement": "FACTURE_TRAVAUX"})
    works_codes = {item["codeCadreFacturation"] for item in works["listeCadreFacturation"]}
    assert (
        "A4_PROJET_DECOMPTE_MENSUEL_FOURNISSEUR" in works_codes
        and "A1_FACTURE_FOURNISSEUR" not in works_codes
    )
    supplier_session.refused(f"{T}/recuperer/cadrefacturation", {"typeDemandePaiement": "DEVIS"}, *INVALID)


def test_vat_rates_have_codes_labels_and_numeric_values(supplier_session):
    rates = supplier_session.ok(f"{T}/recuperer/tauxtva", {"codeLangue": "FR"})["listeTauxTva"]
    by_code = {r["codeTauxTva"]: r for r in rates}
    assert all(set(r) == {"codeTauxTva", "libelleTauxTva", "valeurTauxTva"} for r in rates)
    assert by_code["TVA20"]["valeurTauxTva"] == 20 and by_code["TVA5_5"]["valeurTauxTva"] == 5.5
    assert by_code["TVA2_1"]["valeurTauxTva"] == 2.1 and by_code["TVA0"]["valeurTauxTva"] == 0
    assert all(isinstance(r["valeurTauxTva"], int | float) for r in rates)
    supplier_session.refused(f"{T}/recuperer/tauxtva", {"codeLangue": "ES"}, *INVALID)


def test_vat_exemption_motifs(supplier_session):
    motifs = supplier_session.ok(f"{T}/recuperer/motifs/exonerationtva", {"codeLangue": "EN"})
    items = motifs["listeMotifsExonerationTva"]
    assert items and all(set(m) == {"codeMotifExonerationTva", "libelleMotifExonerationTva"} for m in items)
    assert any("293 B" in m["libelleMotifExonerationTva"] for m in items)
    supplier_session.refused(f"{T}/recuperer/motifs/exonerationtva", {"codeLangue": 7}, *INVALID)


def test_refusal_motifs_of_an_invoice_to_validate(supplier_session):
    path = f"{T}/recuperer/motifs/refus/Facture/AValider"
    motifs = supplier_session.ok(path, {"codeCadreFacturationAValider": "A9_FACTURE_SOUSTRAITANT"})
    items = motifs["listeMotifRefusFactureAValider"]
    assert items and all(set(m) == {"idMotif", "codeMotif", "libelleMotif"} for m in items)
    assert all(isinstance(m["idMotif"], int) for m in items)
    assert "codeCadreFacturationAValider" in supplier_session.refused(path, {}, *MISSING)
    supplier_session.refused(path, {"codeCadreFacturationAValider": "A99"}, *INVALID)


def test_statuses_of_a_payment_request_type(supplier_session):
    path = f"{T}/recuperer/etat/typedp"
    invoice = supplier_session.ok(path, {"typeDemandePaiement": "FACTURE"})["listeEtatDemandePaiement"]
    works = supplier_session.ok(path, {"typeDemandePaiement": "FACTURE_TRAVAUX"})["listeEtatDemandePaiement"]
    invoice_statuses = {item["etatDemandePaiement"] for item in invoice}
    works_statuses = {item["etatDemandePaiement"] for item in works}
    assert {"DEPOSEE", "MISE_A_DISPOSITION", "SERVICE_FAIT", "MISE_EN_PAIEMENT"} <= invoice_statuses
    assert "A_ASSOCIER_MOA" not in invoice_statuses and "A_ASSOCIER_MOA" in works_statuses
    assert invoice_statuses <= set(lifecycle.ALL_INVOICE_STATUS_CODES)
    supplier_session.refused(path, {}, *MISSING)
    supplier_session.refused(path, {"typeDemandePaiement": "BON"}, *INVALID)


def test_statuses_for_processing_follow_the_recipient_transition_table(recipient_session):
    path = f"{T}/recuperer/etats/traitement"
    body = recipient_session.ok(path, {"statutCourant": "MISE_A_DISPOSITION"})
    targets = [item["statutPossiblePourTraitement"] for item in body["listeStatutsPossiblesPourTraitement"]]
    assert targets == lifecycle.allowed_targets("MISE_A_DISPOSITION")
    aife_example = {
        "MISE_A_DISPOSITION",
        "SUSPENDUE",
        "REJETEE",
        "MANDATEE",
        "MISE_EN_PAIEMENT",
        "COMPTABILISEE",
        "MISE_A_DISPOSITION_COMPTABLE",
        "A_RECYCLER",
    }
    assert aife_example <= set(targets)
    final = recipient_session.ok(path, {"statutCourant": "MISE_EN_PAIEMENT"})
    assert final["listeStatutsPossiblesPourTraitement"] == []
    recipient_session.refused(path, {}, *MISSING)
    recipient_session.refused(path, {"statutCourant": "PAYEE"}, *INVALID)


def test_attachment_types_filtered_by_object_kind(supplier_session):
    every = supplier_session.ok(f"{T}/recuperer/typespj", {"codeLangue": "FR"})["listeTypePieceJointe"]
    keys = {"idTypePieceJointe", "codeTypePieceJointe", "libelleTypePieceJointe", "typeObjet"}
    assert every and all(set(t) == keys for t in every)
    invoices = supplier_session.ok(f"{T}/recuperer/typespj", {"typeObjet": "FACTURE"})["listeTypePieceJointe"]
    assert invoices and {t["typeObjet"] for t in invoices} == {"FACTURE"} and len(invoices) < len(every)
    supplier_session.refused(f"{T}/recuperer/typespj", {"typeObjet": "VOITURE"}, *INVALID)


# --- the account's structures and bank details ---------------------------------------------------------


def test_active_structures_per_space(sim, supplier_session, recipient_session):
    supplier = sim.dataset.main_supplier()
    mine = supplier_session.ok(f"{T}/recuperer/structures/actives/fournisseur")
    assert mine["listeStructures"] == [
        {
            "idStructureCPP": supplier.structure_id,
            "identifiant": supplier.siret,
            "designationStructure": supplier.name,
        }
    ]
    assert set(mine["parametresRetour"]) == PAGING
    works = supplier_session.ok(f"{T}/recuperer/structures/actives/facturetravaux")
    assert [s["idStructureCPP"] for s in works["listeStructures"]] == [supplier.structure_id]
    assert supplier_session.ok(f"{T}/recuperer/structures/actives/destinataire")["listeStructures"] == []
    received = recipient_session.ok(f"{T}/recuperer/structures/actives/destinataire")["listeStructures"]
    expected = [
        s.structure_id
        for s in (sim.dataset.structure(i) for i in recipient_session.account.structure_ids)
        if s.active and s.kind is StructureKind.PUBLIC
    ]
    assert [s["idStructureCPP"] for s in received] == expected and expected
    assert recipient_session.ok(f"{T}/recuperer/structures/actives/fournisseur")["listeStructures"] == []


def test_valid_bank_accounts_only_of_own_structures(sim, supplier_session):
    supplier = sim.dataset.main_supplier()
    body = supplier_session.ok(f"{T}/recuperer/coordbanc/valides", {"idStructure": supplier.structure_id})
    assert body["listeCoordonneeBancaire"] == [
        {"idCoordonneeBancaire": b.bank_account_id, "nomCoordonneeBancaire": b.name}
        for b in supplier.bank_accounts
        if b.valid
    ]
    assert len(body["listeCoordonneeBancaire"]) < len(supplier.bank_accounts)  # the closed one is left out
    other = sim.dataset.suppliers()[1]
    text = supplier_session.refused(
        f"{T}/recuperer/coordbanc/valides", {"idStructure": other.structure_id}, *NOT_ATTACHED
    )
    assert str(other.structure_id) in text
    text = supplier_session.refused(
        f"{T}/recuperer/coordbanc/valides", {"idStructure": 123}, *UNKNOWN_STRUCTURE
    )
    assert text == "Structure inconnue : idStructureCPP 123"
    supplier_session.refused(f"{T}/recuperer/coordbanc/valides", {}, *MISSING)
    supplier_session.refused(f"{T}/recuperer/coordbanc/valides", {"idStructure": "abc"}, *INVALID)


# --- public directory ----------------------------------------------------------------------------------


def test_siret_information(sim, supplier_session):
    recipient = sim.dataset.recipient_with()
    body = supplier_session.ok(f"{T}/consulter/information/siret", {"siretStructure": recipient.siret})
    assert body["siret"] == recipient.siret and body["siren"] == recipient.siret[:9]
    assert body["raisonSociale"] == recipient.name and body["estActif"] is True
    assert recipient.address.city in body["adresse"]
    assert DATE.match(body["dateCreationEntreprise"]) and DATE.match(body["dateCreationEtablissement"])
    assert isinstance(body["nonDiffusibleInsee"], bool) and body["categorieJuridique"].isdigit()
    supplier_session.refused(
        f"{T}/consulter/information/siret", {"siretStructure": "99999999999999"}, 20005, "TRA_MSG_00.016"
    )
    supplier_session.refused(f"{T}/consulter/information/siret", {"siretStructure": "1234"}, *INVALID)
    supplier_session.refused(f"{T}/consulter/information/siret", {}, *MISSING)


def test_recipient_search_lists_active_public_structures_with_paging(sim, supplier_session):
    public = [s for s in sim.dataset.structures if s.kind is StructureKind.PUBLIC and s.active]
    first = supplier_session.ok(f"{T}/rechercher/destinataire", {})
    assert first["parametresRetour"] == {
        "pageCourante": 1,
        "pages": -(-len(public) // 10),
        "nbResultatsParPage": 10,
        "total": len(public),
    }
    item = first["listeDestinataires"][0]
    assert set(item) == {"idStructureCPP", "siret", "nomDestinataire", "adresseCodePostal", "adresseVille"}
    page2 = supplier_session.ok(
        f"{T}/rechercher/destinataire",
        {"parametresRecherche": {"pageResultatDemandee": 2, "nbResultatsParPage": 5, "triColonne": "Siret"}},
    )
    assert [d["siret"] for d in page2["listeDestinataires"]] == sorted(s.siret for s in public)[5:10]
    target = public[3]
    by_siret = supplier_session.ok(f"{T}/rechercher/destinataire", {"identifiant": target.siret})
    assert [d["idStructureCPP"] for d in by_siret["listeDestinataires"]] == [target.structure_id]
    by_city = supplier_session.ok(
        f"{T}/rechercher/destinataire", {"nomVilleCodePostal": target.address.city.upper()}
    )
    assert target.structure_id in [d["idStructureCPP"] for d in by_city["listeDestinataires"]]
    inactive = sim.dataset.inactive_recipient()
    assert (
        supplier_session.ok(f"{T}/rechercher/destinataire", {"identifiant": inactive.siret})[
            "listeDestinataires"
        ]
        == []
    )
    supplier_session.refused(
        f"{T}/rechercher/destinataire", {"parametresRecherche": {"triColonne": "Prix"}}, *INVALID
    )
    supplier_session.refused(f"{T}/rechercher/destinataire", {"typeStructure": "PRIVEE"}, *INVALID)


def test_directory_download_is_a_zipped_csv_of_public_services(sim, supplier_session):
    body = supplier_session.ok(f"{T}/telecharger/annuaire/destinataire", {})
    assert envelope_keys(body) == {"fichierResultat"}
    archive = zipfile.ZipFile(io.BytesIO(base64.b64decode(body["fichierResultat"])))
    assert archive.namelist() == ["annuaire_destinataires.csv"]
    rows = list(
        csv.reader(io.StringIO(archive.read("annuaire_destinataires.csv").decode("utf-8")), delimiter=";")
    )
    assert rows[0][:3] == ["IDENTIFIANT", "TYPE_IDENTIFIANT", "RAISON_SOCIALE"]
    public = [s for s in sim.dataset.structures if s.kind is StructureKind.PUBLIC and s.active]
    assert len(rows) - 1 == sum(len(s.services) for s in public)
    header = rows[0]
    ej_required = sim.dataset.recipient_with(engagement_required=True)
    row = next(r for r in rows[1:] if r[0] == ej_required.siret)
    assert row[header.index("EJ_OBLIGATOIRE")] == "OUI" and row[header.index("SERVICE_OBLIGATOIRE")] == "NON"
    assert {r[header.index("CODE_SERVICE")] for r in rows[1:] if r[0] == ej_required.siret} == {
        s.code for s in ej_required.services
    }


# --- attachments ---------------------------------------------------------------------------------------

ADD = f"{T}/ajouter/fichier"


def upload(session, name="bon-de-commande.pdf", content=b"%PDF-1.4 bon", **extra) -> dict:
    body = {
        "pieceJointeNom": name,
        "pieceJointeFichier": b64(content),
        "pieceJointeTypeMime": "application/pdf",
        "pieceJointeExtension": name.rsplit(".", 1)[-1].upper(),
        **extra,
    }
    return session.ok(ADD, body)


def test_add_file_then_find_and_download_it(sim, supplier_session):
    added = upload(supplier_session, "releve-travaux.pdf", b"%PDF-1.4 releve")
    assert envelope_keys(added) == {"pieceJointeId"} and isinstance(added["pieceJointeId"], int)
    stored = sim.platform.state.attachments[added["pieceJointeId"]]
    assert stored.owner_login == supplier_session.account.login and stored.size == len(b"%PDF-1.4 releve")

    found = supplier_session.ok(f"{T}/rechercher/pj/moncompte", {"pieceJointeDesignation": "RELEVE"})
    assert set(found["parametresRetour"]) == PAGING
    item = next(p for p in found["listePiecesJointes"] if p["pieceJointeId"] == added["pieceJointeId"])
    assert item == {
        "pieceJointeId": added["pieceJointeId"],
        "pieceJointeDesignation": "releve-travaux.pdf",
        "pieceJointeExtension": "PDF",
        "pieceJointeObjetId": None,
        "pieceJointeTypeCode": "FACTURE",
        "pieceJointeTypeLibelle": "Pièce jointe de facture",
        "pieceJointeUtilisateurId": supplier_session.account.user_id,
    }
    supplier = sim.dataset.main_supplier()
    by_structure = supplier_session.ok(
        f"{T}/rechercher/pj/structure", {"idStructureCPP": supplier.structure_id}
    )
    entry = next(
        p for p in by_structure["listePiecesJointes"] if p["pieceJointeId"] == added["pieceJointeId"]
    )
    assert entry["pieceJointeStructureId"] == supplier.structure_id
    assert entry["pieceJointeStructureCode"] == supplier.siret
    assert entry["pieceJointeStructureRaisonSociale"] == supplier.name

    download = supplier_session.ok(f"{T}/telecharger/pieceJointe", {"objetPieceJointe": "UTILISATEUR"})
    archive = zipfile.ZipFile(io.BytesIO(base64.b64decode(download["pieceJointe"])))
    assert archive.read(f"{added['pieceJointeId']}_releve-travaux.pdf") == b"%PDF-1.4 releve"


def test_a_recipient_does_not_see_the_suppliers_attachments(recipient_session, supplier_session):
    added = upload(supplier_session, "confidentiel.txt", b"secret", pieceJointeTypeMime="text/plain")
    found = recipient_session.ok(f"{T}/rechercher/pj/moncompte", {})
    assert added["pieceJointeId"] not in [p["pieceJointeId"] for p in found["listePiecesJointes"]]


@pytest.mark.parametrize(
    ("body", "code", "message"),
    [
        ({"pieceJointeNom": "x" * 47 + ".pdf", "pieceJointeFichier": b64(b"1")}, 20010, "TRA_MSG_02.001"),
        ({"pieceJointeNom": "sans-extension", "pieceJointeFichier": b64(b"1")}, 20010, "TRA_MSG_02.001"),
        ({"pieceJointeNom": "../../etc/cron.txt", "pieceJointeFichier": b64(b"1")}, 20010, "TRA_MSG_02.001"),
        ({"pieceJointeNom": "a\\b.pdf", "pieceJointeFichier": b64(b"1")}, 20010, "TRA_MSG_02.001"),
        ({"pieceJointeNom": "virus.exe", "pieceJointeFichier": b64(b"1")}, 20011, "TRA_MSG_02.002"),
        ({"pieceJointeNom": "a.pdf", "pieceJointeFichier": "not base64!"}, 20013, "TRA_MSG_02.004"),
        ({"pieceJointeNom": "a.pdf", "pieceJointeFichier": ""}, *MISSING),
        ({"pieceJointeNom": "a.pdf", "pieceJointeFichier": "===="}, 20013, "TRA_MSG_02.004"),
        ({"pieceJointeFichier": b64(b"1")}, *MISSING),
        (
            {"pieceJointeNom": "a.pdf", "pieceJointeFichier": b64(b"1"), "pieceJointeExtension": "XML"},
            *INVALID,
        ),
    ],
)
def test_add_file_refusals(supplier_session, body, code, message):
    supplier_session.refused(ADD, body, code, message)


def test_add_file_accepts_50_characters_and_refuses_empty_and_oversized_files(supplier_session):
    upload(supplier_session, "x" * 46 + ".pdf")  # exactly 50 characters
    # An empty file encodes to "": the field is then missing.
    supplier_session.refused(ADD, {"pieceJointeNom": "a.txt", "pieceJointeFichier": b64(b"")}, *MISSING)
    oversized = b"0" * (10 * 1024 * 1024 + 1)
    text = supplier_session.refused(
        ADD, {"pieceJointeNom": "gros.txt", "pieceJointeFichier": b64(oversized)}, 20012, "TRA_MSG_02.003"
    )
    assert str(len(oversized)) in text


def test_attachment_searches_refuse_unknown_types_and_foreign_structures(sim, supplier_session):
    supplier_session.refused(
        f"{T}/rechercher/pj/moncompte", {"pieceJointeTypeId": 999}, 20018, "TRA_MSG_02.009"
    )
    other = sim.dataset.suppliers()[1]
    supplier_session.refused(
        f"{T}/rechercher/pj/structure", {"idStructureCPP": other.structure_id}, *NOT_ATTACHED
    )
    supplier_session.refused(f"{T}/rechercher/pj/structure", {}, *MISSING)
    supplier_session.refused(
        f"{T}/rechercher/pj/moncompte", {"parametresRecherche": {"triSens": "Haut"}}, *INVALID
    )


DOWNLOAD = f"{T}/telecharger/pieceJointe"


def payment_request(*invoice_ids, with_attachments="NON", fmt="PDF") -> dict:
    return {
        "objetPieceJointe": "DEMANDE_PAIEMENT",
        "demandePaiement": {
            "listeFacture": [{"idFacture": i} for i in invoice_ids],
            "format": fmt,
            "avecPiecesJointesComplementaires": with_attachments,
        },
    }


def test_download_an_invoice_document_and_its_attachments(
    sim, supplier_session, recipient_session, make_invoice
):
    attachment_id = upload(supplier_session, "annexe.csv", b"a;b\n1;2\n")["pieceJointeId"]
    invoice = make_invoice(document=b"%PDF-1.7 facture", attachment_ids=[attachment_id])
    alone = supplier_session.ok(DOWNLOAD, payment_request(invoice.invoice_id))
    assert envelope_keys(alone) == {"pieceJointe"}
    assert base64.b64decode(alone["pieceJointe"]) == b"%PDF-1.7 facture"
    both = recipient_session.ok(DOWNLOAD, payment_request(invoice.invoice_id, with_attachments="OUI"))
    archive = zipfile.ZipFile(io.BytesIO(base64.b64decode(both["pieceJointe"])))
    assert archive.read(f"{invoice.invoice_id}_{invoice.file_name}") == b"%PDF-1.7 facture"
    assert archive.read(f"{invoice.invoice_id}_PJ_{attachment_id}_annexe.csv") == b"a;b\n1;2\n"


def test_download_refusals(sim, supplier_session, session_for, make_invoice):
    invoice = make_invoice()
    outsider = session_for(sim.dataset.supplier_account(sim.dataset.suppliers()[1].structure_id))
    text = outsider.refused(DOWNLOAD, payment_request(invoice.invoice_id), 20016, "TRA_MSG_02.007")
    assert str(invoice.invoice_id) in text
    supplier_session.refused(DOWNLOAD, payment_request(424242), 20016, "TRA_MSG_02.007")
    supplier_session.refused(DOWNLOAD, payment_request(invoice.invoice_id, fmt="DOCX"), *INVALID)
    supplier_session.refused(DOWNLOAD, {"objetPieceJointe": "FACTURE"}, *INVALID)
    supplier_session.refused(DOWNLOAD, {}, *MISSING)
    no_document = make_invoice(document=None)
    supplier_session.refused(DOWNLOAD, payment_request(no_document.invoice_id), 20017, "TRA_MSG_02.008")


def test_download_other_objects(sim, supplier_session):
    supplier = sim.dataset.main_supplier()
    commitment = next(c for c in sim.dataset.commitments if c.supplier_structure_id == supplier.structure_id)
    ej = {
        "objetPieceJointe": "ENGAGEMENT_JURIDIQUE",
        "engagementJuridique": {"numeroEngagementJuridique": commitment.number},
    }
    supplier_session.refused(DOWNLOAD, ej, 20017, "TRA_MSG_02.008")
    ej["engagementJuridique"]["numeroEngagementJuridique"] = "EJ-INCONNU"
    supplier_session.refused(DOWNLOAD, ej, 20019, "TRA_MSG_02.010")
    request = {
        "objetPieceJointe": "SOLLICITATION",
        "sollicitation": {"idSollicitation": 5, "pieceJointeSollicitation": "OUI"},
    }
    supplier_session.refused(DOWNLOAD, request, 20020, "TRA_MSG_02.011")
    bank = {
        "objetPieceJointe": "STRUCTURE_COORDONNEE_BANCAIRE",
        "structure": {"idStructure": supplier.structure_id},
    }
    supplier_session.refused(DOWNLOAD, bank, 20017, "TRA_MSG_02.008")
    other = sim.dataset.suppliers()[1]
    by_identifier = {
        "objetPieceJointe": "STRUCTURE_PIECEJOINTE",
        "structure": {"identifiantStructure": other.siret, "typeIdentifiantStructure": "SIRET"},
    }
    supplier_session.refused(DOWNLOAD, by_identifier, *NOT_ATTACHED)
    upload(supplier_session, "kbis.pdf")
    by_identifier["structure"]["identifiantStructure"] = supplier.siret
    mine = supplier_session.ok(DOWNLOAD, by_identifier)
    names = zipfile.ZipFile(io.BytesIO(base64.b64decode(mine["pieceJointe"]))).namelist()
    assert any(name.endswith("_kbis.pdf") for name in names)


# --- support categories and deprecated services -----------------------------------------------------------


def test_support_categories(supplier_session):
    every = supplier_session.ok(f"{T}/rechercher/categorieSollicitation", {})
    assert set(every["parametresRetour"]) == PAGING
    items = every["listeCategories"]
    assert items and all(
        set(c) == {"codeCategorie", "libelleCategorie", "idTechniqueCategorie"} for c in items
    )
    active = supplier_session.ok(f"{T}/rechercher/categorieSollicitation", {"estActif": True})[
        "listeCategories"
    ]
    assert 0 < len(active) < len(items)
    sorted_desc = supplier_session.ok(
        f"{T}/rechercher/categorieSollicitation",
        {"pagination": {"triColonne": "CodeCategorie", "triSens": "Descendant"}},
    )["listeCategories"]
    assert [c["codeCategorie"] for c in sorted_desc] == sorted(
        (c["codeCategorie"] for c in items), reverse=True
    )
    supplier_session.refused(
        f"{T}/rechercher/categorieSollicitation", {"pagination": {"triColonne": "Couleur"}}, *INVALID
    )
    supplier_session.refused(f"{T}/rechercher/categorieSollicitation", {"estActif": "oui"}, *INVALID)


def test_support_subcategories_grouped_by_category(supplier_session):
    body = supplier_session.ok(f"{T}/rechercher/sousCategorieSollicitation", {"idTechniqueCategorie": 1})
    assert set(body["parametresRetour"]) == PAGING
    [group] = body["listeSousCategories"]
    assert set(group) == {"categorie", "ssCategorie"}
    assert [c["idTechniqueCategorie"] for c in group["categorie"]] == [1]
    sub = group["ssCategorie"][0]
    assert set(sub) == {
        "code",
        "libelle",
        "estActif",
        "idTechniqueCategorie",
        "dateCreation",
        "dateDerniereModification",
    }
    assert TIMESTAMP.match(sub["dateCreation"]) and TIMESTAMP.match(sub["dateDerniereModification"])
    supplier_session.refused(
        f"{T}/rechercher/sousCategorieSollicitation", {"idTechniqueCategorie": 99}, 20030, "TRA_MSG_03.001"
    )


@pytest.mark.parametrize(
    "path", ["recuperer/structuresPourUtilisateur", "rechercher/serviceexecutant", "detacherPieceJointe"]
)
def test_deprecated_services_say_so(supplier_session, path):
    text = supplier_session.refused(f"{T}/{path}", {}, 20099, "TRA_MSG_00.099")
    assert "déprécié" in text

"""Utilisateurs operations over real HTTP: monCompte/recuperer/rattachements, and the removed services."""

import re

import pytest

U = "utilisateurs/v1"
MINUTE = re.compile(r"^\d{4}-\d{2}-\d{2} \d{2}:\d{2}$")
INVALID = (20002, "TRA_MSG_00.012")

STRUCTURE_KEYS = {
    "idStructure",
    "identifiantStructure",
    "typeIdentifiantStructure",
    "designationStructure",
    "idRattachementStructure",
    "roleUtilisateur",
    "statutRattachementStructure",
    "statutUtilisateur",
    "listeServicesRattache",
}
SERVICE_KEYS = {
    "idService",
    "codeService",
    "libelleService",
    "estActif",
    "dateDbtService",
    "dateFinService",
    "idRattachementService",
    "statutRattachementService",
    "statutService",
}


def test_my_links_give_the_suppliers_own_structure_and_services(sim, supplier_session):
    supplier = sim.dataset.main_supplier()
    body = supplier_session.ok(f"{U}/monCompte/recuperer/rattachements", {})
    assert set(body) == {"codeRetour", "libelle", "listeStructureRattachement", "parametresRetour"}
    [link] = body["listeStructureRattachement"]
    assert set(link) == STRUCTURE_KEYS
    assert link["idStructure"] == supplier.structure_id and link["identifiantStructure"] == supplier.siret
    assert link["typeIdentifiantStructure"] == "SIRET" and link["statutRattachementStructure"] == "VALIDEE"
    services = link["listeServicesRattache"]
    assert [s["idService"] for s in services] == [s.service_id for s in supplier.services]
    for item in services:
        assert set(item) == SERVICE_KEYS
        assert MINUTE.match(item["dateDbtService"]) and isinstance(item["estActif"], bool)
        assert item["statutRattachementService"] in {"VALIDEE", "DESACTIVEE"}
    assert body["parametresRetour"] == {"pageCourante": 1, "pages": 1, "nbResultatsParPage": 10, "total": 1}


def test_my_links_agree_with_the_structures_api(sim, recipient_session):
    body = recipient_session.ok(
        f"{U}/monCompte/recuperer/rattachements",
        {"parametresRecherche": {"triColonne": "IdentifiantStructure", "triSens": "Descendant"}},
    )
    links = body["listeStructureRattachement"]
    expected = sorted(
        (sim.dataset.structure(i).siret for i in recipient_session.account.structure_ids), reverse=True
    )
    assert [link["identifiantStructure"] for link in links] == expected
    first = links[0]
    listed = recipient_session.ok(
        "structures/v1/lister/rattachementsutilisateur", {"idStructure": first["idStructure"]}
    )
    assert [s["idRattachement"] for s in listed["listeServices"]] == [
        s["idRattachementService"] for s in first["listeServicesRattache"]
    ][:10]


def test_my_links_paging(recipient_session):
    body = recipient_session.ok(
        f"{U}/monCompte/recuperer/rattachements",
        {"parametresRecherche": {"nbResultatsParPage": 1, "pageResultatDemandee": 2}},
    )
    assert len(body["listeStructureRattachement"]) == 1
    paging = body["parametresRetour"]
    assert paging["pageCourante"] == 2 and paging["nbResultatsParPage"] == 1
    assert paging["pages"] == paging["total"] == len(recipient_session.account.structure_ids)


@pytest.mark.parametrize(
    "body",
    [
        {"parametresRecherche": {"triColonne": "Email"}},
        {"parametresRecherche": {"triSens": "vers le haut"}},
        {"parametresRecherche": {"pageResultatDemandee": "premiere"}},
        {"parametresRecherche": []},
    ],
)
def test_my_links_refuse_bad_paging(supplier_session, body):
    supplier_session.refused(f"{U}/monCompte/recuperer/rattachements", body, *INVALID)


@pytest.mark.parametrize(
    "path",
    [
        "monCompte/recuperer/abonnements",
        "rechercher/utilisateursRattachesStructure",
        "consulter/compteUtilisateur",
        "gestionnaire/rechercher/utilisateurs",
    ],
)
def test_services_removed_from_piste_are_not_exposed(supplier_session, path):
    response = supplier_session.post(f"{U}/{path}", {})
    assert response.status_code == 403 and response.content == b""

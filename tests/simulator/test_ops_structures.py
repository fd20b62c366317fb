"""Structures operations (the six of the official Swagger) over real HTTP."""

import datetime as dt
import re

import pytest

from chorus_connect.simulator.dataset import DEFAULT_SERVICE_CODE, StructureKind

S = "structures/v1"
MINUTE = re.compile(r"^\d{4}-\d{2}-\d{2} \d{2}:\d{2}$")
TIMESTAMP = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}[+-]\d{2}:\d{2}$")
PAGING = {"pageCourante", "pages", "nbResultatsParPage", "total"}

MISSING, INVALID = (20001, "TRA_MSG_00.010"), (20002, "TRA_MSG_00.012")
UNKNOWN_STRUCTURE, NOT_ATTACHED = (20003, "TRA_MSG_00.011"), (20004, "TRA_MSG_00.013")
UNKNOWN_SERVICE = (20005, "TRA_MSG_00.017")


def ids(body: dict, field: str = "listeStructures", key: str = "idStructureCPP") -> list[int]:
    return [item[key] for item in body[field]]


# --- rechercher -------------------------------------------------------------------------------------------


def test_search_by_siret_has_the_swagger_shape_and_output_enum(sim, supplier_session):
    target = sim.dataset.recipient_with()
    body = supplier_session.ok(f"{S}/rechercher", {"structure": {"identifiantStructure": target.siret}})
    assert set(body) == {"codeRetour", "libelle", "listeStructures", "parametresRetour"}
    assert body["listeStructures"] == [
        {
            "idStructureCPP": target.structure_id,
            "identifiantStructure": target.siret,
            "designationStructure": target.name,
            "typeIdentifiantStructure": "SIRET",
            "statut": "ACTIVE",
        }
    ]
    assert body["parametresRetour"] == {"pageCourante": 1, "pages": 1, "nbResultatsParPage": 10, "total": 1}


def test_search_status_input_is_actif_inactif_and_output_active_inactive(sim, supplier_session):
    inactive = supplier_session.ok(
        f"{S}/rechercher",
        {
            "structure": {"statutStructure": "INACTIF", "typeStructure": "PUBLIQUE"},
            "parametres": {"nbResultatsParPage": 100},
        },
    )
    expected = [s.structure_id for s in sim.dataset.recipients() if not s.active]
    assert ids(inactive) == expected and expected
    assert {s["statut"] for s in inactive["listeStructures"]} == {"INACTIVE"}
    text = supplier_session.refused(f"{S}/rechercher", {"structure": {"statutStructure": "ACTIVE"}}, *INVALID)
    assert "statutStructure" in text and "ACTIF, INACTIF" in text


def test_restreindre_structures_privees(sim, supplier_session):
    """Absent or true: public + own private structures; false: every structure."""
    page = {"nbResultatsParPage": 1000}
    mine = sim.dataset.main_supplier().structure_id
    default = ids(supplier_session.ok(f"{S}/rechercher", {"parametres": page}))
    restricted = ids(
        supplier_session.ok(f"{S}/rechercher", {"restreindreStructuresPrivees": True, "parametres": page})
    )
    everything = ids(
        supplier_session.ok(f"{S}/rechercher", {"restreindreStructuresPrivees": False, "parametres": page})
    )
    public = [s.structure_id for s in sim.dataset.structures if s.kind is StructureKind.PUBLIC]
    assert sorted(default) == sorted(restricted) == sorted([*public, mine])
    assert sorted(everything) == sorted(s.structure_id for s in sim.dataset.structures)
    other_supplier = sim.dataset.suppliers()[1]
    criteria = {"structure": {"identifiantStructure": other_supplier.siret}}
    assert supplier_session.ok(f"{S}/rechercher", criteria)["listeStructures"] == []
    found = supplier_session.ok(f"{S}/rechercher", {**criteria, "restreindreStructuresPrivees": False})
    assert ids(found) == [other_supplier.structure_id]


def test_search_filters_paging_and_sorting(sim, supplier_session):
    recipient = sim.dataset.recipient_with()
    by_name = supplier_session.ok(
        f"{S}/rechercher",
        {"structure": {"raisonSocialeStructure": recipient.name.upper(), "adresseCodePays": "fr"}},
    )
    assert recipient.structure_id in ids(by_name)
    by_city = supplier_session.ok(
        f"{S}/rechercher",
        {
            "structure": {
                "adresseVille": recipient.address.city,
                "adresseCodePostal": recipient.address.postal_code[:2],
            }
        },
    )
    assert recipient.structure_id in ids(by_city)
    public = sorted(sim.dataset.recipients(), key=lambda s: s.name, reverse=True)
    second = supplier_session.ok(
        f"{S}/rechercher",
        {
            "structure": {"typeStructure": "PUBLIQUE"},
            "parametres": {
                "pageResultatDemandee": 2,
                "nbResultatsParPage": 3,
                "triColonne": "DesignationStructure",
                "triSens": "Descendant",
            },
        },
    )
    assert ids(second) == [s.structure_id for s in public[3:6]]
    assert second["parametresRetour"] == {
        "pageCourante": 2,
        "pages": -(-len(public) // 3),
        "nbResultatsParPage": 3,
        "total": len(public),
    }
    assert (
        supplier_session.ok(f"{S}/rechercher", {"structure": {"estMOAUniquement": True}})["listeStructures"]
        == []
    )


@pytest.mark.parametrize(
    "body",
    [
        {"structure": {"typeIdentifiantStructure": "SIREN"}},
        {"structure": {"typeStructure": "PUBLIC"}},
        {"parametres": {"triColonne": "Ville"}},
        {"parametres": {"triSens": "Montant"}},
        {"parametres": {"nbResultatsParPage": 0}},
        {"restreindreStructuresPrivees": "non"},
        {"structure": "00000000005734"},
    ],
)
def test_search_refuses_values_outside_the_swagger_enums(supplier_session, body):
    supplier_session.refused(f"{S}/rechercher", body, *INVALID)


# --- consulter --------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "flags",
    [
        {"engagement_required": True},
        {"service_required": True},
        {"engagement_or_service": True},
        {"engagement_required": True, "service_required": True},
        {"payment_status_not_reported": True},
    ],
)
def test_consult_returns_the_parameters_of_the_data_set(sim, supplier_session, flags):
    structure = sim.dataset.recipient_with(**flags)
    body = supplier_session.ok(
        f"{S}/consulter", {"idStructureCPP": structure.structure_id, "codeLangue": "FR"}
    )
    assert set(body) == {
        "codeRetour",
        "libelle",
        "adressePostaleDuSiege",
        "informationGenerales",
        "parametres",
    }
    parametres = body["parametres"]
    assert set(parametres) == {
        "numeroEJDoitEtreRenseigne",
        "codeServiceDoitEtreRenseigne",
        "gestionNumeroEJOuCodeService",
        "statutMiseEnPaiementNestPasRemonte",
        "connexionEDI",
        "recevoirDonneesViaEDI",
        "estMoaUniquement",
        "estValideurDelegue",
        "getaMoa",
        "nonDiffusibleInsee",
    }
    assert parametres["numeroEJDoitEtreRenseigne"] is structure.engagement_required
    assert parametres["codeServiceDoitEtreRenseigne"] is structure.service_required
    assert parametres["gestionNumeroEJOuCodeService"] is structure.engagement_or_service
    assert parametres["statutMiseEnPaiementNestPasRemonte"] is structure.payment_status_not_reported
    info = body["informationGenerales"]
    assert (
        info["idStructureCPP"] == structure.structure_id and info["identifiantStructure"] == structure.siret
    )
    assert info["structurePriveePublique"] == "PUBLIQUE" and info["typeIdentifiantStructure"] == "SIRET"
    assert info["dateExpirationMotPasseCompteTech"] is None  # not the supplier's structure
    address = body["adressePostaleDuSiege"]
    assert (
        address["codePostal"] == structure.address.postal_code and address["ville"] == structure.address.city
    )


def test_consult_own_structure_shows_the_technical_password_expiry(sim, supplier_session):
    supplier = sim.dataset.main_supplier()
    body = supplier_session.ok(f"{S}/consulter", {"idStructureCPP": supplier.structure_id})
    expiry = body["informationGenerales"]["dateExpirationMotPasseCompteTech"]
    assert TIMESTAMP.match(expiry)
    assert dt.datetime.fromisoformat(expiry).date() == supplier_session.account.password_expires_on
    info = body["informationGenerales"]
    assert info["structurePriveePublique"] == "PRIVEE" and info["numeroTVA"] == supplier.vat_number
    assert info["listeStructureDupliquees"] == [] and info["estValideurDeleguee"] is False


def test_consult_refusals(sim, supplier_session):
    text = supplier_session.refused(f"{S}/consulter", {"idStructureCPP": 123}, *UNKNOWN_STRUCTURE)
    assert text == "Structure inconnue : idStructureCPP 123"
    other = sim.dataset.suppliers()[1]
    supplier_session.refused(f"{S}/consulter", {"idStructureCPP": other.structure_id}, *NOT_ATTACHED)
    supplier_session.refused(f"{S}/consulter", {}, *MISSING)
    supplier_session.refused(f"{S}/consulter", {"idStructureCPP": "abc"}, *INVALID)
    supplier_session.refused(
        f"{S}/consulter", {"idStructureCPP": other.structure_id, "codeLangue": "IT"}, *INVALID
    )


# --- services ---------------------------------------------------------------------------------------------


def test_search_services_lists_active_and_inactive_services(sim, supplier_session):
    structure = sim.dataset.recipient_with(service_required=True)
    body = supplier_session.ok(
        f"{S}/rechercher/services",
        {
            "idStructure": structure.structure_id,
            "parametresRechercherServicesStructure": {"nbResultatsParPage": 50},
        },
    )
    assert set(body) == {"codeRetour", "libelle", "listeServices", "parametresRetour"}
    services = body["listeServices"]
    assert [s["idService"] for s in services] == [s.service_id for s in structure.services]
    assert services[0]["codeService"] == DEFAULT_SERVICE_CODE
    for item, service in zip(services, structure.services, strict=True):
        assert set(item) == {
            "idService",
            "codeService",
            "libelleService",
            "estActif",
            "statutService",
            "dateDbtService",
            "dateFinService",
        }
        assert item["estActif"] is service.active
        assert item["statutService"] == ("ACTIF" if service.active else "INACTIF")
        assert MINUTE.match(item["dateDbtService"])
        assert item["dateFinService"] is None or MINUTE.match(item["dateFinService"])
    assert any(not s["estActif"] for s in services)
    assert body["parametresRetour"]["total"] == len(structure.services)


def test_search_services_sorted_and_refused(sim, supplier_session):
    structure = sim.dataset.recipient_with()
    body = supplier_session.ok(
        f"{S}/rechercher/services",
        {
            "idStructure": structure.structure_id,
            "parametresRechercherServicesStructure": {"triColonne": "CodeService", "triSens": "Ascendant"},
        },
    )
    codes = [s["codeService"] for s in body["listeServices"]]
    assert codes == sorted(s.code for s in structure.services)[:10]
    supplier_session.refused(f"{S}/rechercher/services", {"idStructure": 1}, *UNKNOWN_STRUCTURE)
    supplier_session.refused(f"{S}/rechercher/services", {}, *MISSING)
    supplier_session.refused(
        f"{S}/rechercher/services",
        {
            "idStructure": structure.structure_id,
            "parametresRechercherServicesStructure": {"triColonne": "Statut"},
        },
        *INVALID,
    )


def test_consult_service_tells_whether_an_engagement_is_required(sim, supplier_session):
    structure = sim.dataset.recipient_with()
    for service in structure.services:
        body = supplier_session.ok(
            f"{S}/consulter/service", {"idStructure": structure.structure_id, "idService": service.service_id}
        )
        assert body["informationsGenerales"] == {
            "codeService": service.code,
            "nomService": service.label,
            "descriptionService": service.label,
        }
        assert body["parametres"]["numeroEngagement"] is service.engagement_required
        assert body["parametres"]["miseEnPaiement"] is True
        assert TIMESTAMP.match(body["parametres"]["dateDebutValidite"])
        assert (body["parametres"]["dateFinValidite"] is None) is (service.ends_on is None)
        assert body["adressePostale"]["ville"] == structure.address.city
        assert {"pageCourante", "pages", "nbResultatsParPage", "total"} <= set(body)
    assert any(s.engagement_required for s in structure.services)


def test_consult_service_refusals(sim, supplier_session):
    structure = sim.dataset.recipient_with()
    foreign = sim.dataset.recipient_with(engagement_required=True).services[0]
    text = supplier_session.refused(
        f"{S}/consulter/service",
        {"idStructure": structure.structure_id, "idService": foreign.service_id},
        *UNKNOWN_SERVICE,
    )
    assert str(foreign.service_id) in text and str(structure.structure_id) in text
    supplier_session.refused(f"{S}/consulter/service", {"idStructure": structure.structure_id}, *MISSING)
    supplier_session.refused(f"{S}/consulter/service", {"idStructure": 5, "idService": 6}, *UNKNOWN_STRUCTURE)


# --- rattachements and espaces ---------------------------------------------------------------------------


def test_list_user_links_of_own_structure(sim, recipient_session):
    structure = sim.dataset.structure(recipient_session.account.structure_ids[0])
    body = recipient_session.ok(
        f"{S}/lister/rattachementsutilisateur",
        {
            "identifiantStructure": structure.siret,
            "typeIdentifiantStructure": "SIRET",
            "parametresListerRattachementsStructureUtilisateur": {"nbResultatsParPage": 50},
        },
    )
    assert body["idStructure"] == structure.structure_id and body["identifiantStructure"] == structure.siret
    assert body["designationStructure"] == structure.name and isinstance(body["premierService"], bool)
    assert set(body["parametresRetour"]) == PAGING
    links = body["listeServices"]
    assert [link["idService"] for link in links] == [s.service_id for s in structure.services]
    for link, service in zip(links, structure.services, strict=True):
        assert set(link) == {
            "idService",
            "codeService",
            "nomService",
            "idRattachement",
            "statutRattachement",
            "dateDebut",
            "dateFin",
            "commentaire",
        }
        assert link["statutRattachement"] == ("VALIDEE" if service.active else "DESACTIVEE")
        assert TIMESTAMP.match(link["dateDebut"])
    assert len({link["idRattachement"] for link in links}) == len(links)
    by_id = recipient_session.ok(
        f"{S}/lister/rattachementsutilisateur",
        {"idStructure": structure.structure_id, "idUtilisateur": recipient_session.account.user_id},
    )
    assert [link["idRattachement"] for link in by_id["listeServices"]] == [
        link["idRattachement"] for link in links[:10]
    ]


def test_list_user_links_refusals(sim, supplier_session):
    mine = sim.dataset.main_supplier()
    public = sim.dataset.recipient_with()
    path = f"{S}/lister/rattachementsutilisateur"
    supplier_session.refused(path, {"idStructure": public.structure_id}, *NOT_ATTACHED)
    supplier_session.refused(path, {}, *MISSING)
    supplier_session.refused(path, {"identifiantStructure": "00000000000000"}, *UNKNOWN_STRUCTURE)
    text = supplier_session.refused(
        path, {"idStructure": mine.structure_id, "idUtilisateur": 1}, 20006, "TRA_MSG_00.018"
    )
    assert str(mine.structure_id) in text
    supplier_session.refused(
        path,
        {
            "idStructure": mine.structure_id,
            "parametresListerRattachementsStructureUtilisateur": {"triColonne": "X"},
        },
        *INVALID,
    )


def test_search_spaces(sim, supplier_session):
    supplier = sim.dataset.main_supplier()
    service = supplier.services[0]
    body = supplier_session.ok(
        f"{S}/rechercher/espaces", {"structure": {"idStructure": supplier.structure_id}}
    )
    assert set(body) == {"codeRetour", "libelle", "listeEspace", "parametresRetour"}
    spaces = body["listeEspace"]
    assert spaces and all(
        set(e)
        == {
            "idEspaceFo",
            "codeEspace",
            "libelleEspace",
            "etatCourant",
            "typeHabilitation",
            "idService",
            "codeService",
            "libelleService",
        }
        for e in spaces
    )
    assert {e["etatCourant"] for e in spaces} <= {"ACTIVE", "SUPPRIME"}
    assert {e["typeHabilitation"] for e in spaces} <= {"CONSULTATION_UNIQUEMENT", "MODIFICATION"}
    assert "Factures émises" in {e["libelleEspace"] for e in spaces}
    by_service = supplier_session.ok(
        f"{S}/rechercher/espaces",
        {
            "idService": service.service_id,
            "parametresRechercherEspaces": {"triColonne": "CodeEspace", "triSens": "Descendant"},
        },
    )
    codes = [e["codeEspace"] for e in by_service["listeEspace"]]
    assert codes == sorted(codes, reverse=True) and {e["idService"] for e in by_service["listeEspace"]} == {
        service.service_id
    }


def test_search_spaces_refusals(sim, supplier_session):
    public = sim.dataset.recipient_with()
    supplier_session.refused(f"{S}/rechercher/espaces", {}, 20007, "TRA_MSG_00.019")
    supplier_session.refused(
        f"{S}/rechercher/espaces", {"structure": {"idStructure": public.structure_id}}, *NOT_ATTACHED
    )
    supplier_session.refused(
        f"{S}/rechercher/espaces", {"idService": public.services[0].service_id}, *UNKNOWN_SERVICE
    )
    supplier_session.refused(
        f"{S}/rechercher/espaces",
        {"structure": {"identifiantStructure": public.siret, "typeIdentifiantStructure": "NUMERO"}},
        *INVALID,
    )


def test_an_application_not_subscribed_to_structures_gets_403(sim, session_for):
    application = sim.dataset.application_without("structures")
    session = session_for(sim.dataset.supplier_account(sim.dataset.main_supplier().structure_id), application)
    response = session.post(f"{S}/rechercher", {})
    assert response.status_code == 403

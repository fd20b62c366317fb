"""Engagements juridiques operations over real HTTP: rechercher (as OCA calls it) and consulter."""

import pytest

from chorus_connect.simulator.dataset import EngagementState

E = "engagementsJuridiques/v1"
ITEM_KEYS = {
    "numeroEngagementJuridique",
    "etatCourantEngagementJuridique",
    "idStructureReceptriceEngagementJuridique",
    "identifiantStructureReceptriceEngagementJuridique",
    "designationStructureReceptriceEngagementJuridique",
    "idStructureEmettriceEngagementJuridique",
    "identifiantStructureEmettriceEngagementJuridique",
    "designationStructureEmettriceEngagementJuridique",
    "montantEngagementJuridique",
    "deviseEngagementJuridique",
}
MISSING, INVALID = (20001, "TRA_MSG_00.010"), (20002, "TRA_MSG_00.012")
UNKNOWN_STRUCTURE, UNKNOWN_COMMITMENT = (20003, "TRA_MSG_00.011"), (20004, "TRA_MSG_04.001")


@pytest.fixture(scope="module")
def pair(sim):
    """The main supplier and the first public structure requiring an EJ, with their EJs (one closed)."""
    supplier = sim.dataset.main_supplier()
    buyer = sim.dataset.recipient_with(engagement_required=True)
    return supplier, buyer, sim.dataset.commitments_between(supplier.structure_id, buyer.structure_id)


def test_oca_check_finds_exactly_one_ordered_commitment(supplier_session, pair):
    supplier, buyer, commitments = pair
    ordered = next(c for c in commitments if c.state is EngagementState.ORDERED)
    body = supplier_session.ok(
        f"{E}/rechercher",
        {
            "structureReceptriceEngagementJuridique": str(supplier.structure_id),
            "numeroEngagementJuridique": ordered.number,
            "etatCourantEngagementJuridique": "COMMANDE",
        },
    )
    assert set(body) == {"codeRetour", "libelle", "listeEngagementJuridique", "parametresRetour"}
    [item] = body["listeEngagementJuridique"]
    assert set(item) == ITEM_KEYS
    assert item["numeroEngagementJuridique"] == ordered.number
    assert item["etatCourantEngagementJuridique"] == "COMMANDE"
    assert item["idStructureReceptriceEngagementJuridique"] == supplier.structure_id
    assert item["identifiantStructureReceptriceEngagementJuridique"] == supplier.siret
    assert item["idStructureEmettriceEngagementJuridique"] == buyer.structure_id
    assert item["designationStructureEmettriceEngagementJuridique"] == buyer.name
    assert item["montantEngagementJuridique"] == float(ordered.amount)
    assert body["parametresRetour"] == {"pageCourante": 1, "pages": 1, "nbResultatsParPage": 10, "total": 1}


def test_a_closed_commitment_is_not_found_as_ordered(supplier_session, pair):
    supplier, _buyer, commitments = pair
    closed = next(c for c in commitments if c.state is EngagementState.CLOSED)
    criteria = {
        "structureReceptriceEngagementJuridique": str(supplier.structure_id),
        "numeroEngagementJuridique": closed.number,
    }
    ordered = supplier_session.ok(
        f"{E}/rechercher", {**criteria, "etatCourantEngagementJuridique": "COMMANDE"}
    )
    assert ordered["listeEngagementJuridique"] == [] and ordered["parametresRetour"]["total"] == 0
    any_state = supplier_session.ok(f"{E}/rechercher", criteria)
    assert [c["etatCourantEngagementJuridique"] for c in any_state["listeEngagementJuridique"]] == ["CLOTURE"]


def test_search_sees_only_the_accounts_commitments_and_pages_them(sim, supplier_session, recipient_session):
    supplier = sim.dataset.main_supplier()
    everything = supplier_session.ok(f"{E}/rechercher", {"parametresRecherche": {"nbResultatsParPage": 500}})
    expected = [c.number for c in sim.dataset.commitments if c.supplier_structure_id == supplier.structure_id]
    assert [c["numeroEngagementJuridique"] for c in everything["listeEngagementJuridique"]] == expected
    page = supplier_session.ok(
        f"{E}/rechercher",
        {
            "parametresRecherche": {
                "nbResultatsParPage": 2,
                "pageResultatDemandee": 2,
                "triColonne": "NumeroEngagementJuridique",
            }
        },
    )
    assert [c["numeroEngagementJuridique"] for c in page["listeEngagementJuridique"]] == sorted(expected)[2:4]
    assert page["parametresRetour"]["total"] == len(expected)
    # A public buyer sees the EJs it issued, whoever the supplier.
    buyers = set(recipient_session.account.structure_ids)
    issued = recipient_session.ok(f"{E}/rechercher", {"parametresRecherche": {"nbResultatsParPage": 1000}})
    assert {
        c["idStructureEmettriceEngagementJuridique"] for c in issued["listeEngagementJuridique"]
    } <= buyers
    assert issued["parametresRetour"]["total"] == sum(
        1 for c in sim.dataset.commitments if c.recipient_structure_id in buyers
    )
    other = sim.dataset.suppliers()[1]
    foreign = supplier_session.ok(
        f"{E}/rechercher", {"structureReceptriceEngagementJuridique": str(other.structure_id)}
    )
    assert foreign["listeEngagementJuridique"] == []


@pytest.mark.parametrize(
    ("body", "error"),
    [
        ({"structureReceptriceEngagementJuridique": "12"}, UNKNOWN_STRUCTURE),
        ({"structureReceptriceEngagementJuridique": "abc"}, INVALID),
        ({"etatCourantEngagementJuridique": "SIGNE"}, INVALID),
        ({"numeroEngagementJuridique": "E" * 51}, INVALID),
        ({"parametresRecherche": {"triColonne": "Date"}}, INVALID),
    ],
)
def test_search_refusals(supplier_session, body, error):
    supplier_session.refused(f"{E}/rechercher", body, *error)


def test_consult_a_commitment(supplier_session, pair):
    _supplier, buyer, commitments = pair
    body = supplier_session.ok(f"{E}/consulter", {"numeroEngagementJuridique": commitments[0].number})
    assert set(body) == {"codeRetour", "libelle"} | ITEM_KEYS
    assert body["numeroEngagementJuridique"] == commitments[0].number
    assert body["idStructureEmettriceEngagementJuridique"] == buyer.structure_id


def test_consult_refusals(sim, supplier_session):
    text = supplier_session.refused(
        f"{E}/consulter", {"numeroEngagementJuridique": "EJ-0000"}, *UNKNOWN_COMMITMENT
    )
    assert text == "Engagement juridique inconnu : EJ-0000"
    other = sim.dataset.suppliers()[1]
    theirs = next(c for c in sim.dataset.commitments if c.supplier_structure_id == other.structure_id)
    supplier_session.refused(
        f"{E}/consulter", {"numeroEngagementJuridique": theirs.number}, *UNKNOWN_COMMITMENT
    )
    supplier_session.refused(f"{E}/consulter", {}, *MISSING)

"""The API-backed directory (`ApiRecipientDirectory`) against the simulator, over real HTTP with the
project's API client: it must answer what the simulator's data set says, cache its answers for the TTL,
give the checks the same findings as the in-memory directory, and degrade to a warning when down."""

from __future__ import annotations

import copy
from collections.abc import Iterator

import pytest
from simulator_cases import CASES, ChorusDesk, base_invoice, directory_of

from chorus_connect.api import ChorusClient, Credentials, Environment
from chorus_connect.invoice import Invoice, OutputFormat, write_invoice
from chorus_connect.simulator import SimulatorConfig, SimulatorServer
from chorus_connect.simulator.dataset import StructureKind
from chorus_connect.validation import CheckOptions, RecipientStructure, check_invoice
from chorus_connect.validation.recipient import DirectoryUnavailableError
from chorus_connect.validation.recipient_api import ApiRecipientDirectory


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture(scope="module")
def sim() -> Iterator[SimulatorServer]:
    with SimulatorServer(SimulatorConfig(frozen_clock=True)) as server:
        yield server


def _client(sim: SimulatorServer, secret: str | None = None) -> ChorusClient:
    application = sim.dataset.main_application()
    account = sim.dataset.supplier_account(sim.dataset.main_supplier().structure_id)
    credentials = Credentials(
        application.client_id, secret or application.client_secret, account.login, account.password
    )
    return ChorusClient(credentials, Environment.local(sim.base_url), rate_limit=None)


@pytest.fixture(scope="module")
def client(sim: SimulatorServer) -> Iterator[ChorusClient]:
    with _client(sim) as chorus:
        yield chorus


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def api(client: ChorusClient, clock: FakeClock) -> ApiRecipientDirectory:
    return ApiRecipientDirectory(client, ttl=60, clock=clock)


def _requests(sim: SimulatorServer) -> dict[str, int]:
    return dict(sim.admin.stats()["requests_by_operation"])


def test_structures_are_read_as_the_data_set_has_them(sim: SimulatorServer, api: ApiRecipientDirectory):
    expected = directory_of(sim.dataset)
    for structure in sim.dataset.recipients():
        assert api.structure(structure.siret) == expected.structure(structure.siret)
    supplier = sim.dataset.main_supplier()
    assert api.structure(supplier.siret) == RecipientStructure(supplier.siret, supplier.name, public=False)
    # Another account's private structure: Chorus Pro will not show its settings, only that it exists.
    stranger = sim.dataset.suppliers()[1]
    assert api.structure(stranger.siret) == RecipientStructure(stranger.siret, stranger.name, public=False)
    assert api.structure("00000000099999") is None


def test_services_are_read_with_their_own_engagement_flag(sim: SimulatorServer, api: ApiRecipientDirectory):
    expected = directory_of(sim.dataset)
    checked = 0
    for structure in sim.dataset.recipients()[:4]:
        for service in structure.services:
            assert api.service(structure.siret, service.code) == expected.service(
                structure.siret, service.code
            )
            checked += 1
        assert api.service(structure.siret, "INCONNU") is None
    assert checked > 15


def test_engagements_known_unknown_and_unpublished(sim: SimulatorServer, api: ApiRecipientDirectory):
    dataset = sim.dataset
    supplier = dataset.main_supplier()
    buyer = next(
        s for s in dataset.recipients() if dataset.commitments_between(supplier.structure_id, s.structure_id)
    )
    number = dataset.commitments_between(supplier.structure_id, buyer.structure_id)[0].number
    assert api.engagement_exists(buyer.siret, number) is True
    assert api.engagement_exists(buyer.siret, "EJ-INCONNU") is False
    silent = next(
        (
            s
            for s in dataset.recipients()
            if not dataset.commitments_between(supplier.structure_id, s.structure_id)
        ),
        None,
    )
    if silent is not None:  # a buyer whose EJs the account cannot see: cannot tell
        assert api.engagement_exists(silent.siret, "EJ-INCONNU") is None


def test_invoice_numbers_already_integrated(sim: SimulatorServer, api: ApiRecipientDirectory):
    data = base_invoice(sim.dataset)
    data["number"] = "API-DIR-1"
    invoice = Invoice.model_validate(data)
    year = invoice.issue_date.year
    assert api.invoice_number_used(invoice.seller.siret, invoice.number, year) is False
    desk = ChorusDesk(sim, sim.dataset.supplier_account(sim.dataset.main_supplier().structure_id))
    output = write_invoice(invoice, OutputFormat.CII)
    flux = desk.deposit(output.data, "API-DIR-1.xml", output.syntaxe_flux)
    sim.admin.advance_clock(10)
    assert desk.verdict(flux)[0] == "IN_INTEGRE"
    desk.close()
    assert api.invoice_number_used(invoice.seller.siret, invoice.number, year) is True  # never cached
    assert api.invoice_number_used(invoice.seller.siret, invoice.number, year - 1) is False
    report = check_invoice(invoice, CheckOptions(directory=api))
    assert [(f.rule_id, f.path) for f in report.errors] == [("CPRO-NUM-02", "number")]


def test_answers_are_cached_for_the_ttl(sim: SimulatorServer, api: ApiRecipientDirectory, clock: FakeClock):
    siret = sim.dataset.recipient_with(service_required=True).siret
    before = _requests(sim)
    first = api.structure(siret)
    after_first = _requests(sim)
    assert api.structure(siret) == first and _requests(sim) == after_first  # cached: no call
    assert sum(after_first.values()) - sum(before.values()) == 2  # rechercher + consulter
    clock.now += 61
    api.structure(siret)
    assert sum(_requests(sim).values()) - sum(after_first.values()) == 2  # expired: read again


def test_checks_find_the_same_through_the_api_as_in_memory(sim: SimulatorServer, api: ApiRecipientDirectory):
    dataset = sim.dataset
    in_memory = directory_of(dataset)
    in_memory.used_numbers = None  # nothing deposited by this corpus: neither side reports numbers
    for index, case in enumerate(CASES):
        data = base_invoice(dataset)
        case.change(data, dataset)
        data = copy.deepcopy(data)
        data["number"] = data["number"] or f"API-{index}"
        invoice = Invoice.model_validate(data)
        ours = check_invoice(invoice, CheckOptions(directory=api))
        expected = check_invoice(invoice, CheckOptions(directory=in_memory))
        found = [(f.rule_id, f.path, f.severity) for f in ours.findings]
        assert found == [(f.rule_id, f.path, f.severity) for f in expected.findings], case.name


def test_an_unreachable_directory_is_a_warning_not_a_pass_or_a_traceback(sim: SimulatorServer):
    with _client(sim, secret="wrong-secret") as broken:
        directory = ApiRecipientDirectory(broken)
        with pytest.raises(DirectoryUnavailableError, match="annuaire Chorus Pro injoignable"):
            directory.structure(sim.dataset.recipient_with().siret)
        data = base_invoice(sim.dataset)
        data["number"] = "API-DOWN-1"
        report = check_invoice(Invoice.model_validate(data), CheckOptions(directory=directory))
    (finding,) = [f for f in report.findings if f.layer == "recipient"]
    # Refused credentials are named (rejection cause #38), still as a warning: the invoice may be right.
    assert (finding.rule_id, finding.severity) == ("CPRO-API-01", "warning")
    assert "wrong-secret" not in (finding.detail or "") and report.ok


def test_private_structures_are_not_public(sim: SimulatorServer, api: ApiRecipientDirectory):
    for structure in sim.dataset.structures:
        found = api.structure(structure.siret)
        assert found is not None and found.public is (structure.kind is StructureKind.PUBLIC)

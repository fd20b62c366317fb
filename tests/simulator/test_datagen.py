import datetime as dt
import itertools
import json

import pytest
from stdnum import iban, luhn
from stdnum.fr import tva
from typer.testing import CliRunner

from chorus_connect.cli.main import app
from chorus_connect.simulator.datagen import default_dataset, generate_dataset
from chorus_connect.simulator.dataset import (
    ALL_API_FAMILIES,
    DEFAULT_SERVICE_CODE,
    AccountRole,
    Dataset,
    EngagementState,
)

SEEDS = [0, 1, 84, 2026]
TODAY = dt.date(2026, 1, 1)
FLAGS = ("engagement_required", "service_required", "engagement_or_service")


@pytest.fixture(scope="module", params=SEEDS)
def dataset(request) -> Dataset:
    return generate_dataset(request.param)


def test_same_seed_gives_byte_identical_json():
    assert generate_dataset(84).model_dump_json() == generate_dataset(84).model_dump_json()


def test_different_seeds_give_different_data_sets():
    dumps = {generate_dataset(seed).model_dump_json() for seed in SEEDS}
    assert len(dumps) == len(SEEDS)


def test_today_anchors_the_dates_and_defaults_to_2026_01_01():
    later = dt.date(2027, 6, 15)
    assert generate_dataset(5).generated_on == TODAY
    shifted = generate_dataset(5, later)
    assert shifted.generated_on == later
    assert shifted.main_supplier().structure_id == generate_dataset(5).main_supplier().structure_id
    account = shifted.supplier_account(shifted.main_supplier().structure_id)
    assert account.password_expires_on == later + dt.timedelta(days=424)


def test_every_flag_combination_has_an_active_public_structure(dataset):
    active = [s for s in dataset.recipients() if s.active]
    present = {tuple(getattr(s, flag) for flag in FLAGS) for s in active}
    assert present == set(itertools.product((False, True), repeat=3))


def test_odd_public_structures_are_present(dataset):
    recipients = dataset.recipients()
    assert any(not s.active for s in recipients)
    assert any(s.payment_status_not_reported for s in recipients)
    plain = [s for s in recipients if s.active and not any(getattr(s, f) for f in FLAGS)]
    assert len(plain) >= 3  # the (False, False, False) combination plus the plain extras


def test_public_structures_have_the_default_service_and_varied_services(dataset):
    for structure in dataset.recipients():
        default = structure.default_service()
        assert default is not None and default.active, structure.name
        others = [s for s in structure.services if s.code != DEFAULT_SERVICE_CODE]
        assert len(others) >= 3
        assert any(s.active and not s.engagement_required for s in others)
        assert any(s.active and s.engagement_required for s in others)
        inactive = [s for s in others if not s.active]
        assert inactive and all(s.ends_on is not None and s.ends_on < dataset.generated_on for s in inactive)
        codes = [s.code for s in structure.services]
        assert len(codes) == len(set(codes))
        assert any(c.startswith("SERVICE_") and c.endswith(f"TST{dataset.seed % 1000:03d}") for c in codes)


def test_suppliers_are_private_with_bank_details(dataset):
    suppliers = dataset.suppliers()
    assert len(suppliers) >= 3
    assert any(not s.active for s in suppliers)
    for supplier in suppliers:
        valid = supplier.valid_bank_accounts()
        assert 1 <= len(valid) <= 2
        assert len(supplier.bank_accounts) - len(valid) == 1
        assert tva.is_valid(supplier.vat_number)


def test_every_iban_has_valid_check_digits_and_a_bic(dataset):
    accounts = [a for s in dataset.structures for a in s.bank_accounts]
    assert accounts
    for account in accounts:
        assert account.iban.startswith("FR") and len(account.iban) == 27
        assert iban.is_valid(account.iban), account.iban
        assert len(account.bic) in (8, 11)


def test_sirets_look_like_qualification_ones(dataset):
    sirets = [s.siret for s in dataset.structures]
    assert len(sirets) == len(set(sirets))
    for siret in sirets:
        assert len(siret) == 14 and siret.isdigit() and siret.startswith("000000000")
        assert not luhn.is_valid(siret)  # as in qualification: the simulator must never require Luhn


def test_identifiers_are_unique(dataset):
    structure_ids = [s.structure_id for s in dataset.structures]
    service_ids = [v.service_id for s in dataset.structures for v in s.services]
    bank_ids = [b.bank_account_id for s in dataset.structures for b in s.bank_accounts]
    user_ids = [a.user_id for a in dataset.technical_accounts]
    every_id = structure_ids + service_ids + bank_ids + user_ids
    assert len(every_id) == len(set(every_id))
    logins = [a.login for a in dataset.technical_accounts]
    assert len(logins) == len(set(logins))
    numbers = [c.number for c in dataset.commitments]
    assert len(numbers) == len(set(numbers))
    client_ids = [a.client_id for a in dataset.applications]
    assert len(client_ids) == len(set(client_ids))


def test_supplier_accounts_and_their_password_expiries(dataset):
    today = dataset.generated_on
    accounts = [a for a in dataset.technical_accounts if a.role is AccountRole.SUPPLIER]
    covered = sorted(sid for a in accounts for sid in a.structure_ids)
    assert covered == sorted(s.structure_id for s in dataset.suppliers())
    expired = [a for a in accounts if a.password_expired(today)]
    expiring = [a for a in accounts if today < a.password_expires_on <= today + dt.timedelta(days=30)]
    nominal = [a for a in accounts if a.password_expires_on == today + dt.timedelta(days=424)]
    assert len(expired) == 1 and len(expiring) == 1
    assert len(nominal) == len(accounts) - 2
    for account in accounts:
        assert account.login.startswith("TECH_1_") and account.login.endswith("@cpro.fr")
        assert len(account.password) >= 16
        assert len(account.structure_ids) == 1


def test_every_public_structure_has_exactly_one_recipient_account(dataset):
    accounts = [a for a in dataset.technical_accounts if a.role is AccountRole.RECIPIENT]
    covered = [sid for a in accounts for sid in a.structure_ids]
    assert sorted(covered) == sorted(s.structure_id for s in dataset.recipients())
    assert any(len(a.structure_ids) > 1 for a in accounts)
    assert all(not a.password_expired(dataset.generated_on) for a in accounts)


def test_piste_applications(dataset):
    main = dataset.main_application()
    assert set(main.subscribed_apis) == set(ALL_API_FAMILIES)
    restricted = dataset.application_without("structures")
    assert set(restricted.subscribed_apis) == {"factures", "transverses"}
    for application in dataset.applications:
        assert len(application.client_secret) == 40
        assert len(application.client_id) == 36 and application.client_id.count("-") == 4


def test_commitments(dataset):
    assert all(len(c.number) <= 50 for c in dataset.commitments)
    closed = [c for c in dataset.commitments if c.state is EngagementState.CLOSED]
    assert len(closed) == 1
    ids = {s.structure_id for s in dataset.structures}
    assert all({c.supplier_structure_id, c.recipient_structure_id} <= ids for c in dataset.commitments)
    supplier = dataset.main_supplier()
    for structure in dataset.recipients():
        needs_ej = structure.engagement_required or structure.engagement_or_service
        pair = dataset.commitments_between(supplier.structure_id, structure.structure_id)
        assert len(pair) >= (2 if needs_ej else 1)


def test_well_known_picks_find_what_they_promise(dataset):
    supplier = dataset.main_supplier()
    assert supplier.active and supplier.kind.value == "PRIVEE"
    assert dataset.main_bank_account() in supplier.valid_bank_accounts()
    account = dataset.supplier_account(supplier.structure_id)
    assert account.role is AccountRole.SUPPLIER
    assert account.password_expires_on == dataset.generated_on + dt.timedelta(days=424)
    assert not dataset.inactive_supplier().active

    for flags in itertools.product((False, True), repeat=3):
        wanted = dict(zip(FLAGS, flags, strict=True))
        recipient = dataset.recipient_with(**wanted)
        assert recipient.active and not recipient.payment_status_not_reported
        assert {flag: getattr(recipient, flag) for flag in FLAGS} == wanted
        assert recipient.structure_id in dataset.recipient_account(recipient.structure_id).structure_ids
    assert dataset.recipient_with(payment_status_not_reported=True).payment_status_not_reported
    assert not dataset.inactive_recipient().active

    assert dataset.expired_account().password_expired(dataset.generated_on)
    expiring = dataset.expiring_account(30)
    assert not expiring.password_expired(dataset.generated_on)
    assert expiring.password_expires_on <= dataset.generated_on + dt.timedelta(days=30)

    ej_recipient = dataset.recipient_with(engagement_required=True)
    open_ejs = dataset.commitments_between(
        supplier.structure_id, ej_recipient.structure_id, EngagementState.ORDERED
    )
    assert open_ejs and dataset.commitment(open_ejs[0].number) == open_ejs[0]


def test_lookups_fail_with_a_clear_message():
    dataset = generate_dataset(3)
    supplier_id = dataset.main_supplier().structure_id
    with pytest.raises(LookupError, match=f"no DESTINATAIRE technical account for structure {supplier_id}"):
        dataset.recipient_account(supplier_id)
    with pytest.raises(LookupError, match="every PISTE application"):
        dataset.application_without("factures")


def test_json_round_trip(tmp_path, dataset):
    path = tmp_path / "dataset.json"
    dataset.save(path)
    loaded = Dataset.load(path)
    assert loaded == dataset
    assert path.read_text(encoding="utf-8") == dataset.model_dump_json(indent=2)


def test_default_dataset_is_seed_zero_and_a_private_copy():
    first = default_dataset()
    assert first.model_dump_json() == generate_dataset(0).model_dump_json()
    first.structures.clear()
    assert default_dataset().structures


def test_cli_writes_a_loadable_data_set(tmp_path):
    out = tmp_path / "ds.json"
    result = CliRunner().invoke(app, ["simulator", "dataset", "--seed", "84", "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert "Public structures" in result.output
    assert Dataset.load(out) == generate_dataset(84)
    json.loads(out.read_text(encoding="utf-8"))


def test_cli_honours_today(tmp_path):
    out = tmp_path / "ds.json"
    args = ["simulator", "dataset", "--seed", "1", "--out", str(out), "--today", "2026-06-30"]
    assert CliRunner().invoke(app, args).exit_code == 0
    assert Dataset.load(out).generated_on == dt.date(2026, 6, 30)


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--out", "{tmp}/missing/ds.json"], "does not exist"),
        (["--out", "{tmp}"], "is a directory"),
        (["--out", "{tmp}/ds.json", "--today", "01/02/2026"], "YYYY-MM-DD"),
    ],
)
def test_cli_rejects_bad_arguments_clearly(tmp_path, args, message):
    args = [a.replace("{tmp}", str(tmp_path)) for a in args]
    result = CliRunner().invoke(app, ["simulator", "dataset", *args])
    assert result.exit_code == 2
    assert message in result.output
    assert "Traceback" not in result.output

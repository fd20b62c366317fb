"""Generate the simulator's test data sets, like the qualification portal's "matelas de données".

Everything is drawn from one ``random.Random(seed)`` and the ``today`` parameter, so a seed always gives
the same data set, down to the byte of its JSON. Structure order is part of the contract: the
``Dataset`` helpers (``main_supplier``, ``recipient_with``…) return the *first* match, and the order
below guarantees that the first match is a "normal" one (active, password valid, payment reported).
"""

from __future__ import annotations

import datetime as dt
import functools
import itertools
import random
import string
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field

from stdnum import iban as iban_checker
from stdnum import luhn

from chorus_connect.simulator.dataset import (
    ALL_API_FAMILIES,
    DEFAULT_SERVICE_CODE,
    AccountRole,
    Address,
    BankAccount,
    Dataset,
    EngagementState,
    LegalCommitment,
    PisteApplication,
    Service,
    Structure,
    StructureKind,
    TechnicalAccount,
)

DEFAULT_TODAY = dt.date(2026, 1, 1)
DEFAULT_SEED = 0
PASSWORD_LIFETIME = dt.timedelta(days=424)  # AIFE: the technical password must change every 424 days

# First id of each kind of object; distinct ranges keep every id unique across kinds too.
STRUCTURE_ID_BASE = 25_000_000
SERVICE_ID_BASE = 26_000_000
BANK_ACCOUNT_ID_BASE = 27_000_000
USER_ID_BASE = 28_000_000

# Qualification SIRETs share the SIREN 000000000 and differ by their NIC (e.g. 00000000005719).
QUALIFICATION_SIREN = "000000000"

CITIES = (
    ("Aurillac", "15000"),
    ("Besançon", "25000"),
    ("Brest", "29200"),
    ("Chartres", "28000"),
    ("Colmar", "68000"),
    ("Dijon", "21000"),
    ("Grenoble", "38000"),
    ("La Rochelle", "17000"),
    ("Limoges", "87000"),
    ("Metz", "57000"),
    ("Nancy", "54000"),
    ("Nîmes", "30000"),
    ("Pau", "64000"),
    ("Poitiers", "86000"),
    ("Quimper", "29000"),
    ("Reims", "51100"),
    ("Rouen", "76000"),
    ("Tours", "37000"),
    ("Valence", "26000"),
    ("Vannes", "56000"),
)
PUBLIC_NAME_TEMPLATES = (
    "Commune de {city}",
    "Centre hospitalier de {city}",
    "Université de {city}",
    "Communauté d'agglomération de {city}",
    "Lycée polyvalent de {city}",
    "Centre communal d'action sociale de {city}",
)
# Ministries are invented so that no one mistakes a simulated structure for a real administration.
MINISTRIES = (
    "Ministère des Essais et de la Simulation",
    "Ministère de la Qualification Numérique",
    "Secrétariat d'État aux Jeux de Données",
)
STREETS = (
    "rue de la République",
    "avenue Jean Jaurès",
    "place de l'Hôtel de Ville",
    "boulevard Victor Hugo",
    "rue Pasteur",
    "allée des Tilleuls",
)
PUBLIC_SERVICES = (
    ("DSI", "Direction des systèmes d'information"),
    ("SERVICES_TECHNIQUES", "Services techniques"),
    ("COMPTABILITE", "Service comptabilité"),
    ("ACHATS", "Service des achats"),
    ("RESSOURCES_HUMAINES", "Direction des ressources humaines"),
    ("PATRIMOINE", "Patrimoine immobilier"),
    ("RESTAURATION", "Restauration collective"),
    ("VOIRIE", "Voirie et espaces verts"),
)
SUPPLIER_ACTIVITIES = (
    "Imprimerie",
    "Informatique",
    "Bâtiment",
    "Transports",
    "Fournitures de bureau",
    "Nettoyage",
    "Conseil",
    "Traiteur",
)
SUPPLIER_SURNAMES = ("Durand", "Lefèvre", "Moreau", "Garnier", "Roux", "Fontaine", "Chevalier", "Blanchard")
LEGAL_FORMS = ("SARL", "SAS", "SA", "EURL")
# French bank codes with their BIC, for realistic (but fictitious) IBANs.
BANKS = (
    ("30004", "BNPAFRPPXXX"),
    ("30003", "SOGEFRPPXXX"),
    ("20041", "PSSTFRPPXXX"),
    ("30002", "CRLYFRPPXXX"),
    ("10278", "CMCIFR2AXXX"),
)
PASSWORD_ALPHABET = string.ascii_letters + string.digits + "!#$%&*+-=?@_"
SECRET_ALPHABET = string.ascii_letters + string.digits

SUPPLIER_COUNT = 5  # 4 active (2 healthy, 1 password expiring soon, 1 expired) + 1 inactive
EXPIRING_SOON_DAYS = (3, 25)
EXPIRED_SINCE_DAYS = (1, 90)


@dataclass
class _Ids:
    """Sequential id counters; one instance per generation keeps ids unique and deterministic."""

    counters: dict[int, Iterator[int]] = field(default_factory=dict)
    used_nics: set[str] = field(default_factory=set)

    def next(self, base: int) -> int:
        return next(self.counters.setdefault(base, itertools.count(base + 1)))


@dataclass
class _Context:
    rng: random.Random
    today: dt.date
    seed_tag: str  # "TST084"-like suffix of the qualification service codes
    ids: _Ids = field(default_factory=_Ids)


def generate_dataset(seed: int, today: dt.date | None = None) -> Dataset:
    """Build the data set of ``seed``; ``today`` (default 2026-01-01) anchors every relative date."""
    ctx = _Context(rng=random.Random(seed), today=today or DEFAULT_TODAY, seed_tag=f"TST{seed % 1000:03d}")
    suppliers = _supplier_structures(ctx)
    recipients = _public_structures(ctx)
    dataset = Dataset(
        seed=seed,
        generated_on=ctx.today,
        applications=_applications(ctx),
        technical_accounts=_supplier_accounts(ctx, suppliers) + _recipient_accounts(ctx, recipients),
        structures=suppliers + recipients,
        commitments=_commitments(ctx, suppliers, recipients),
    )
    _close_one_commitment(dataset)
    return dataset


@functools.cache
def _cached_default_dataset() -> Dataset:
    return generate_dataset(DEFAULT_SEED, DEFAULT_TODAY)


def default_dataset() -> Dataset:
    """The built-in data set (seed 0, today 2026-01-01): a fresh deep copy, so callers may mutate it."""
    return _cached_default_dataset().model_copy(deep=True)


# --- structures -------------------------------------------------------------------------------------


def _public_structures(ctx: _Context) -> list[Structure]:
    # Every combination of the three "mandatory data" flags first (all active), then plain ones, then the
    # odd cases, so that ``recipient_with`` finds a normal structure first.
    flag_sets = [
        {"engagement_required": ej, "service_required": sc, "engagement_or_service": either}
        for ej, sc, either in itertools.product((False, True), repeat=3)
    ]
    flag_sets += [{}, {}, {"active": False}, {"payment_status_not_reported": True}]
    names = _public_names(ctx.rng, len(flag_sets))
    return [
        _public_structure(ctx, name, city, **flags)
        for (name, city), flags in zip(names, flag_sets, strict=True)
    ]


def _public_names(rng: random.Random, count: int) -> list[tuple[str, tuple[str, str]]]:
    cities = rng.sample(CITIES, count)
    names = []
    ministries = list(MINISTRIES)
    rng.shuffle(ministries)
    for index, city in enumerate(cities):
        # A ministry every fourth structure; the rest are local public buyers named after their city.
        if index % 4 == 3 and ministries:
            names.append((ministries.pop(), ("Paris", "75007")))
        else:
            names.append((rng.choice(PUBLIC_NAME_TEMPLATES).format(city=city[0]), city))
    return names


def _public_structure(
    ctx: _Context,
    name: str,
    city: tuple[str, str],
    *,
    active: bool = True,
    engagement_required: bool = False,
    service_required: bool = False,
    engagement_or_service: bool = False,
    payment_status_not_reported: bool = False,
) -> Structure:
    structure_id = ctx.ids.next(STRUCTURE_ID_BASE)
    return Structure(
        structure_id=structure_id,
        siret=_siret(ctx),
        name=name,
        kind=StructureKind.PUBLIC,
        active=active,
        email=f"factures.{structure_id}@exemple.test",
        address=_address(ctx.rng, city),
        engagement_required=engagement_required,
        service_required=service_required,
        engagement_or_service=engagement_or_service,
        payment_status_not_reported=payment_status_not_reported,
        services=_public_services(ctx, structure_id),
    )


def _public_services(ctx: _Context, structure_id: int) -> list[Service]:
    """FACTURES_PUBLIQUES, then one active, one active requiring an EJ, one inactive, and 0-2 extras."""
    rng = ctx.rng
    codes = rng.sample(PUBLIC_SERVICES, 3 + rng.randint(0, 2))
    numbered = (f"SERVICE_{structure_id - STRUCTURE_ID_BASE}{ctx.seed_tag}", "Service de test")
    codes.insert(rng.randrange(len(codes) + 1), numbered)
    services = [_service(ctx, DEFAULT_SERVICE_CODE, "Factures publiques")]
    for position, (code, label) in enumerate(codes):
        if position == 0:
            services.append(_service(ctx, code, label))
        elif position == 1:
            services.append(_service(ctx, code, label, engagement_required=True))
        elif position == 2:
            ended = ctx.today - dt.timedelta(days=rng.randint(1, 365))
            services.append(_service(ctx, code, label, active=False, ends_on=ended))
        else:
            services.append(_service(ctx, code, label, engagement_required=rng.random() < 0.5))
    return services


def _service(
    ctx: _Context,
    code: str,
    label: str,
    *,
    active: bool = True,
    engagement_required: bool = False,
    ends_on: dt.date | None = None,
) -> Service:
    return Service(
        service_id=ctx.ids.next(SERVICE_ID_BASE),
        code=code,
        label=label,
        active=active,
        engagement_required=engagement_required,
        ends_on=ends_on,
    )


def _supplier_structures(ctx: _Context) -> list[Structure]:
    rng = ctx.rng
    activities = rng.sample(SUPPLIER_ACTIVITIES, SUPPLIER_COUNT)
    surnames = rng.sample(SUPPLIER_SURNAMES, SUPPLIER_COUNT)
    suppliers = []
    for index, (activity, surname) in enumerate(zip(activities, surnames, strict=True)):
        structure_id = ctx.ids.next(STRUCTURE_ID_BASE)
        siret = _siret(ctx)
        suppliers.append(
            Structure(
                structure_id=structure_id,
                siret=siret,
                name=f"{activity} {surname} {rng.choice(LEGAL_FORMS)}",
                kind=StructureKind.PRIVATE,
                active=index < SUPPLIER_COUNT - 1,  # the last supplier is the inactive one
                email=f"compta.{structure_id}@exemple.test",
                vat_number=_french_vat_number(siret[:9]),
                address=_address(rng, rng.choice(CITIES)),
                services=[_service(ctx, f"SERVICE_FOURNISSEUR{ctx.seed_tag}", "Service fournisseur")],
                bank_accounts=_bank_accounts(ctx),
            )
        )
    return suppliers


def _siret(ctx: _Context) -> str:
    """A unique qualification-style SIRET, deliberately NOT Luhn-valid (like the AIFE examples)."""
    while True:
        nic = f"{ctx.rng.randrange(1000, 100_000):05d}"
        siret = QUALIFICATION_SIREN + nic
        if nic not in ctx.ids.used_nics and not luhn.is_valid(siret):
            ctx.ids.used_nics.add(nic)
            return siret


def _address(rng: random.Random, city: tuple[str, str]) -> Address:
    return Address(line=f"{rng.randint(1, 120)} {rng.choice(STREETS)}", postal_code=city[1], city=city[0])


def _french_vat_number(siren: str) -> str:
    return f"FR{(12 + 3 * (int(siren) % 97)) % 97:02d}{siren}"


# --- bank details -----------------------------------------------------------------------------------


def _bank_accounts(ctx: _Context) -> list[BankAccount]:
    """One or two valid accounts, then one that Chorus Pro does not consider valid."""
    names = ["Compte principal", "Compte secondaire"][: ctx.rng.randint(1, 2)]
    accounts = [_bank_account(ctx, name, valid=True) for name in names]
    accounts.append(_bank_account(ctx, "Ancien compte clôturé", valid=False))
    return accounts


def _bank_account(ctx: _Context, name: str, *, valid: bool) -> BankAccount:
    bank_code, bic = ctx.rng.choice(BANKS)
    return BankAccount(
        bank_account_id=ctx.ids.next(BANK_ACCOUNT_ID_BASE),
        name=name,
        iban=_french_iban(ctx.rng, bank_code),
        bic=bic,
        valid=valid,
    )


def _french_iban(rng: random.Random, bank_code: str) -> str:
    branch = f"{rng.randrange(100_000):05d}"
    account = f"{rng.randrange(10**11):011d}"
    rib_key = 97 - (89 * int(bank_code) + 15 * int(branch) + 3 * int(account)) % 97
    bban = f"{bank_code}{branch}{account}{rib_key:02d}"
    return f"FR{iban_checker.calc_check_digits('FR00' + bban)}{bban}"


# --- accounts and applications ----------------------------------------------------------------------


def _supplier_accounts(ctx: _Context, suppliers: list[Structure]) -> list[TechnicalAccount]:
    """One FOURNISSEUR account per supplier; the 3rd expires soon, the 4th has already expired."""
    rng = ctx.rng
    expiries = [ctx.today + PASSWORD_LIFETIME] * len(suppliers)
    expiries[2] = ctx.today + dt.timedelta(days=rng.randint(*EXPIRING_SOON_DAYS))
    expiries[3] = ctx.today - dt.timedelta(days=rng.randint(*EXPIRED_SINCE_DAYS))
    return [
        _account(ctx, AccountRole.SUPPLIER, [supplier.structure_id], expires_on)
        for supplier, expires_on in zip(suppliers, expiries, strict=True)
    ]


def _recipient_accounts(ctx: _Context, recipients: list[Structure]) -> list[TechnicalAccount]:
    """DESTINATAIRE accounts, each covering two or three consecutive public structures."""
    accounts = []
    remaining = [r.structure_id for r in recipients]
    while remaining:
        size = ctx.rng.choice((2, 3))
        group, remaining = remaining[:size], remaining[size:]
        accounts.append(_account(ctx, AccountRole.RECIPIENT, group, ctx.today + PASSWORD_LIFETIME))
    return accounts


def _account(
    ctx: _Context, role: AccountRole, structure_ids: list[int], expires_on: dt.date
) -> TechnicalAccount:
    login = f"TECH_1_{structure_ids[0]}@cpro.fr"
    return TechnicalAccount(
        user_id=ctx.ids.next(USER_ID_BASE),
        login=login,
        password=_password(ctx.rng),
        password_expires_on=expires_on,
        role=role,
        structure_ids=structure_ids,
        email=login,
    )


def _password(rng: random.Random, length: int = 20) -> str:
    # Always one character of each class, as a generated Chorus Pro password would have.
    classes = (string.ascii_uppercase, string.ascii_lowercase, string.digits, "!#$%&*+-=?@_")
    chars = [rng.choice(c) for c in classes] + rng.choices(PASSWORD_ALPHABET, k=length - len(classes))
    rng.shuffle(chars)
    return "".join(chars)


def _applications(ctx: _Context) -> list[PisteApplication]:
    return [
        _application(ctx, "chorus-connect", list(ALL_API_FAMILIES)),
        _application(ctx, "chorus-connect-factures-seules", ["factures", "transverses"]),
    ]


def _application(ctx: _Context, name: str, apis: list[str]) -> PisteApplication:
    return PisteApplication(
        name=name,
        client_id=str(uuid.UUID(int=ctx.rng.getrandbits(128), version=4)),
        client_secret="".join(ctx.rng.choices(SECRET_ALPHABET, k=40)),
        subscribed_apis=apis,
    )


# --- engagements juridiques -------------------------------------------------------------------------


def _commitments(
    ctx: _Context, suppliers: list[Structure], recipients: list[Structure]
) -> list[LegalCommitment]:
    """Several EJs per (supplier, recipient requiring one) pair, one for every other pair.

    Every public structure has a service that requires an EJ, hence at least one EJ for every pair.
    """
    rng = ctx.rng
    number = rng.randrange(100, 900) * 1000
    commitments = []
    for supplier, recipient in itertools.product(suppliers, recipients):
        needs_ej = recipient.engagement_required or recipient.engagement_or_service
        for _ in range(rng.randint(2, 4) if needs_ej else 1):
            number += rng.randint(1, 50)
            cents = rng.randint(100_000, 50_000_000)
            commitments.append(
                LegalCommitment(
                    number=f"EJ{ctx.today.year}{number:06d}",
                    supplier_structure_id=supplier.structure_id,
                    recipient_structure_id=recipient.structure_id,
                    amount=f"{cents // 100}.{cents % 100:02d}",
                )
            )
    return commitments


def _close_one_commitment(dataset: Dataset) -> None:
    """Close the last EJ between the main supplier and the first recipient requiring an EJ.

    That pair has at least two EJs, so an open (COMMANDE) one remains for the happy path.
    """
    pair = dataset.commitments_between(
        dataset.main_supplier().structure_id, dataset.recipient_with(engagement_required=True).structure_id
    )
    pair[-1].state = EngagementState.CLOSED

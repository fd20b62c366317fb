"""Status tables of the simulated platform and the deterministic behaviour of its public recipients.

- Flux statuses (`etatCourantDepotFlux`) and how a flux ends (`final_flux_status`).
- Invoice statuses (strings as on the wire), what a recipient may set from each status through
  `traiter/recue` (`allowed_targets`, also the answer of `recuperer/etats/traitement`), which targets
  need a motif, which statuses are final, and the supplier's `completer` / `recycler` transitions.
- The routing the platform does by itself after integration (DEPOSEE -> EN_COURS_ACHEMINEMENT ->
  MISE_A_DISPOSITION), and the recipient's scenario once the invoice is MISE_A_DISPOSITION
  (`choose_scenario`), seeded and deterministic. Delays are in simulated seconds.
"""

from __future__ import annotations

import hashlib
import random
import re
from dataclasses import dataclass
from enum import StrEnum


class FluxStatus(StrEnum):
    RECEIVED = "IN_RECU"
    PENDING = "IN_DEPOT_PORTAIL_EN_ATTENTE_TRAITEMENT_SE_CPP"
    IN_PROGRESS = "IN_EN_COURS_TRAITEMENT_CPP"
    INTEGRATED = "IN_INTEGRE"
    PARTIALLY_INTEGRATED = "IN_INTEGRE_PARTIEL"
    REJECTED = "IN_REJETE"


# What consulterCRDetaille shows, in order, before the final status.
FLUX_STATUS_SEQUENCE = (FluxStatus.PENDING, FluxStatus.IN_PROGRESS)
FINAL_FLUX_STATUSES = frozenset({FluxStatus.INTEGRATED, FluxStatus.PARTIALLY_INTEGRATED, FluxStatus.REJECTED})
# Simulated seconds: deposit -> IN_EN_COURS_TRAITEMENT_CPP -> final (the AIFE example took ~3 s in all).
FLUX_PROCESSING_DELAYS = (1, 2)


def final_flux_status(has_technical_errors: bool, integrated: int, refused: int) -> FluxStatus:
    """IN_REJETE if the file is inadmissible or nothing integrated; IN_INTEGRE_PARTIEL if only some were."""
    if has_technical_errors or integrated == 0:
        return FluxStatus.REJECTED
    return FluxStatus.PARTIALLY_INTEGRATED if refused else FluxStatus.INTEGRATED


class InvoiceStatus(StrEnum):
    """The invoice statuses the simulator sets (wire strings)."""

    DEPOSEE = "DEPOSEE"
    EN_COURS_ACHEMINEMENT = "EN_COURS_ACHEMINEMENT"
    MISE_A_DISPOSITION = "MISE_A_DISPOSITION"
    PRISE_EN_COMPTE_DESTINATAIRE = "PRISE_EN_COMPTE_DESTINATAIRE"
    SUSPENDUE = "SUSPENDUE"
    COMPLETEE = "COMPLETEE"
    A_RECYCLER = "A_RECYCLER"
    SERVICE_FAIT = "SERVICE_FAIT"
    MANDATEE = "MANDATEE"
    MISE_A_DISPOSITION_COMPTABLE = "MISE_A_DISPOSITION_COMPTABLE"
    COMPTABILISEE = "COMPTABILISEE"
    MISE_EN_PAIEMENT = "MISE_EN_PAIEMENT"
    REJETEE = "REJETEE"
    ABANDONNEE = "ABANDONNEE"
    SUPPRIMEE = "SUPPRIMEE"
    BROUILLON = "BROUILLON"
    INTERPRETEE_OCR = "INTERPRETEE_OCR"


# The full enum declared by the API (chorus-pro-api.md §3.4), for `recuperer/statuts`-like lists.
ALL_INVOICE_STATUS_CODES = (
    "BROUILLON", "A_VALIDER_1", "ERREUR_FOURNISSEUR_SUR_VALIDEUR", "REFUSEE_1", "VALIDEE_1",
    "ABSENCE_VALIDATION_1_HORS_DELAI", "A_VALIDER_2", "ERREUR_COTRAITANT_SUR_VALIDEUR", "REFUSEE_2",
    "VALIDEE_2", "ABSENCE_VALIDATION_2_HORS_DELAI", "DEPOSEE", "ERREUR_FOURNISSEUR_SUR_MOE",
    "EN_COURS_ACHEMINEMENT", "MISE_A_DISPOSITION", "A_RECYCLER", "SUSPENDUE", "REJETEE", "MANDATEE",
    "MISE_EN_PAIEMENT", "COMPTABILISEE", "MISE_A_DISPOSITION_COMPTABLE", "ABANDONNEE", "SUPPRIMEE",
    "ASSOCIEE", "EN_COURS_TRAITEMENT_PIVOT_S", "A_VALIDER_MOE", "REFUSEE_MOE",
    "EN_ATTENTE_RECYCLAGE_FOURNISSEUR", "ERREUR_MOE_SUR_FOURNISSEUR", "ERREUR_MOA_SUR_FOURNISSEUR",
    "INTERPRETEE_OCR", "COMPLETEE", "ERREUR_FOURNISSEUR_SUR_MOA", "ERREUR_MOE_SUR_MOA",
    "ERREUR_DESTINATAIRE_PD", "ERREUR_DESTINATAIRE_EA", "SERVICE_FAIT", "NON_CONFORME",
    "A_ASSOCIER_MOE", "ERREUR_DE_MOE", "MISE_A_DISPOSITION_MOE", "PRISE_EN_COMPTE_MOE",
    "A_ASSOCIER_MOA", "ERREUR_DE_MOA", "REFUSEE_MOA", "A_ASSOCIER_FOURNISSEUR", "REFUSEE_FOURNISSEUR",
    "A_COMPLETER", "TRANSMISE_MOA", "PRISE_EN_COMPTE_DESTINATAIRE", "REMPLACEE_PAR_A22",
    "DUPLIQUE_APRES_REFUS", "MISE_A_DISPOSITION_MOA", "PRISE_EN_COMPTE_MOA",
    "ABSENCE_VALIDATION_MOE_DELAI_REGLEMENTAIRE", "TECHNIQUE_INCONNU",
)  # fmt: skip

S = InvoiceStatus

# §3.4.1: the MISE_A_DISPOSITION row is AIFE's own example (in its order, itself included); SERVICE_FAIT
# and PRISE_EN_COMPTE_DESTINATAIRE are added to it, and every other row is the reference's proposal.
_FROM_AVAILABLE = (
    S.SUSPENDUE,
    S.REJETEE,
    S.MANDATEE,
    S.MISE_EN_PAIEMENT,
    S.COMPTABILISEE,
    S.MISE_A_DISPOSITION_COMPTABLE,
    S.A_RECYCLER,
    S.SERVICE_FAIT,
    S.PRISE_EN_COMPTE_DESTINATAIRE,
)
RECIPIENT_TRANSITIONS: dict[str, tuple[InvoiceStatus, ...]] = {
    S.MISE_A_DISPOSITION: (S.MISE_A_DISPOSITION, *_FROM_AVAILABLE),
    S.PRISE_EN_COMPTE_DESTINATAIRE: tuple(
        s for s in _FROM_AVAILABLE if s is not S.PRISE_EN_COMPTE_DESTINATAIRE
    ),
    S.COMPLETEE: _FROM_AVAILABLE,
    S.SERVICE_FAIT: (
        S.SUSPENDUE,
        S.REJETEE,
        S.MANDATEE,
        S.MISE_A_DISPOSITION_COMPTABLE,
        S.COMPTABILISEE,
        S.MISE_EN_PAIEMENT,
    ),
    S.MANDATEE: (S.MISE_A_DISPOSITION_COMPTABLE, S.COMPTABILISEE, S.MISE_EN_PAIEMENT),
    S.MISE_A_DISPOSITION_COMPTABLE: (S.COMPTABILISEE, S.MISE_EN_PAIEMENT),
    S.COMPTABILISEE: (S.MISE_EN_PAIEMENT,),
    S.SUSPENDUE: (S.REJETEE,),
}

MOTIF_REQUIRED = frozenset({S.SUSPENDUE, S.REJETEE})
MANDATE_STATUS = S.MANDATEE  # the status that carries numeroDPMandat
# Final for the invoice: nothing can happen to it any more.
TERMINAL_STATUSES = frozenset({S.REJETEE, S.MISE_EN_PAIEMENT, S.ABANDONNEE, S.SUPPRIMEE})
# Waiting for the supplier: the recipient cannot act until `completer` / `recycler`.
SUPPLIER_ACTION_STATUSES = frozenset({S.SUSPENDUE, S.A_RECYCLER})


def allowed_targets(current: str) -> list[str]:
    """Statuses a recipient may set from `current` (traiter/recue, recuperer/etats/traitement); [] if none."""
    return [str(status) for status in RECIPIENT_TRANSITIONS.get(current, ())]


def recipient_may_set(current: str, target: str) -> bool:
    return target in allowed_targets(current)


def motif_required(target: str) -> bool:
    return target in MOTIF_REQUIRED


def is_terminal(status: str) -> bool:
    return status in TERMINAL_STATUSES


# Supplier transitions: completerFacture SUSPENDUE -> COMPLETEE, recyclerFacture A_RECYCLER -> DEPOSEE.
COMPLETION = (S.SUSPENDUE, S.COMPLETEE)
RECYCLING = (S.A_RECYCLER, S.DEPOSEE)


def can_complete(current: str) -> bool:
    return current == COMPLETION[0]


def can_recycle(current: str) -> bool:
    return current == RECYCLING[0]


# --------------------------------------------------------------------------------------------------
# What the platform and the recipients do over simulated time


@dataclass(frozen=True)
class Step:
    """Set `status` `delay_seconds` after the previous step (the first: after the starting status)."""

    delay_seconds: int
    status: InvoiceStatus
    comment: str = ""
    mandate_number: str | None = None  # numeroDPMandat, with MANDATEE


# After integration (the invoice is created DEPOSEE) and again after `recycler` (which sets DEPOSEE).
ROUTING_STEPS = (
    Step(1, S.EN_COURS_ACHEMINEMENT, "Acheminement de la facture vers le destinataire"),
    Step(2, S.MISE_A_DISPOSITION, "Facture mise a disposition du destinataire"),
)

DAY = 86_400
HOUR = 3_600


class ScenarioName(StrEnum):
    PAID = "PAYE"
    SUSPENDED = "SUSPENDUE"
    TO_RECYCLE = "A_RECYCLER"
    REJECTED = "REJETEE"
    NO_ACTION = "SANS_SUITE"


# Default mix, out of 100 (drawn per invoice from the seed): most are paid.
SCENARIO_WEIGHTS = {
    ScenarioName.PAID: 70,
    ScenarioName.SUSPENDED: 12,
    ScenarioName.TO_RECYCLE: 10,
    ScenarioName.REJECTED: 8,
}
SUSPENSION_MOTIFS = (
    "Piece justificative manquante : bon de livraison",
    "Piece justificative manquante : proces-verbal de reception",
    "Piece justificative manquante : attestation de service fait",
)
RECYCLING_MOTIFS = (
    "Code service executant errone : merci de recycler la facture vers le bon service",
    "Numero d'engagement juridique errone ou absent : merci de recycler la facture",
)
REJECTION_MOTIFS = (
    "Montant de la facture non conforme au bon de commande",
    "Facture deja recue sous un autre numero",
    "Prestation non commandee par la structure",
)


@dataclass(frozen=True)
class Scenario:
    """What the recipient does once the invoice is MISE_A_DISPOSITION.

    `steps` start at MISE_A_DISPOSITION. `resume` is the happy path the recipient follows after the
    supplier's `completer` (delays counted from COMPLETEE) or after `recycler` once the invoice is
    MISE_A_DISPOSITION again; it is empty for scenarios that end without waiting for the supplier.
    """

    name: ScenarioName
    steps: tuple[Step, ...]
    resume: tuple[Step, ...] = ()

    @property
    def total_delay_seconds(self) -> int:
        return sum(step.delay_seconds for step in self.steps)


# Longest happy path (SERVICE_FAIT + MANDATEE + MISE_EN_PAIEMENT), for tests that advance the clock.
MAX_HAPPY_PATH_SECONDS = 2 * DAY + 3 * DAY + 3 * DAY


def _rng(seed: int, invoice_key: str) -> random.Random:
    # sha256, not hash(): the same seed and key give the same draw in every process.
    digest = hashlib.sha256(f"{seed}:{invoice_key}".encode()).digest()
    return random.Random(int.from_bytes(digest[:8], "big"))


def happy_path(rng: random.Random, payment_status_not_reported: bool = False) -> tuple[Step, ...]:
    """SERVICE_FAIT -> MANDATEE -> MISE_EN_PAIEMENT over a few simulated days (stops at MANDATEE for
    recipients that do not report the payment status)."""
    steps = [
        Step(rng.randint(1 * DAY, 2 * DAY), S.SERVICE_FAIT, "Service fait constate"),
        Step(
            rng.randint(1 * DAY, 3 * DAY),
            S.MANDATEE,
            "Facture mandatee",
            mandate_number=f"DP{rng.randrange(10**7, 10**8)}",
        ),
    ]
    if not payment_status_not_reported:
        steps.append(Step(rng.randint(1 * DAY, 3 * DAY), S.MISE_EN_PAIEMENT, "Paiement emis"))
    return tuple(steps)


def choose_scenario(
    seed: int,
    invoice_key: str,
    override: str | None = None,
    *,
    payment_status_not_reported: bool = False,
    motif: str | None = None,
) -> Scenario:
    """The recipient's scenario for one invoice: `override` (a `ScenarioName` value) or a seeded draw.
    `motif` replaces the drawn motif of a SUSPENDUE, A_RECYCLER or REJETEE step (e.g. the buyer's
    reason for recycling an invoice whose engagement it does not know)."""
    rng = _rng(seed, invoice_key)
    drawn = rng.choices(list(SCENARIO_WEIGHTS), weights=list(SCENARIO_WEIGHTS.values()))[0]
    name = _scenario_name(override) if override is not None else drawn
    happy = happy_path(rng, payment_status_not_reported)
    reaction_delay = rng.randint(4 * HOUR, 2 * DAY)
    if name is ScenarioName.PAID:
        return Scenario(name, happy)
    if name is ScenarioName.NO_ACTION:
        return Scenario(name, ())
    if name is ScenarioName.SUSPENDED:
        step = Step(reaction_delay, S.SUSPENDUE, motif or rng.choice(SUSPENSION_MOTIFS))
        return Scenario(name, (step,), resume=happy)
    if name is ScenarioName.TO_RECYCLE:
        step = Step(reaction_delay, S.A_RECYCLER, motif or rng.choice(RECYCLING_MOTIFS))
        return Scenario(name, (step,), resume=happy)
    return Scenario(name, (Step(reaction_delay, S.REJETEE, motif or rng.choice(REJECTION_MOTIFS)),))


def unknown_engagement_motif(engagement_number: str) -> str:
    """Rejection cause #14: the buyer recycles an invoice whose EJ it never issued to this supplier."""
    return (
        f"Numero d'engagement juridique {engagement_number} inconnu pour ce fournisseur : "
        "merci de recycler la facture avec un engagement valide"
    )


def closed_engagement_motif(engagement_number: str) -> str:
    """Rejection cause #14: the EJ exists but is closed (CLOTURE), nothing can be paid against it."""
    return (
        f"Engagement juridique {engagement_number} cloture : "
        "merci de recycler la facture avec un engagement en cours"
    )


_NOTE_MARKER = re.compile(r"\bSCENARIO\s*[:=]\s*([A-Z_]+)", re.IGNORECASE)


def scenario_from_note(note: str | None) -> str | None:
    """An override written in the invoice note (BT-22), e.g. "SCENARIO=SUSPENDUE"; None when absent.

    Lets a test or the demo choose the recipient's behaviour from the deposited file alone."""
    match = _NOTE_MARKER.search(note or "")
    if match is None or match.group(1).upper() not in set(ScenarioName):
        return None
    return match.group(1).upper()


def _scenario_name(override: str) -> ScenarioName:
    try:
        return ScenarioName(override.strip().upper())
    except ValueError:
        names = ", ".join(ScenarioName)
        raise ValueError(f"unknown scenario {override!r}: use one of {names}") from None

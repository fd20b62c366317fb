"""What the platform does with a deposit, over simulated time: integration, routing, the recipient's
decisions, and the supplier's completions and recyclings. Each step is a scheduled event, so a test
that advances the clock sees exactly the sequence of statuses the real platform would show."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from chorus_connect.simulator import integration, lifecycle
from chorus_connect.simulator.dataset import EngagementState, Structure, TechnicalAccount
from chorus_connect.simulator.flux_files import FluxInvoice, SourceFormat, is_archive, read_flux
from chorus_connect.simulator.integration import (
    format_dp_error,
    integration_errors,
    judge_flux,
)
from chorus_connect.simulator.platform import Platform, on_event
from chorus_connect.simulator.state import (
    DpError,
    Event,
    Flux,
    HistoryEntry,
    Invoice,
    SimulatorState,
    TechnicalErrorRecord,
)

# Interface codes per deposit syntax (reference §3.2). Only FSO1100A, FSO1106A, FSO1110A, FSO1117A are
# attested; FSO1113A is deduced from a real flux number; the others follow the pattern [inferred].
INTERFACE_CODES = {
    "IN_DP_E1_UBL_INVOICE": "FSO1100A",
    "IN_DP_E1_CII": "FSO1101A",
    "IN_DP_E1_PES_FACTURE": "FSO1102A",
    "IN_DP_E1_XCBL": "FSO1103A",
    "IN_DP_E1_CII_16B": "FSO1106A",
    "IN_DP_E2_UBL_INVOICE_MIN": "FSO1110A",
    "IN_DP_E2_CII_MIN": "FSO1111A",
    "IN_DP_E2_PES_FACTURE_MIN": "FSO1112A",
    "IN_DP_E2_CPP_FACTURE_MIN": "FSO1113A",
    "IN_DP_E2_CII_MIN_16B": "FSO1115A",
    "IN_DP_E2_CII_FACTURX": "FSO1117A",
    "IN_DP_E3_UBL_INVOICE": "FSO1120A",
}
PARTNER_CODE = "001"

PROCESSING_START_DELAY = 1.0  # simulated seconds before a deposited flux is being processed


class Directory:
    """The read-only view of the platform's directory that the integration rules consult."""

    def __init__(self, state: SimulatorState) -> None:
        self._state = state

    def structure_by_siret(self, siret: str) -> Structure | None:
        return self._state.dataset.structure_by_siret(siret)

    def structure(self, structure_id: int) -> Structure | None:
        return self._state.dataset.structure(structure_id)

    def invoice_number_taken(self, supplier_structure_id: int, number: str, year: int) -> bool:
        return any(
            inv.supplier_structure_id == supplier_structure_id
            and inv.number == number
            and (inv.invoice_date.year if inv.invoice_date else inv.deposited_at.year) == year
            for inv in self._state.invoices.values()
        )


def new_flux_number(state: SimulatorState, interface_code: str) -> str:
    """`CPP` + partner (3) + interface digits (4) + zero-padded sequence (15): 25 characters."""
    digits = interface_code[3:7]
    return f"CPP{PARTNER_CODE}{digits}{state.next_flux_sequence(digits):015d}"


def record_deposit(
    platform: Platform, account: TechnicalAccount, content: bytes, file_name: str, syntax: str, signed: bool
) -> Flux:
    """Accept a file at once (the answer of `deposer/flux`); integration follows later."""
    state, now = platform.state, platform.now()
    interface_code = INTERFACE_CODES[syntax]
    structure_id = account.structure_ids[0] if account.structure_ids else None
    flux = Flux(
        flux_number=new_flux_number(state, interface_code),
        syntax=syntax,
        interface_code=interface_code,
        file_name=file_name,
        signed=signed,
        deposited_at=now,
        depositor_login=account.login,
        depositor_structure_id=structure_id,
        status="IN_DEPOT_PORTAIL_EN_ATTENTE_TRAITEMENT_SE_CPP",
        status_at=now,
    )
    state.put_blob(f"flux:{flux.flux_number}", content)
    state.fluxes[flux.flux_number] = flux
    state.save(flux)
    supplier = state.dataset.structure(structure_id) if structure_id else None
    key = supplier.siret if supplier else account.login
    state.counters.deposits_by_supplier[key] = state.counters.deposits_by_supplier.get(key, 0) + 1
    state.save_counters()
    state.schedule(
        now + dt.timedelta(seconds=PROCESSING_START_DELAY), "flux.processing", flux=flux.flux_number
    )
    delay = max(platform.config.integration_delay_seconds, PROCESSING_START_DELAY)
    state.schedule(now + dt.timedelta(seconds=delay), "flux.integrate", flux=flux.flux_number)
    return flux


@on_event("flux.processing")
def _start_processing(platform: Platform, event: Event) -> None:
    flux = platform.state.fluxes[event.payload["flux"]]
    if flux.status == "IN_DEPOT_PORTAIL_EN_ATTENTE_TRAITEMENT_SE_CPP":
        _set_flux_status(platform.state, flux, "IN_EN_COURS_TRAITEMENT_CPP", event.due)


@on_event("flux.integrate")
def _integrate(platform: Platform, event: Event) -> None:
    state = platform.state
    flux = state.fluxes[event.payload["flux"]]
    content = state.get_blob(f"flux:{flux.flux_number}") or b""
    read = read_flux(content, flux.file_name, flux.syntax)
    if read.technical_errors:
        flux.technical_errors = [
            TechnicalErrorRecord(code=e.code, label=e.label, nature=e.nature) for e in read.technical_errors
        ]
        _set_flux_status(state, flux, "IN_REJETE", event.due)
        return
    account = state.dataset.account_by_login(flux.depositor_login)
    assert account is not None  # the depositor authenticated with this account
    for verdict in judge_flux(read.invoices, account, Directory(state), options=platform.config.rules):
        if verdict.integrated:
            invoice = create_invoice(
                platform,
                verdict.invoice,
                event.due,
                flux_number=flux.flux_number,
                deposit_mode="DEPOT_PDF_API" if flux.syntax == "IN_DP_E2_CII_FACTURX" else "UPLOAD_API",
                deposited_at=flux.deposited_at,
                depositor_login=flux.depositor_login,
                file_key=_keep_document(state, flux, verdict.invoice),
                file_name=verdict.invoice.file_name or flux.file_name,
            )
            flux.invoice_ids.append(invoice.invoice_id)
        else:
            found = verdict.invoice
            flux.dp_errors.append(
                DpError(
                    invoice_number=found.number or "",
                    supplier_identifier=found.supplier_id or "",
                    recipient_identifier=found.recipient_id or "",
                    message=format_dp_error(verdict.errors),
                )
            )
    final = lifecycle.final_flux_status(False, len(flux.invoice_ids), len(flux.dp_errors))
    _set_flux_status(state, flux, str(final), event.due)


def _keep_document(state: SimulatorState, flux: Flux, found: FluxInvoice) -> str:
    """The invoice's own document (its PDF, else its XML): a batch's members are downloaded one by one."""
    if not is_archive(flux.file_name):
        return f"flux:{flux.flux_number}"
    key = f"document:{flux.flux_number}:{found.file_name}"
    state.put_blob(key, found.pdf or found.xml)
    return key


def _set_flux_status(state: SimulatorState, flux: Flux, status: str, at: dt.datetime) -> None:
    flux.status, flux.status_at = status, at
    state.save(flux)


def _decimal_text(value: Decimal | None) -> str:
    return f"{(value or Decimal(0)):.2f}"


def create_invoice(
    platform: Platform,
    found: FluxInvoice,
    at: dt.datetime,
    *,
    flux_number: str | None,
    deposit_mode: str,
    deposited_at: dt.datetime,
    depositor_login: str,
    file_key: str | None,
    file_name: str | None,
    extra: dict[str, object] | None = None,
) -> Invoice:
    """An integrated invoice: DEPOSEE, then routed to its recipient by scheduled steps."""
    state = platform.state
    supplier = state.dataset.structure_by_siret(found.supplier_id or "")
    recipient = state.dataset.structure_by_siret(found.recipient_id or "")
    assert supplier is not None and recipient is not None  # guaranteed by the integration rules
    service = next((s for s in recipient.services if s.code == found.service_code), None)
    invoice = Invoice(
        invoice_id=state.next_invoice_id(),
        number=found.number or "",
        flux_number=flux_number,
        deposit_mode=deposit_mode,
        invoice_type=found.invoice_type,
        invoice_date=found.invoice_date,
        deposited_at=deposited_at,
        currency=found.currency or "EUR",
        supplier_structure_id=supplier.structure_id,
        supplier_identifier=supplier.siret,
        recipient_structure_id=recipient.structure_id,
        recipient_identifier=recipient.siret,
        service_id=service.service_id if service else None,
        service_code=found.service_code,
        engagement_number=found.engagement_number,
        market_number=found.market_number,
        preceding_invoice_number=found.preceding_invoice,
        cadre=found.cadre or "A1_FACTURE_FOURNISSEUR",
        payment_mode=found.payment_mode,
        amount_without_tax=_decimal_text(found.total_without_vat),
        vat_amount=_decimal_text(found.total_vat),
        amount_with_tax=_decimal_text(found.total_with_vat),
        amount_due=_decimal_text(found.amount_due),
        status="DEPOSEE",
        status_at=at,
        scenario=platform.scenario_overrides.get(found.number or "")
        or lifecycle.scenario_from_note(found.note),
        file_key=file_key,
        file_name=file_name,
        extra={"note": found.note, "iban": found.iban, "line_count": found.line_count, **(extra or {})},
    )
    _append_history(state, invoice, "DEPOSEE", at, "Facture deposee", depositor_login)
    state.invoices[invoice.invoice_id] = invoice
    state.save(invoice)
    _schedule_routing(platform, invoice, at)
    return invoice


def _append_history(
    state: SimulatorState, invoice: Invoice, status: str, at: dt.datetime, comment: str, user: str
) -> None:
    invoice.history.append(
        HistoryEntry(
            history_id=state.next_history_id(), status=status, at=at, comment=comment, user_login=user
        )
    )


def change_status(
    platform: Platform, invoice: Invoice, status: str, at: dt.datetime, comment: str = "", user: str = ""
) -> None:
    """Every status change goes here: current status, its date and comment, and the history line."""
    invoice.status, invoice.status_at, invoice.status_comment = status, at, comment
    _append_history(platform.state, invoice, status, at, comment, user)
    platform.state.save(invoice)


def _schedule_routing(platform: Platform, invoice: Invoice, at: dt.datetime) -> None:
    """DEPOSEE -> EN_COURS_ACHEMINEMENT -> MISE_A_DISPOSITION, then the recipient's turn."""
    first = lifecycle.ROUTING_STEPS[0]
    platform.state.schedule(
        at + dt.timedelta(seconds=first.delay_seconds), "invoice.route", invoice=invoice.invoice_id, step=0
    )


@on_event("invoice.route")
def _route(platform: Platform, event: Event) -> None:
    invoice = platform.state.invoices[event.payload["invoice"]]
    index = event.payload["step"]
    step = lifecycle.ROUTING_STEPS[index]
    previous = "DEPOSEE" if index == 0 else lifecycle.ROUTING_STEPS[index - 1].status
    if invoice.status != previous:
        return  # something else happened to the invoice meanwhile
    change_status(platform, invoice, step.status, event.due, step.comment)
    if index + 1 < len(lifecycle.ROUTING_STEPS):
        following = lifecycle.ROUTING_STEPS[index + 1]
        platform.state.schedule(
            event.due + dt.timedelta(seconds=following.delay_seconds),
            "invoice.route",
            invoice=invoice.invoice_id,
            step=index + 1,
        )
    else:
        schedule_recipient(platform, invoice, event.due)


def schedule_recipient(platform: Platform, invoice: Invoice, after: dt.datetime) -> None:
    """Plan what the public buyer does next: its scenario's first steps, or, once the supplier has
    completed or recycled the invoice, the happy path the scenario resumes with. An engagement the
    buyer does not know (cause 14) makes it recycle the invoice, whatever the scenario, again after
    each recycling that keeps a wrong engagement."""
    recipient = platform.state.dataset.structure(invoice.recipient_structure_id)
    engagement_motif = _engagement_problem(platform, invoice)
    scenario = lifecycle.choose_scenario(
        platform.config.scenario_seed,
        f"{invoice.supplier_identifier}:{invoice.number}",
        lifecycle.ScenarioName.TO_RECYCLE if engagement_motif else invoice.scenario,
        payment_status_not_reported=bool(recipient and recipient.payment_status_not_reported),
        motif=engagement_motif,
    )
    resuming = _was_handled_before(invoice) and not engagement_motif
    # A scenario that never waited for the supplier (PAYE, REJETEE) has no resume path: after a
    # recycling forced by its engagement, the buyer plays that scenario's own steps.
    steps = (scenario.resume or scenario.steps) if resuming else scenario.steps
    due, expect = after, invoice.status
    for index, step in enumerate(steps):
        due = due + dt.timedelta(seconds=step.delay_seconds)
        platform.state.schedule(
            due,
            "invoice.recipient",
            invoice=invoice.invoice_id,
            status=str(step.status),
            comment=step.comment,
            mandate=step.mandate_number,
            expect=expect,
            generation=len(invoice.history),
            index=index,
        )
        expect = str(step.status)


def _engagement_problem(platform: Platform, invoice: Invoice) -> str | None:
    """Cause 14: the buyer's motif when the invoice's EJ is not one of its commitments to this supplier
    (unknown, issued by another buyer or to another supplier) or is closed; None when it is fine."""
    number = invoice.engagement_number
    if number is None:
        return None
    commitments = platform.state.dataset.commitments_between(
        invoice.supplier_structure_id, invoice.recipient_structure_id
    )
    found = next((c for c in commitments if c.number == number), None)
    if found is None:
        return lifecycle.unknown_engagement_motif(number)
    if found.state is EngagementState.CLOSED:
        return lifecycle.closed_engagement_motif(number)
    return None


def _was_handled_before(invoice: Invoice) -> bool:
    return any(h.status in {"SUSPENDUE", "A_RECYCLER"} for h in invoice.history)


@on_event("invoice.recipient")
def _recipient_step(platform: Platform, event: Event) -> None:
    invoice = platform.state.invoices[event.payload["invoice"]]
    # A manual action since the plan was made (traiter/recue, completer, recycler) cancels the plan.
    if invoice.status != event.payload["expect"]:
        return
    expected_length = event.payload["generation"] + event.payload["index"]
    if len(invoice.history) != expected_length:
        return
    if event.payload.get("mandate"):
        invoice.mandate_number = event.payload["mandate"]
    recipient = platform.state.dataset.structure(invoice.recipient_structure_id)
    user = recipient.name if recipient else ""
    change_status(
        platform, invoice, event.payload["status"], event.due, event.payload.get("comment", ""), user
    )


def reroute(
    platform: Platform,
    invoice: Invoice,
    *,
    recipient_siret: str,
    service_code: str | None,
    engagement_number: str | None,
    at: dt.datetime,
    comment: str,
    user: str,
) -> str | None:
    """`recycler`: new routing data, checked by the platform's routing rules, then routing restarts
    at DEPOSEE. Returns the refusal message, or None when the invoice was recycled."""
    state = platform.state
    account = state.dataset.account_by_login(user)
    routing = FluxInvoice(
        source_format=SourceFormat.CII,
        file_name=invoice.file_name or "",
        xml=b"",
        pdf=None,
        paths=RECYCLE_PATHS,
        number=invoice.number,
        supplier_id=invoice.supplier_identifier,
        recipient_id=recipient_siret,
        service_code=service_code or None,
        engagement_number=engagement_number or None,
    )
    if account is None:
        return "Compte inconnu"
    messages = integration_errors(routing, account, Directory(state), ROUTING_RULES, platform.config.rules)
    if messages:
        return format_dp_error(messages)
    recipient = state.dataset.structure_by_siret(recipient_siret)
    assert recipient is not None  # checked by the routing rules
    service = recipient.service_by_code(service_code) if service_code else None
    invoice.recipient_structure_id, invoice.recipient_identifier = recipient.structure_id, recipient.siret
    invoice.service_code, invoice.service_id = service_code or None, service.service_id if service else None
    invoice.engagement_number = engagement_number or None
    change_status(platform, invoice, "DEPOSEE", at, comment, user)
    _schedule_routing(platform, invoice, at)
    return None


# The platform's routing rules, re-applied to the new routing data of a recycled invoice.
ROUTING_RULES = (
    integration.recipient_identifier_present,
    integration.recipient_identified_by_vat_number,
    integration.recipient_identifier_is_siret,
    integration.recipient_known,
    integration.recipient_active,
    integration.recipient_public,
    integration.service_code_required,
    integration.service_or_engagement_required,
    integration.service_code_format,
    integration.service_code_reserved_to_public_suppliers,
    integration.service_code_known_and_active,
    integration.engagement_required,
    integration.engagement_length,
)


class _RecyclePaths(dict[str, str]):
    """Names of the recycling request's fields, used in the routing rules' messages."""

    def __missing__(self, key: str) -> str:
        return "identifiantFactureCPP"


RECYCLE_PATHS = _RecyclePaths(
    {
        "recipient_id": "destinataire.codeDestinataire",
        "recipient_scheme": "destinataire.codeDestinataire",
        "service_code": "destinataire.codeServiceExecutant",
        "engagement_number": "reference.numeroBonCommande",
    }
)

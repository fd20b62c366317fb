"""Code lists used by the invoice model: EN 16931 (UNTDID) codes and Chorus Pro enumerations."""

from __future__ import annotations

from enum import Enum, StrEnum


class DocumentType(StrEnum):
    """BT-3, UNTDID 1001 codes accepted by Chorus Pro for invoices and credit notes."""

    INVOICE = "380"
    CREDIT_NOTE = "381"
    CORRECTED_INVOICE = "384"
    PREPAYMENT_INVOICE = "386"
    SELF_BILLED_INVOICE = "389"

    @property
    def is_credit_note(self) -> bool:
        return self is DocumentType.CREDIT_NOTE


class VatCategory(StrEnum):
    """BT-118 / BT-151, UNTDID 5305 subset used by EN 16931."""

    STANDARD = "S"
    ZERO = "Z"
    EXEMPT = "E"
    REVERSE_CHARGE = "AE"
    INTRA_COMMUNITY = "K"
    EXPORT = "G"
    NOT_SUBJECT = "O"
    CANARY_ISLANDS = "L"
    CEUTA_MELILLA = "M"

    @property
    def needs_exemption_reason(self) -> bool:
        return self in _EXEMPTION_CATEGORIES


_EXEMPTION_CATEGORIES = frozenset(
    {
        VatCategory.EXEMPT,
        VatCategory.REVERSE_CHARGE,
        VatCategory.INTRA_COMMUNITY,
        VatCategory.EXPORT,
        VatCategory.NOT_SUBJECT,
    }
)


class PaymentMeansCode(StrEnum):
    """BT-81, the UNTDID 4461 codes Chorus Pro admits (Annexe EDI rule S2.05)."""

    INSTRUMENT_NOT_DEFINED = "1"
    CASH = "10"
    CHEQUE = "20"
    CREDIT_TRANSFER = "30"
    DEBIT_TRANSFER = "31"
    PAYMENT_TO_BANK_ACCOUNT = "42"
    BANK_CARD = "48"
    DIRECT_DEBIT = "49"
    SEPA_CREDIT_TRANSFER = "58"
    SEPA_DIRECT_DEBIT = "59"
    CLEARING_BETWEEN_PARTNERS = "97"

    @property
    def is_credit_transfer(self) -> bool:
        return self in _CREDIT_TRANSFER_CODES


_CREDIT_TRANSFER_CODES = frozenset(
    {
        PaymentMeansCode.CREDIT_TRANSFER,
        PaymentMeansCode.DEBIT_TRANSFER,
        PaymentMeansCode.PAYMENT_TO_BANK_ACCOUNT,
        PaymentMeansCode.SEPA_CREDIT_TRANSFER,
    }
)


class ChorusPaymentMode(StrEnum):
    """Chorus Pro `modePaiement` (mode de règlement), mapped to a BT-81 code in the XML."""

    VIREMENT = "VIREMENT"
    CHEQUE = "CHEQUE"
    PRELEVEMENT = "PRELEVEMENT"
    ESPECE = "ESPECE"
    AUTRE = "AUTRE"
    REPORT = "REPORT"

    @property
    def means_code(self) -> PaymentMeansCode:
        return _MODE_TO_MEANS[self]


_MODE_TO_MEANS = {
    ChorusPaymentMode.VIREMENT: PaymentMeansCode.CREDIT_TRANSFER,
    ChorusPaymentMode.CHEQUE: PaymentMeansCode.CHEQUE,
    ChorusPaymentMode.PRELEVEMENT: PaymentMeansCode.DIRECT_DEBIT,
    ChorusPaymentMode.ESPECE: PaymentMeansCode.CASH,
    ChorusPaymentMode.AUTRE: PaymentMeansCode.INSTRUMENT_NOT_DEFINED,
    ChorusPaymentMode.REPORT: PaymentMeansCode.CLEARING_BETWEEN_PARTNERS,
}


def chorus_mode_of(code: PaymentMeansCode) -> ChorusPaymentMode:
    """The Chorus mode de règlement a BT-81 code stands for (unlisted codes are `AUTRE`)."""
    for mode, means in _MODE_TO_MEANS.items():
        if means is code:
            return mode
    if code.is_credit_transfer:
        return ChorusPaymentMode.VIREMENT
    if code is PaymentMeansCode.SEPA_DIRECT_DEBIT:
        return ChorusPaymentMode.PRELEVEMENT
    return ChorusPaymentMode.AUTRE


class BillingFrame(StrEnum):
    """Chorus Pro cadre de facturation, carried as BT-23 (CII business process / UBL ProfileID)."""

    A1 = "A1"
    A2 = "A2"
    A3 = "A3"
    A4 = "A4"
    A5 = "A5"
    A6 = "A6"
    A7 = "A7"
    A8 = "A8"
    A9 = "A9"
    A10 = "A10"
    A11 = "A11"
    A12 = "A12"
    A13 = "A13"
    A14 = "A14"
    A15 = "A15"
    A16 = "A16"
    A17 = "A17"
    A18 = "A18"
    A19 = "A19"
    A20 = "A20"
    A21 = "A21"
    A22 = "A22"
    A23 = "A23"
    A24 = "A24"
    A25 = "A25"

    @property
    def api_code(self) -> str:
        """The `codeCadreFacturation` value of the Chorus Pro API (e.g. `A1_FACTURE_FOURNISSEUR`)."""
        return _FRAME_API_CODES[self]

    @property
    def is_works(self) -> bool:
        """Works frames (marchés de travaux): A4–A8, A10, A11, A13–A20, A22–A25."""
        return self in _WORKS_FRAMES

    @classmethod
    def parse(cls, value: str) -> BillingFrame:
        """Accept `A1` as well as the API form `A1_FACTURE_FOURNISSEUR`."""
        return cls(value.strip().upper().split("_", 1)[0])


_FRAME_API_CODES = {
    BillingFrame.A1: "A1_FACTURE_FOURNISSEUR",
    BillingFrame.A2: "A2_FACTURE_FOURNISSEUR_DEJA_PAYEE",
    BillingFrame.A3: "A3_MEMOIRE_JUSTICE",
    BillingFrame.A4: "A4_PROJET_DECOMPTE_MENSUEL_FOURNISSEUR",
    BillingFrame.A5: "A5_ETAT_ACOMPTE_FOURNISSEUR",
    BillingFrame.A6: "A6_ETAT_ACOMPTE_VALIDE_FOURNISSEUR",
    BillingFrame.A7: "A7_PROJET_DECOMPTE_FINAL_FOURNISSEUR",
    BillingFrame.A8: "A8_DECOMPTE_GENERAL_DEFINITIF_FOURNISSEUR",
    BillingFrame.A9: "A9_FACTURE_SOUSTRAITANT",
    BillingFrame.A10: "A10_PROJET_DECOMPTE_MENSUEL_SOUSTRAITANT",
    BillingFrame.A11: "A11_PROJET_DECOMPTE_FINAL_SOUSTRAITANT",
    BillingFrame.A12: "A12_FACTURE_COTRAITANT",
    BillingFrame.A13: "A13_PROJET_DECOMPTE_MENSUEL_COTRAITANT",
    BillingFrame.A14: "A14_PROJET_DECOMPTE_FINAL_COTRAITANT",
    BillingFrame.A15: "A15_ETAT_ACOMPTE_MOE",
    BillingFrame.A16: "A16_ETAT_ACOMPTE_VALIDE_MOE",
    BillingFrame.A17: "A17_PROJET_DECOMPTE_GENERAL_MOE",
    BillingFrame.A18: "A18_DECOMPTE_GENERAL_MOE",
    BillingFrame.A19: "A19_ETAT_ACOMPTE_VALIDE_MOA",
    BillingFrame.A20: "A20_DECOMPTE_GENERAL_MOA",
    BillingFrame.A21: "A21_DEMANDE_REMBOURSEMENT_TIC",
    BillingFrame.A22: "A22_PROJET_DECOMPTE_GENERAL_FOURNISSEUR_PROCEDURE_TACITE",
    BillingFrame.A23: "A23_DECOMPTE_GENERAL_DEFINITIF_TACITE_FOURNISSEUR",
    BillingFrame.A24: "A24_DECOMPTE_GENERAL_DEFINITIF_TACITE_MOE",
    BillingFrame.A25: "A25_DECOMPTE_GENERAL_DEFINITIF_MOE_PROCEDURE_TACITE",
}
_WORKS_FRAMES = frozenset(
    BillingFrame(f"A{n}") for n in (4, 5, 6, 7, 8, 10, 11, 13, 14, 15, 16, 17, 18, 19, 20, 22, 23, 24, 25)
)


class Profile(Enum):
    """Factur-X profiles (CII guideline BT-24), ordered from the poorest to the richest."""

    MINIMUM = ("minimum", "urn:factur-x.eu:1p0:minimum")
    BASIC_WL = ("basicwl", "urn:factur-x.eu:1p0:basicwl")
    BASIC = ("basic", "urn:cen.eu:en16931:2017#compliant#urn:factur-x.eu:1p0:basic")
    EN16931 = ("en16931", "urn:cen.eu:en16931:2017")
    EXTENDED = ("extended", "urn:cen.eu:en16931:2017#conformant#urn:factur-x.eu:1p0:extended")

    def __init__(self, level: str, guideline: str) -> None:
        self.level = level
        self.guideline = guideline

    @property
    def rank(self) -> int:
        return _PROFILE_RANKS[self]

    def at_least(self, other: Profile) -> bool:
        return self.rank >= other.rank

    @property
    def has_lines(self) -> bool:
        return self.at_least(Profile.BASIC)

    @classmethod
    def from_level(cls, level: str) -> Profile:
        wanted = level.strip().lower().replace("-", "").replace("_", "").replace(" ", "")
        for profile in cls:
            if profile.level == wanted or profile.name.lower().replace("_", "") == wanted:
                return profile
        raise ValueError(f"unknown Factur-X profile {level!r} (minimum, basicwl, basic, en16931, extended)")

    @classmethod
    def from_guideline(cls, guideline: str) -> Profile:
        for profile in cls:
            if profile.guideline == guideline.strip():
                return profile
        raise ValueError(f"unknown guideline identifier (BT-24) {guideline!r}")


_PROFILE_RANKS = {profile: rank for rank, profile in enumerate(Profile)}  # `rank` runs ~40× per invoice


class OutputFormat(StrEnum):
    """The formats the project writes, with the Chorus Pro `syntaxeFlux` each is deposited under."""

    FACTURX = "facturx"
    CII = "cii"
    UBL = "ubl"

    @property
    def syntaxe_flux(self) -> str:
        return _SYNTAXE_FLUX[self]

    @property
    def interface_code(self) -> str:
        """`codeInterfaceDepotFlux` Chorus Pro reports for a deposit in this syntax."""
        return _INTERFACE_CODES[self]

    @property
    def extension(self) -> str:
        return ".pdf" if self is OutputFormat.FACTURX else ".xml"


_SYNTAXE_FLUX = {
    OutputFormat.FACTURX: "IN_DP_E2_CII_FACTURX",
    OutputFormat.CII: "IN_DP_E1_CII_16B",
    OutputFormat.UBL: "IN_DP_E1_UBL_INVOICE",
}
_INTERFACE_CODES = {
    OutputFormat.FACTURX: "FSO1117A",
    OutputFormat.CII: "FSO1106A",
    OutputFormat.UBL: "FSO1100A",
}

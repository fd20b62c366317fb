"""The reference lists the Transverses API serves (`recuperer/*`), as data.

Values attested by the reference (chorus-pro-api.md §3) are copied exactly; lists the reference does not
give in full (currencies, countries, VAT rates, exemption motifs, attachment types, refusal motifs,
support categories) are our choices, marked as such and documented in docs/simulator-operations.md.
Labels are (French, English), chosen by `codeLangue`.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from chorus_connect.simulator.clock import PARIS
from chorus_connect.simulator.lifecycle import ALL_INVOICE_STATUS_CODES

Labels = tuple[str, str]  # (FR, EN)


def label(labels: Labels, language: str) -> str:
    return labels[1] if language == "EN" else labels[0]


# §3.1 flow formats and the deposit syntaxes each admits; the E3 syntax belongs to no format (justice
# memoranda) and is listed only when no format is asked for.
FORMAT_SYNTAXES: dict[str, tuple[str, ...]] = {
    "IN_DP_E1_STRUCT": (
        "IN_DP_E1_UBL_INVOICE",
        "IN_DP_E1_CII",
        "IN_DP_E1_CII_16B",
        "IN_DP_E1_PES_FACTURE",
        "IN_DP_E1_XCBL",
    ),
    "IN_DP_E2_MIXTE": (
        "IN_DP_E2_UBL_INVOICE_MIN",
        "IN_DP_E2_CII_MIN",
        "IN_DP_E2_CII_MIN_16B",
        "IN_DP_E2_PES_FACTURE_MIN",
        "IN_DP_E2_CPP_FACTURE_MIN",
    ),
    "IN_DP_E2_FACTURX": ("IN_DP_E2_CII_FACTURX",),
}
FORMATLESS_SYNTAXES = ("IN_DP_E3_UBL_INVOICE",)

# §3.6 [lib: PHP].
DEPOSIT_MODES = (
    "SAISIE_WEB",
    "PORTAIL_PDF",
    "EDI_XML_STRUCT",
    "EDI_MIXTE",
    "EDI_PDF_ARCHIVE",
    "SAISIE_PORTAIL",
    "SAISIE_API",
    "DEPOT_PDF_PORTAIL",
    "DEPOT_PDF_SIGNE_PORTAIL",
    "DEPOT_PDF_API",
    "DEPOT_PDF_SIGNE_API",
    "EDI",
    "UPLOAD_PORTAIL",
    "UPLOAD_API",
    "EDI_NUMERISATION",
)
PAYMENT_MODES = ("CHEQUE", "PRELEVEMENT", "VIREMENT", "ESPECE", "AUTRE", "REPORT")

# §3.5 [lib: go], with the payment-request type each belongs to (the grouping is ours).
INVOICE_FRAMEWORKS: dict[str, str] = {
    "A1_FACTURE_FOURNISSEUR": "FACTURE",
    "A2_FACTURE_FOURNISSEUR_DEJA_PAYEE": "FACTURE",
    "A3_MEMOIRE_JUSTICE": "MEMOIRE_JUSTICE",
    "A4_PROJET_DECOMPTE_MENSUEL_FOURNISSEUR": "FACTURE_TRAVAUX",
    "A5_ETAT_ACOMPTE_FOURNISSEUR": "FACTURE_TRAVAUX",
    "A6_ETAT_ACOMPTE_VALIDE_FOURNISSEUR": "FACTURE_TRAVAUX",
    "A7_PROJET_DECOMPTE_FINAL_FOURNISSEUR": "FACTURE_TRAVAUX",
    "A8_DECOMPTE_GENERAL_DEFINITIF_FOURNISSEUR": "FACTURE_TRAVAUX",
    "A9_FACTURE_SOUSTRAITANT": "FACTURE",
    "A10_PROJET_DECOMPTE_MENSUEL_SOUSTRAITANT": "FACTURE_TRAVAUX",
    "A11_PROJET_DECOMPTE_FINAL_SOUSTRAITANT": "FACTURE_TRAVAUX",
    "A12_FACTURE_COTRAITANT": "FACTURE",
    "A13_PROJET_DECOMPTE_MENSUEL_COTRAITANT": "FACTURE_TRAVAUX",
    "A14_PROJET_DECOMPTE_FINAL_COTRAITANT": "FACTURE_TRAVAUX",
    "A15_ETAT_ACOMPTE_MOE": "FACTURE_TRAVAUX",
    "A16_ETAT_ACOMPTE_VALIDE_MOE": "FACTURE_TRAVAUX",
    "A17_PROJET_DECOMPTE_GENERAL_MOE": "FACTURE_TRAVAUX",
    "A18_DECOMPTE_GENERAL_MOE": "FACTURE_TRAVAUX",
    "A19_ETAT_ACOMPTE_VALIDE_MOA": "FACTURE_TRAVAUX",
    "A20_DECOMPTE_GENERAL_MOA": "FACTURE_TRAVAUX",
    "A21_DEMANDE_REMBOURSEMENT_TIC": "DEMANDE_REMBOURSEMENT_TIC",
    "A22_PROJET_DECOMPTE_GENERAL_FOURNISSEUR_PROCEDURE_TACITE": "FACTURE_TRAVAUX",
    "A23_DECOMPTE_GENERAL_DEFINITIF_TACITE_FOURNISSEUR": "FACTURE_TRAVAUX",
    "A24_DECOMPTE_GENERAL_DEFINITIF_TACITE_MOE": "FACTURE_TRAVAUX",
    "A25_DECOMPTE_GENERAL_DEFINITIF_MOE_PROCEDURE_TACITE": "FACTURE_TRAVAUX",
}

# FACTURE and FACTURE_TRAVAUX are attested (Pastell); the two others are named after cadres A3 / A21 [ours].
PAYMENT_REQUEST_TYPES = ("FACTURE", "FACTURE_TRAVAUX", "MEMOIRE_JUSTICE", "DEMANDE_REMBOURSEMENT_TIC")

# §3.4: the status enum (57 values listed, though the reference says 58), split by the kind of payment
# request they apply to (the split is ours).
_WORKS_MARKERS = ("MOE", "MOA", "ASSOCIE", "A22", "TRAVAUX")
_WORKS_ONLY = frozenset(
    {
        "EN_ATTENTE_RECYCLAGE_FOURNISSEUR",
        "REFUSEE_FOURNISSEUR",
        "A_COMPLETER",
        "NON_CONFORME",
        "DUPLIQUE_APRES_REFUS",
    }
)
_VALIDATION_ONLY = frozenset(
    s for s in ALL_INVOICE_STATUS_CODES if s.endswith(("_1", "_2", "_HORS_DELAI")) or "SUR_VALIDEUR" in s
)
WORKS_STATUSES = tuple(
    s for s in ALL_INVOICE_STATUS_CODES if s in _WORKS_ONLY or any(m in s for m in _WORKS_MARKERS)
)
INVOICE_STATUSES = tuple(s for s in ALL_INVOICE_STATUS_CODES if s not in WORKS_STATUSES)
SIMPLE_REQUEST_STATUSES = tuple(s for s in INVOICE_STATUSES if s not in _VALIDATION_ONLY)
STATUSES_BY_REQUEST_TYPE: dict[str, tuple[str, ...]] = {
    "FACTURE": INVOICE_STATUSES,
    "FACTURE_TRAVAUX": tuple(s for s in ALL_INVOICE_STATUS_CODES if s not in _VALIDATION_ONLY),
    "MEMOIRE_JUSTICE": SIMPLE_REQUEST_STATUSES,
    "DEMANDE_REMBOURSEMENT_TIC": SIMPLE_REQUEST_STATUSES,
}

# §3.5 [lib: PHP].
WORKS_INVOICE_TYPES = (
    "DP_DE_SOUSTRAITANT_TRAVAUX",
    "PROJET_DECOMPTE_MENSUEL",
    "ETAT_ACOMPTE",
    "ETAT_ACOMPTE_VALIDE",
    "PROJET_DECOMPTE_FINAL",
    "PROJET_DECOMPTE_GENERAL",
    "PROJET_DECOMPTE_GENERAL_PROCEDURE_TACITE",
    "DECOMPTE_GENERAL",
    "DECOMPTE_GENERAL_SIGNE",
    "DECOMPTE_GENERAL_DEFINITIF_TACITE",
    "DECOMPTE_GENERAL_DEFINITIF_PROCEDURE_TACITE",
)

# ISO 4217 subset [ours]: the currencies a French public buyer is likely to see.
CURRENCIES: dict[str, Labels] = {
    "EUR": ("Euro", "Euro"),
    "USD": ("Dollar des États-Unis", "US Dollar"),
    "GBP": ("Livre sterling", "Pound Sterling"),
    "CHF": ("Franc suisse", "Swiss Franc"),
    "JPY": ("Yen", "Yen"),
    "CAD": ("Dollar canadien", "Canadian Dollar"),
    "AUD": ("Dollar australien", "Australian Dollar"),
    "CNY": ("Yuan renminbi", "Yuan Renminbi"),
    "SEK": ("Couronne suédoise", "Swedish Krona"),
    "NOK": ("Couronne norvégienne", "Norwegian Krone"),
    "DKK": ("Couronne danoise", "Danish Krone"),
    "PLN": ("Zloty", "Zloty"),
    "CZK": ("Couronne tchèque", "Czech Koruna"),
    "HUF": ("Forint", "Forint"),
    "RON": ("Leu roumain", "Romanian Leu"),
    "BGN": ("Lev bulgare", "Bulgarian Lev"),
    "XPF": ("Franc CFP", "CFP Franc"),
    "XOF": ("Franc CFA (BCEAO)", "CFA Franc BCEAO"),
    "XAF": ("Franc CFA (BEAC)", "CFA Franc BEAC"),
    "MAD": ("Dirham marocain", "Moroccan Dirham"),
    "TND": ("Dinar tunisien", "Tunisian Dinar"),
    "DZD": ("Dinar algérien", "Algerian Dinar"),
}

# ISO 3166-1 alpha-2 subset [ours]: the EU, France's neighbours and overseas territories, main partners.
COUNTRIES: dict[str, Labels] = {
    "FR": ("France", "France"),
    "DE": ("Allemagne", "Germany"),
    "AT": ("Autriche", "Austria"),
    "BE": ("Belgique", "Belgium"),
    "BG": ("Bulgarie", "Bulgaria"),
    "CY": ("Chypre", "Cyprus"),
    "HR": ("Croatie", "Croatia"),
    "DK": ("Danemark", "Denmark"),
    "ES": ("Espagne", "Spain"),
    "EE": ("Estonie", "Estonia"),
    "FI": ("Finlande", "Finland"),
    "GR": ("Grèce", "Greece"),
    "HU": ("Hongrie", "Hungary"),
    "IE": ("Irlande", "Ireland"),
    "IT": ("Italie", "Italy"),
    "LV": ("Lettonie", "Latvia"),
    "LT": ("Lituanie", "Lithuania"),
    "LU": ("Luxembourg", "Luxembourg"),
    "MT": ("Malte", "Malta"),
    "NL": ("Pays-Bas", "Netherlands"),
    "PL": ("Pologne", "Poland"),
    "PT": ("Portugal", "Portugal"),
    "CZ": ("Tchéquie", "Czechia"),
    "RO": ("Roumanie", "Romania"),
    "SK": ("Slovaquie", "Slovakia"),
    "SI": ("Slovénie", "Slovenia"),
    "SE": ("Suède", "Sweden"),
    "AD": ("Andorre", "Andorra"),
    "CH": ("Suisse", "Switzerland"),
    "GB": ("Royaume-Uni", "United Kingdom"),
    "MC": ("Monaco", "Monaco"),
    "NO": ("Norvège", "Norway"),
    "US": ("États-Unis", "United States"),
    "CA": ("Canada", "Canada"),
    "MA": ("Maroc", "Morocco"),
    "TN": ("Tunisie", "Tunisia"),
    "DZ": ("Algérie", "Algeria"),
    "SN": ("Sénégal", "Senegal"),
    "CI": ("Côte d'Ivoire", "Côte d'Ivoire"),
    "NC": ("Nouvelle-Calédonie", "New Caledonia"),
    "PF": ("Polynésie française", "French Polynesia"),
    "GP": ("Guadeloupe", "Guadeloupe"),
    "MQ": ("Martinique", "Martinique"),
    "GF": ("Guyane", "French Guiana"),
    "RE": ("La Réunion", "Réunion"),
    "YT": ("Mayotte", "Mayotte"),
}


@dataclass(frozen=True)
class VatRate:
    code: str
    value: float
    labels: Labels


# French VAT rates (mainland, Corsica, overseas departments) [ours]; codes follow the `TVA20` pattern of
# the AIFE examples, with `_` for the decimal separator.
VAT_RATES = (
    VatRate("TVA20", 20.0, ("Taux normal 20 %", "Standard rate 20%")),
    VatRate("TVA13", 13.0, ("Taux particulier Corse 13 %", "Corsica special rate 13%")),
    VatRate("TVA10", 10.0, ("Taux intermédiaire 10 %", "Intermediate rate 10%")),
    VatRate("TVA8_5", 8.5, ("Taux normal DOM 8,5 %", "Overseas standard rate 8.5%")),
    VatRate("TVA5_5", 5.5, ("Taux réduit 5,5 %", "Reduced rate 5.5%")),
    VatRate("TVA2_1", 2.1, ("Taux particulier 2,1 %", "Special rate 2.1%")),
    VatRate("TVA1_75", 1.75, ("Taux réduit DOM 1,75 %", "Overseas reduced rate 1.75%")),
    VatRate("TVA1_05", 1.05, ("Taux particulier DOM 1,05 %", "Overseas special rate 1.05%")),
    VatRate("TVA0_9", 0.9, ("Taux particulier Corse 0,9 %", "Corsica special rate 0.9%")),
    VatRate("TVA0", 0.0, ("Taux zéro", "Zero rate")),
)

# VAT exemption motifs [ours], each naming its legal basis (Code général des impôts).
VAT_EXEMPTION_MOTIFS: dict[str, Labels] = {
    "TVA_NON_APPLICABLE_ART_293B": (
        "TVA non applicable, article 293 B du CGI",
        "VAT not applicable, article 293 B of the French tax code",
    ),
    "EXONERATION_ART_261": (
        "Exonération, article 261 du CGI",
        "Exemption, article 261 of the French tax code",
    ),
    "EXONERATION_ART_262_TER": (
        "Livraison intracommunautaire exonérée, article 262 ter I du CGI",
        "Exempt intra-Community supply, article 262 ter I of the French tax code",
    ),
    "EXONERATION_ART_262": (
        "Exportation exonérée, article 262 I du CGI",
        "Exempt export, article 262 I of the French tax code",
    ),
    "AUTOLIQUIDATION_ART_283": (
        "Autoliquidation, article 283 du CGI",
        "Reverse charge, article 283 of the French tax code",
    ),
    "FRANCHISE_ART_275": (
        "Achats en franchise, article 275 du CGI",
        "Duty-free purchases, article 275 of the French tax code",
    ),
    "HORS_CHAMP": ("Opération hors du champ de la TVA", "Transaction outside the scope of VAT"),
}


@dataclass(frozen=True)
class RefusalMotif:
    motif_id: int
    code: str
    labels: Labels


# Motifs a validator may give when refusing an invoice to validate [ours].
VALIDATION_REFUSAL_MOTIFS = (
    RefusalMotif(1, "MONTANT_ERRONE", ("Montant erroné", "Wrong amount")),
    RefusalMotif(2, "PRESTATION_NON_CONFORME", ("Prestation non conforme", "Non-compliant service")),
    RefusalMotif(
        3, "PIECE_JUSTIFICATIVE_MANQUANTE", ("Pièce justificative manquante", "Missing supporting document")
    ),
    RefusalMotif(4, "ERREUR_DESTINATAIRE", ("Erreur de destinataire", "Wrong recipient")),
    RefusalMotif(5, "DOUBLON", ("Facture en doublon", "Duplicate invoice")),
    RefusalMotif(6, "AUTRE", ("Autre motif", "Other reason")),
)

# §3.6 [lib: go]: the object kinds attachments can belong to.
ATTACHMENT_OBJECT_KINDS = (
    "STRUCTURE",
    "UTILISATEUR",
    "CB",
    "MANDAT",
    "FICHE_RACCORDEMENT",
    "EJ",
    "MEMOIRE",
    "DMD_RBST",
    "TRANSVERSE",
    "FACTURE_TRAVAUX",
    "FACTURE",
    "DMDE_CPTE_DEV_SI_EXT",
    "SOLLICITATION",
    "CERTIFICAT",
    "PJ_REJET_EDI",
)


@dataclass(frozen=True)
class AttachmentType:
    type_id: int
    code: str
    labels: Labels
    object_kind: str


# Attachment types [ours]. Files sent with `ajouter/fichier` are of type FACTURE (id 1): they are meant
# to be attached to invoices (soumettre, completer), and the invoice views show that code.
UPLOADED_FILE_TYPE_ID = 1
ATTACHMENT_TYPES = (
    AttachmentType(1, "FACTURE", ("Pièce jointe de facture", "Invoice attachment"), "FACTURE"),
    AttachmentType(2, "BON_COMMANDE", ("Bon de commande", "Purchase order"), "FACTURE"),
    AttachmentType(3, "PV_RECEPTION", ("Procès-verbal de réception", "Acceptance report"), "FACTURE"),
    AttachmentType(4, "DEVIS", ("Devis", "Quotation"), "FACTURE"),
    AttachmentType(5, "AUTRE", ("Autre pièce jointe", "Other attachment"), "FACTURE"),
    AttachmentType(10, "DECOMPTE", ("Décompte", "Statement of account"), "FACTURE_TRAVAUX"),
    AttachmentType(11, "ETAT_ACOMPTE", ("État d'acompte", "Interim payment statement"), "FACTURE_TRAVAUX"),
    AttachmentType(20, "RIB", ("Relevé d'identité bancaire", "Bank details"), "CB"),
    AttachmentType(30, "KBIS", ("Extrait Kbis", "Certificate of incorporation"), "STRUCTURE"),
    AttachmentType(31, "MANDAT_FACTURATION", ("Mandat de facturation", "Billing mandate"), "MANDAT"),
    AttachmentType(40, "PIECE_IDENTITE", ("Pièce d'identité", "Identity document"), "UTILISATEUR"),
    AttachmentType(50, "ENGAGEMENT_JURIDIQUE", ("Engagement juridique", "Legal commitment"), "EJ"),
    AttachmentType(60, "MEMOIRE", ("Mémoire de frais de justice", "Justice expenses memorandum"), "MEMOIRE"),
    AttachmentType(
        70, "SOLLICITATION", ("Pièce jointe de sollicitation", "Support request attachment"), "SOLLICITATION"
    ),
    AttachmentType(80, "TRANSVERSE", ("Pièce jointe transverse", "General attachment"), "TRANSVERSE"),
)
ATTACHMENT_TYPES_BY_ID = {t.type_id: t for t in ATTACHMENT_TYPES}

# §4 rule 6 [lib: OCA]: the extensions Chorus Pro accepts for attachments.
ALLOWED_ATTACHMENT_EXTENSIONS = frozenset(
    {
        "BMP", "GIF", "FAX", "ODT", "PPT", "TIFF", "XLS", "BZ2", "GZ", "JPEG", "P7S", "RTF", "TXT",
        "XML", "CSV", "GZIP", "JPG", "PDF", "SVG", "XHTML", "XLSX", "DOC", "HTM", "ODP", "PNG", "TGZ",
        "XLC", "ZIP", "DOCX", "HTML", "ODS", "PPS", "TIF", "XLM", "PPTX",
    }
)  # fmt: skip


@dataclass(frozen=True)
class SupportCategory:
    category_id: int
    code: str
    labels: Labels
    active: bool = True


@dataclass(frozen=True)
class SupportSubcategory:
    code: str
    category_id: int
    labels: Labels
    active: bool = True


# Support-request (sollicitation) categories [ours], all created (and last changed) on one fixed date.
SUPPORT_LIST_CREATED = dt.datetime(2017, 1, 1, tzinfo=PARIS)
SUPPORT_CATEGORIES = (
    SupportCategory(1, "FACTURATION", ("Facturation", "Invoicing")),
    SupportCategory(2, "RACCORDEMENT", ("Raccordement EDI / API", "EDI / API connection")),
    SupportCategory(3, "COMPTE", ("Compte utilisateur", "User account")),
    SupportCategory(4, "STRUCTURE", ("Structures et services", "Structures and services")),
    SupportCategory(5, "ANCIENNE_OFFRE", ("Ancienne offre de service", "Former service offer"), active=False),
)
SUPPORT_SUBCATEGORIES = (
    SupportSubcategory("FACTURE_REJETEE", 1, ("Facture rejetée", "Rejected invoice")),
    SupportSubcategory("FACTURE_SUSPENDUE", 1, ("Facture suspendue", "Suspended invoice")),
    SupportSubcategory("DELAI_PAIEMENT", 1, ("Délai de paiement", "Payment delay")),
    SupportSubcategory("FLUX_REJETE", 2, ("Flux rejeté", "Rejected flow")),
    SupportSubcategory("HABILITATION_PISTE", 2, ("Habilitation PISTE", "PISTE authorisation")),
    SupportSubcategory(
        "MOT_DE_PASSE_TECHNIQUE", 3, ("Mot de passe du compte technique", "Technical password")
    ),
    SupportSubcategory("RATTACHEMENT", 3, ("Rattachement à une structure", "Link to a structure")),
    SupportSubcategory("SERVICE_INCONNU", 4, ("Service introuvable", "Service not found")),
    SupportSubcategory("COURRIER_PAPIER", 5, ("Factures papier", "Paper invoices"), active=False),
)

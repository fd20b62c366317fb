"""French messages and model field paths for the most common EN 16931 / Factur-X schematron rules.

The official schematrons speak English; these say in French what to fix, and name the field of our model
(JSON format) that carries the business term. Rules not listed get a generic French message with the
schematron's own text kept in `detail`.
"""

from __future__ import annotations

# rule id -> (model field path, French message)
RULES: dict[str, tuple[str, str]] = {
    "BR-01": (
        "profile",
        "L'identifiant de spécification (BT-24) manque : utilisez un profil Factur-X connu.",
    ),
    "BR-02": ("number", "Renseignez le numéro de facture (BT-1)."),
    "BR-03": ("issue_date", "Renseignez la date d'émission de la facture (BT-2)."),
    "BR-04": ("type_code", "Renseignez le type de document (BT-3) : 380 facture, 381 avoir."),
    "BR-05": ("currency", "Renseignez la devise de la facture (BT-5), par exemple EUR."),
    "BR-06": ("seller.name", "Renseignez la raison sociale du fournisseur (BT-27)."),
    "BR-07": ("buyer.name", "Renseignez le nom de l'acheteur (BT-44)."),
    "BR-08": ("seller.address", "Renseignez l'adresse postale du fournisseur (BG-5)."),
    "BR-09": ("seller.address.country_code", "Renseignez le code pays du fournisseur (BT-40)."),
    "BR-10": ("buyer.address", "Renseignez l'adresse postale de l'acheteur (BG-8)."),
    "BR-11": ("buyer.address.country_code", "Renseignez le code pays de l'acheteur (BT-55)."),
    "BR-12": ("totals.line_total", "Renseignez la somme des montants nets des lignes (BT-106)."),
    "BR-13": ("totals.tax_exclusive", "Renseignez le total hors TVA (BT-109)."),
    "BR-14": ("totals.tax_inclusive", "Renseignez le total TTC (BT-112)."),
    "BR-15": ("totals.payable", "Renseignez le montant à payer (BT-115)."),
    "BR-16": ("lines", "Ajoutez au moins une ligne de facture (BG-25)."),
    "BR-21": ("lines[].id", "Chaque ligne doit avoir un identifiant (BT-126)."),
    "BR-22": ("lines[].quantity", "Chaque ligne doit avoir une quantité facturée (BT-129)."),
    "BR-23": ("lines[].unit_code", "Chaque ligne doit avoir une unité de mesure (BT-130)."),
    "BR-24": ("lines[].net_amount", "Chaque ligne doit avoir un montant net (BT-131)."),
    "BR-25": ("lines[].name", "Chaque ligne doit avoir une désignation d'article (BT-153)."),
    "BR-26": ("lines[].net_price", "Chaque ligne doit avoir un prix unitaire net (BT-146)."),
    "BR-27": (
        "lines[].net_price",
        "Le prix unitaire net (BT-146) ne peut pas être négatif : utilisez un avoir.",
    ),
    "BR-28": ("lines[].gross_price", "Le prix unitaire brut (BT-148) ne peut pas être négatif."),
    "BR-29": (
        "invoicing_period_end",
        "La fin de période de facturation (BT-74) doit suivre son début (BT-73).",
    ),
    "BR-30": ("lines[].period_end", "La fin de période de la ligne (BT-135) doit suivre son début (BT-134)."),
    "BR-31": ("allowances[].amount", "Chaque remise de pied de facture doit avoir un montant (BT-92)."),
    "BR-32": (
        "allowances[].vat_category",
        "Chaque remise de pied de facture doit avoir une catégorie de TVA (BT-95).",
    ),
    "BR-33": ("allowances[].reason", "Donnez le motif (BT-97) ou le code motif (BT-98) de chaque remise."),
    "BR-36": ("charges[].amount", "Chaque frais de pied de facture doit avoir un montant (BT-99)."),
    "BR-37": (
        "charges[].vat_category",
        "Chaque frais de pied de facture doit avoir une catégorie de TVA (BT-102).",
    ),
    "BR-38": ("charges[].reason", "Donnez le motif (BT-104) ou le code motif (BT-105) de chaque frais."),
    "BR-41": ("lines[].allowances[].amount", "Chaque remise de ligne doit avoir un montant (BT-136)."),
    "BR-42": (
        "lines[].allowances[].reason",
        "Donnez le motif (BT-139) ou le code motif (BT-140) de la remise de ligne.",
    ),
    "BR-43": ("lines[].charges[].amount", "Chaque frais de ligne doit avoir un montant (BT-141)."),
    "BR-44": (
        "lines[].charges[].reason",
        "Donnez le motif (BT-144) ou le code motif (BT-145) du frais de ligne.",
    ),
    "BR-45": ("vat_breakdown[].taxable_amount", "Chaque ventilation de TVA doit avoir une base HT (BT-116)."),
    "BR-46": (
        "vat_breakdown[].tax_amount",
        "Chaque ventilation de TVA doit avoir un montant de TVA (BT-117).",
    ),
    "BR-47": ("vat_breakdown[].category", "Chaque ventilation de TVA doit avoir une catégorie (BT-118)."),
    "BR-48": (
        "vat_breakdown[].rate",
        "Chaque ventilation de TVA doit avoir un taux (BT-119), sauf la catégorie O.",
    ),
    "BR-49": (
        "payment_means.code",
        "Le moyen de paiement doit avoir un code (BT-81), par exemple 30 (virement).",
    ),
    "BR-50": ("payment_means.iban", "Un virement doit indiquer le compte du bénéficiaire (BT-84, IBAN)."),
    "BR-52": ("attachments[].id", "Chaque pièce jointe doit avoir une référence (BT-122)."),
    "BR-55": (
        "preceding_invoices[].number",
        "Chaque facture antérieure référencée doit avoir un numéro (BT-25).",
    ),
    "BR-61": ("payment_means.iban", "Un virement (code 30 ou 58) exige l'IBAN du bénéficiaire (BT-84)."),
    "BR-CO-03": ("", "Ne donnez pas à la fois une date de TVA exigible (BT-7) et son code (BT-8)."),
    "BR-CO-09": ("seller.vat_id", "Le numéro de TVA doit commencer par le code pays (FR…)."),
    "BR-CO-10": (
        "totals.line_total",
        "Le total des lignes (BT-106) doit être la somme des montants nets des lignes.",
    ),
    "BR-CO-11": ("totals.allowance_total", "Le total des remises (BT-107) doit être la somme des remises."),
    "BR-CO-12": ("totals.charge_total", "Le total des frais (BT-108) doit être la somme des frais."),
    "BR-CO-13": (
        "totals.tax_exclusive",
        "Le total HT (BT-109) doit valoir total des lignes − remises + frais.",
    ),
    "BR-CO-14": (
        "totals.tax_total",
        "Le total de TVA (BT-110) doit être la somme des montants de TVA (BT-117).",
    ),
    "BR-CO-15": ("totals.tax_inclusive", "Le total TTC (BT-112) doit valoir total HT + TVA."),
    "BR-CO-16": ("totals.payable", "Le montant à payer (BT-115) doit valoir TTC − acompte + arrondi."),
    "BR-CO-17": (
        "vat_breakdown[].tax_amount",
        "Le montant de TVA (BT-117) doit valoir base × taux arrondi à 2 décimales.",
    ),
    "BR-CO-18": ("vat_breakdown", "Ajoutez au moins une ventilation de TVA (BG-23)."),
    "BR-CO-25": (
        "due_date",
        "Un montant à payer positif exige une date d'échéance (BT-9) ou des conditions de paiement (BT-20).",
    ),
    "BR-CO-26": (
        "seller.siret",
        "Identifiez le fournisseur : SIRET (BT-29), SIREN (BT-30) ou n° de TVA (BT-31).",
    ),
    "BR-S-05": (
        "lines[].vat_rate",
        "Une ligne au taux normal (catégorie S) doit avoir un taux de TVA supérieur à 0.",
    ),
    "BR-S-08": (
        "vat_breakdown[].taxable_amount",
        "La base HT du taux normal doit être la somme des lignes, remises et frais à ce taux.",
    ),
    "BR-S-09": ("vat_breakdown[].tax_amount", "La TVA du taux normal doit valoir base × taux."),
    "BR-E-10": (
        "vat_exemptions",
        "Une exonération (catégorie E) exige un motif (BT-120) ou un code VATEX (BT-121).",
    ),
    "BR-AE-10": (
        "vat_exemptions",
        "L'autoliquidation (catégorie AE) exige un motif (BT-120) ou un code VATEX (BT-121).",
    ),
    "BR-IC-10": (
        "vat_exemptions",
        "La livraison intracommunautaire (K) exige un motif (BT-120) ou un code VATEX (BT-121).",
    ),
    "BR-G-10": (
        "vat_exemptions",
        "L'export (catégorie G) exige un motif (BT-120) ou un code VATEX (BT-121).",
    ),
    "BR-O-10": (
        "vat_exemptions",
        "Une opération hors champ (O) exige un motif (BT-120) ou un code VATEX (BT-121).",
    ),
    "BR-S-02": (
        "seller.vat_id",
        "Une facture avec TVA au taux normal exige le n° de TVA du fournisseur (BT-31).",
    ),
    "BR-E-02": ("seller.vat_id", "Une facture exonérée exige le n° de TVA du fournisseur (BT-31)."),
    "BR-O-02": ("seller.vat_id", "Une opération hors champ ne doit pas porter de n° de TVA du fournisseur."),
    "CII-SR-470": (
        "payment_means.iban",
        "Le moyen de paiement doit indiquer le compte du bénéficiaire (BT-84, IBAN).",
    ),
    "FX-SCH-A-000164": (
        "buyer.other_ids",
        "Un seul identifiant global (GlobalID) par partie hors profil EXTENDED.",
    ),
}

LAYER_OF_PREFIX = (("FX-", "facturx"), ("PEPPOL-", "en16931"))


def describe(rule_id: str, english: str) -> tuple[str, str]:
    """The model field path and the French message for a schematron rule."""
    if rule_id in RULES:
        return RULES[rule_id]
    if rule_id.startswith("BR-DEC"):
        return "", "Un montant a trop de décimales : 2 au plus (règle " + rule_id + ")."
    if rule_id.startswith("FX-"):
        return "", f"Règle Factur-X {rule_id} non respectée (voir le détail) : corrigez la valeur indiquée."
    return "", f"Règle EN 16931 {rule_id} non respectée (voir le détail) : corrigez la valeur indiquée."

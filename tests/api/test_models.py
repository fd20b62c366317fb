import datetime as dt
from decimal import Decimal

import pytest
from pydantic import ValidationError

from chorus_connect.api.models import FluxStatus, InvoiceStatus, PaymentMode, parse_chorus_date
from chorus_connect.api.models.factures import (
    DepositFluxRequest,
    SearchRecipientInvoicesResponse,
    SearchSupplierInvoicesRequest,
    SearchSupplierInvoicesResponse,
    SubmitInvoiceRequest,
)
from chorus_connect.api.models.structures import ConsultStructureResponse

PARIS_WINTER = dt.timezone(dt.timedelta(hours=1))


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2024-03-05", dt.date(2024, 3, 5)),
        ("2016-10-25 17:42", dt.datetime(2016, 10, 25, 17, 42)),
        ("2018-02-16T15:10:25.536+01:00", dt.datetime(2018, 2, 16, 15, 10, 25, 536000, tzinfo=PARIS_WINTER)),
        ("2024-01-31T23:59:59", dt.datetime(2024, 1, 31, 23, 59, 59)),
        ("  2024-03-05 ", dt.date(2024, 3, 5)),
    ],
)
def test_dates_are_read_from_each_shape_the_api_uses(text, expected):
    parsed = parse_chorus_date(text)
    assert parsed == expected
    assert type(parsed) is type(expected)


@pytest.mark.parametrize("empty", [None, "", "   "])
def test_empty_dates_are_none(empty):
    assert parse_chorus_date(empty) is None


def test_an_unreadable_date_names_the_expected_shapes():
    with pytest.raises(ValueError, match=r"expected YYYY-MM-DD, YYYY-MM-DD HH:MM or ISO-8601"):
        parse_chorus_date("05/03/2024")


def test_dates_go_back_to_the_wire_in_their_own_shape():
    response = SearchSupplierInvoicesResponse.model_validate(
        {
            "listeFactures": [
                {
                    "dateFacture": "2024-03-05",
                    "dateDepot": "2024-03-06 10:11",
                    "dateHeureEtatCourant": "2018-02-16T15:10:25.536+01:00",
                }
            ]
        }
    )
    wire = response.invoices[0].to_wire()
    assert wire["dateFacture"] == "2024-03-05"
    assert wire["dateDepot"] == "2024-03-06 10:11"
    assert wire["dateHeureEtatCourant"] == "2018-02-16T15:10:25.536+01:00"


def test_unknown_enum_values_are_kept_as_raw_strings():
    response = SearchSupplierInvoicesResponse.model_validate_json(
        '{"listeFactures": [{"statut": "STATUT_DE_2030", "modeDepot": "UPLOAD_API"}]}'
    )
    status = response.invoices[0].status
    assert status == "STATUT_DE_2030"
    assert isinstance(status, InvoiceStatus)
    assert not status.is_known
    assert response.invoices[0].deposit_mode.is_known
    assert response.invoices[0].to_wire()["statut"] == "STATUT_DE_2030"


def test_known_enum_values_are_the_members_themselves():
    assert InvoiceStatus("MISE_EN_PAIEMENT") is InvoiceStatus.MISE_EN_PAIEMENT
    assert PaymentMode("VIREMENT") is PaymentMode.CREDIT_TRANSFER
    assert FluxStatus("IN_INTEGRE").is_final
    assert not FluxStatus("IN_RECU").is_final


def test_unknown_fields_from_the_server_are_kept():
    response = SearchSupplierInvoicesResponse.model_validate(
        {"codeRetour": 0, "libelle": "TRA_MSG_00.000", "nouveauChamp": {"a": 1}, "listeFactures": []}
    )
    assert response.model_extra == {"nouveauChamp": {"a": 1}}
    assert response.to_wire()["nouveauChamp"] == {"a": 1}


def test_requests_accept_pythonic_or_wire_names_and_send_wire_names_only():
    by_python = SearchSupplierInvoicesRequest(flux_number="CPP1", statuses=["DEPOSEE"])
    by_wire = SearchSupplierInvoicesRequest.model_validate(
        {"numeroFluxDepot": "CPP1", "statutCourant": ["DEPOSEE"]}
    )
    assert (
        by_python.to_wire() == by_wire.to_wire() == {"numeroFluxDepot": "CPP1", "statutCourant": ["DEPOSEE"]}
    )


def test_paging_is_sent_under_the_operations_own_name():
    wire = SearchSupplierInvoicesRequest().for_page(3, 50).to_wire()
    assert wire == {"rechercheFactureParFournisseur": {"pageResultatDemandee": 3, "nbResultatsParPage": 50}}


def test_amounts_are_sent_as_json_numbers_and_read_as_decimals():
    request = SubmitInvoiceRequest(
        totals={"total_ht": "100.10", "total_vat": "20", "amount_due": Decimal("120.1")}
    )
    assert request.to_wire()["montantTotal"] == {
        "montantHtTotal": 100.1,
        "montantTVA": 20,
        "montantAPayer": 120.1,
    }
    response = SearchSupplierInvoicesResponse.model_validate_json(
        '{"listeFactures": [{"montantHT": 1234.56}]}'
    )
    assert response.invoices[0].amount_ht == Decimal("1234.56")


def test_a_deposit_built_from_bytes_is_base64_and_identifies_its_file():
    request = DepositFluxRequest.from_bytes(b"<Invoice/>", file_name="f.xml", syntax="IN_DP_E1_UBL_INVOICE")
    assert request.to_wire()["fichierFlux"] == "PEludm9pY2UvPg=="
    identity = request.identifying_fields()
    assert identity["file_name"] == "f.xml"
    assert identity["file_size"] == 10
    assert len(identity["file_sha256"]) == 64


def test_a_missing_required_field_is_a_validation_error_naming_it():
    with pytest.raises(ValidationError, match="nomFichier"):
        DepositFluxRequest.model_validate({"fichierFlux": "AA==", "syntaxeFlux": "IN_DP_E1_CII"})


def test_paging_information_is_found_nested_or_at_top_level():
    nested = SearchSupplierInvoicesResponse.model_validate({"parametresRetour": {"pages": 4, "total": 31}})
    top = SearchRecipientInvoicesResponse.model_validate({"pageCourante": 2, "pages": 5, "total": 44})
    assert (nested.page_info.pages, nested.page_info.total) == (4, 31)
    assert (top.page_info.current_page, top.page_info.pages, top.page_info.total) == (2, 5, 44)
    assert SearchSupplierInvoicesResponse.model_validate({}).page_info is None


def test_structure_settings_read_the_mandatory_data_flags():
    response = ConsultStructureResponse.model_validate(
        {
            "parametres": {"numeroEJDoitEtreRenseigne": True, "codeServiceDoitEtreRenseigne": False},
            "informationGenerales": {"dateExpirationMotPasseCompteTech": "2027-01-01T00:00:00.000+01:00"},
        }
    )
    assert response.settings.engagement_required is True
    assert response.settings.service_required is False
    assert response.general_info.technical_password_expires_at.year == 2027

"""The REST API, route by route, against the real simulator over loopback HTTP and a real SQLite store."""

from __future__ import annotations

import base64
import json
import uuid

import pytest
from web_helpers import EXAMPLES, bearer

from chorus_connect.invoice import Invoice, OutputFormat, write_invoice
from chorus_connect.store import InvoiceStatus

PROBLEM = "application/problem+json"


def new_number() -> str:
    return f"T{uuid.uuid4().hex[:12].upper()}"


def create(api, world, number: str | None = None, **options) -> dict:
    data = world.invoice_data(number or new_number(), **options)
    answer = api.post(f"/api/v1/structures/{world.a}/invoices", json=data, headers=bearer(world.key_a))
    assert answer.status_code == 201, answer.text
    return answer.json()["invoices"][0]


def deposited(api, world, scenario: str) -> dict:
    number = new_number()
    world.simulator.admin.set_scenario(number, scenario)
    invoice = create(api, world, number)
    answer = api.post(f"/api/v1/invoices/{invoice['id']}/deposit", headers=bearer(world.key_a))
    assert answer.status_code == 200, answer.text
    return invoice


def follow_until(api, world, invoice_id: int, chorus_status: str) -> dict:
    for _ in range(20):
        world.simulator.admin.advance_clock(days=1)
        answer = api.post(f"/api/v1/structures/{world.a}/sync", headers=bearer(world.key_a))
        assert answer.status_code == 200, answer.text
        invoice = api.get(f"/api/v1/invoices/{invoice_id}", headers=bearer(world.key_a)).json()
        if invoice["chorus_status"] == chorus_status:
            return invoice
    raise AssertionError(f"invoice {invoice_id} never reached {chorus_status}: {invoice['chorus_status']}")


# --- structures -----------------------------------------------------------------------------------------


def test_structures_are_those_of_the_key(api, world):
    listed = api.get("/api/v1/structures", headers=bearer(world.key_a)).json()
    assert {s["id"] for s in listed} == {world.a, world.p}
    one = api.get(f"/api/v1/structures/{world.a}", headers=bearer(world.key_a)).json()
    assert one["siret"] == world.supplier_siret
    assert one["technical_password_warning"] is False and one["technical_password_days_left"] > 400
    text = json.dumps(one)
    assert "password" not in {k for k in one if one[k] and "secret" in k}
    assert world.simulator.dataset.main_application().client_secret not in text


def test_connection_check_reports_each_step(api, world):
    answer = api.post(f"/api/v1/structures/{world.a}/connection-check", headers=bearer(world.key_a))
    assert answer.status_code == 200, answer.text
    report = answer.json()
    assert report["ok"] is True
    names = [step["name"] for step in report["steps"]]
    assert names[:3] == ["PISTE OAuth2 token", "Chorus Pro health check", "Technical account"]
    assert "Structure" in names and all(s["status"] in ("passed", "warning") for s in report["steps"])


def test_connection_check_names_the_failing_step_and_its_fix(api, world, store):
    with store.transaction() as tx:
        tx.structures.set_technical_password(world.a, "not the password")
    report = api.post(f"/api/v1/structures/{world.a}/connection-check", headers=bearer(world.key_a)).json()
    assert report["ok"] is False
    failed = [s for s in report["steps"] if s["status"] == "failed"]
    assert failed and "technical" in (failed[0]["detail"] + failed[0]["fix"]).lower()
    assert "not the password" not in json.dumps(report)


def test_webhook_settings_are_write_only_and_validated(api, world):
    url = f"/api/v1/structures/{world.a}/webhook"
    assert api.get(url, headers=bearer(world.key_a)).json() == {
        "url": None,
        "secret_set": False,
        "notification_emails": [],
    }
    body = {
        "url": "https://erp.example.fr/hook",
        "secret": "s3cr3t-s3cr3t",
        "notification_emails": ["a@b.fr"],
    }
    answer = api.put(url, json=body, headers=bearer(world.key_a))
    assert answer.status_code == 200
    assert answer.json() == {"url": body["url"], "secret_set": True, "notification_emails": ["a@b.fr"]}
    assert "s3cr3t" not in api.get(url, headers=bearer(world.key_a)).text
    bad = api.put(url, json={"url": "http://erp.example.fr/hook"}, headers=bearer(world.key_a))
    assert bad.status_code == 422 and bad.headers["content-type"] == PROBLEM
    assert bad.json()["errors"][0]["field"] == "structure.webhook_url" and bad.json()["errors"][0]["fix"]


# --- invoices -------------------------------------------------------------------------------------------


def test_create_from_json_checks_at_once(api, world):
    invoice = create(api, world)
    assert invoice["status"] == InvoiceStatus.CHECKED and invoice["errors"] == 0
    assert invoice["category"] == "a-deposer" and invoice["amount_tax_inclusive"] == "1422.00"


def test_missing_engagement_number_is_a_finding_with_its_fix(api, world):
    invoice = create(api, world, buyer_siret=world.engagement_buyer_siret)
    assert invoice["status"] == InvoiceStatus.CHECK_FAILED
    detail = api.get(f"/api/v1/invoices/{invoice['id']}", headers=bearer(world.key_a)).json()
    finding = next(f for f in detail["findings"] if f["rule_id"] == "CPRO-DEST-06")
    assert finding["path"] == "engagement_number" and finding["severity"] == "error"
    assert "queue" not in detail["allowed_actions"]


def test_create_from_files_of_every_format(api, world):
    data = world.invoice_data(new_number())
    invoice = Invoice.model_validate(data)
    files = [("files", ("one.json", json.dumps(data).encode(), "application/json"))]
    for fmt, name in (
        (OutputFormat.FACTURX, "two.pdf"),
        (OutputFormat.CII, "three.xml"),
        (OutputFormat.UBL, "four.xml"),
    ):
        copy = invoice.model_copy(update={"number": new_number()})
        files.append(("files", (name, write_invoice(copy, fmt).data, "application/octet-stream")))
    csv = (EXAMPLES / "services.csv").read_text(encoding="utf-8")
    files.append(("files", ("five.csv", csv.encode(), "text/csv")))
    files.append(("files", ("broken.json", b"{not json", "application/json")))
    answer = api.post(
        f"/api/v1/structures/{world.a}/invoices/files", files=files, headers=bearer(world.key_a)
    )
    assert answer.status_code == 201, answer.text
    body = answer.json()
    assert len(body["invoices"]) == 4
    assert {r["file_name"] for r in body["rejected_files"]} == {"five.csv", "broken.json"}
    assert all(r["message"] and r["fix"] for r in body["rejected_files"])  # CSV: another seller SIRET
    only_bad = api.post(
        f"/api/v1/structures/{world.a}/invoices/files",
        files=[("files", ("x.json", b"[]", "application/json"))],
        headers=bearer(world.key_a),
    )
    assert only_bad.status_code == 422 and only_bad.json()["errors"][0]["field"] == "files[x.json]"


def test_control_characters_are_refused_naming_every_field_that_holds_one(api, world):
    data = world.invoice_data(new_number())
    data["lines"][0]["name"] = "Papier\x07A4"
    data["buyer"]["name"] += "\x1f"
    answer = api.post(f"/api/v1/structures/{world.a}/invoices", json=data, headers=bearer(world.key_a))
    assert answer.status_code == 422 and answer.headers["content-type"] == PROBLEM
    assert [e["field"] for e in answer.json()["errors"]] == ["buyer.name", "lines[0].name"]
    assert answer.json()["fix"]


def test_invalid_invoice_json_names_the_field(api, world):
    data = world.invoice_data(new_number())
    data["lines"][0]["quantity"] = "douze"
    answer = api.post(f"/api/v1/structures/{world.a}/invoices", json=data, headers=bearer(world.key_a))
    assert answer.status_code == 422 and answer.headers["content-type"] == PROBLEM
    problem = answer.json()
    assert problem["type"] == "/api/v1/problems/invalid-invoice"
    assert any(e["field"] == "lines[0].quantity" for e in problem["errors"])


def test_list_filters_and_paging(api, world):
    first = create(api, world)
    second = create(api, world, buyer_siret=world.engagement_buyer_siret)
    headers = bearer(world.key_a)
    everything = api.get("/api/v1/invoices", headers=headers).json()
    assert everything["total"] == 2
    failed = api.get("/api/v1/invoices", params={"category": "en-erreur"}, headers=headers).json()
    assert [i["id"] for i in failed["items"]] == [second["id"]]
    by_status = api.get("/api/v1/invoices", params={"status": "checked"}, headers=headers).json()
    assert [i["id"] for i in by_status["items"]] == [first["id"]]
    recipient = api.get("/api/v1/invoices", params={"recipient": world.buyer_siret}, headers=headers).json()
    assert [i["id"] for i in recipient["items"]] == [first["id"]]
    paged = api.get("/api/v1/invoices", params={"limit": 1, "offset": 1}, headers=headers).json()
    assert len(paged["items"]) == 1 and paged["total"] == 2
    none = api.get("/api/v1/invoices", params={"amount_min": "5000"}, headers=headers).json()
    assert none["total"] == 0
    dated = api.get("/api/v1/invoices", params={"issued_from": "2026-11-21"}, headers=headers).json()
    assert dated["total"] == 0
    bad = api.get("/api/v1/invoices", params={"category": "nope"}, headers=headers)
    assert bad.status_code == 422 and bad.json()["errors"][0]["field"] == "query.category"


def test_pdf_preview(api, world):
    invoice = create(api, world)
    answer = api.get(f"/api/v1/invoices/{invoice['id']}/pdf", headers=bearer(world.key_a))
    assert answer.status_code == 200 and answer.content.startswith(b"%PDF")
    assert answer.headers["x-frame-options"] == "SAMEORIGIN"


def test_edit_chorus_block_until_deposit(api, world):
    invoice = create(api, world, buyer_siret=world.engagement_buyer_siret)
    assert invoice["status"] == InvoiceStatus.CHECK_FAILED
    url = f"/api/v1/invoices/{invoice['id']}"
    edited = api.patch(
        url, json={"buyer_siret": world.buyer_siret, "payment_mode": "VIREMENT"}, headers=bearer(world.key_a)
    )
    assert edited.status_code == 200, edited.text
    body = edited.json()
    assert body["status"] == InvoiceStatus.CHECKED and body["recipient_siret"] == world.buyer_siret
    assert body["document"]["payment_means"]["iban"]  # kept
    api.post(f"{url}/deposit", headers=bearer(world.key_a))
    refused = api.patch(url, json={"service_code": "X"}, headers=bearer(world.key_a))
    assert refused.status_code == 409 and refused.json()["fix"]


def test_check_again(api, world):
    invoice = create(api, world)
    answer = api.post(f"/api/v1/invoices/{invoice['id']}/check", headers=bearer(world.key_a))
    assert answer.status_code == 200 and answer.json()["status"] == InvoiceStatus.CHECKED
    events = [e["comment"] for e in answer.json()["history"]]
    assert len(events) >= 3  # imported, checked, checked again


def test_deposit_and_follow_to_payment_with_history(api, world):
    invoice = deposited(api, world, "PAYE")
    detail = api.get(f"/api/v1/invoices/{invoice['id']}", headers=bearer(world.key_a)).json()
    assert detail["status"] == InvoiceStatus.DEPOSITED and detail["flux_number"]
    paid = follow_until(api, world, invoice["id"], "MISE_EN_PAIEMENT")
    assert paid["category"] == "payees" and paid["is_terminal"]
    detail = api.get(f"/api/v1/invoices/{invoice['id']}", headers=bearer(world.key_a)).json()
    assert [e["chorus_status"] for e in detail["history"] if e["chorus_status"]][-1] == "MISE_EN_PAIEMENT"


def test_deposit_refused_for_an_invoice_with_errors(api, world):
    invoice = create(api, world, buyer_siret=world.engagement_buyer_siret)
    answer = api.post(f"/api/v1/invoices/{invoice['id']}/deposit", headers=bearer(world.key_a))
    assert answer.status_code == 409 and answer.headers["content-type"] == PROBLEM
    assert "check_failed" in answer.json()["detail"] and answer.json()["fix"]


def test_batch_deposit_gives_one_result_per_invoice(api, world, store):
    good = [create(api, world)["id"] for _ in range(3)]
    bad = create(api, world, buyer_siret=world.engagement_buyer_siret)["id"]
    with store.transaction() as tx:
        foreign = tx.invoices.add(world.b, world.invoice_data(new_number()) | {"seller": {"name": "B"}}).id
    answer = api.post(
        f"/api/v1/structures/{world.a}/deposits",
        json={"invoice_ids": [*good, bad, foreign]},
        headers=bearer(world.key_a),
    )
    assert answer.status_code == 200, answer.text
    results = {r["invoice_id"]: r for r in answer.json()["results"]}
    assert all(results[i]["ok"] and results[i]["status"] == "deposited" for i in good)
    assert not results[bad]["ok"] and not results[foreign]["ok"]
    assert results[foreign]["message"] == "No such invoice in this structure."
    stats = world.simulator.admin.stats()
    assert stats  # the simulator counted the deposits (exactly-once is the engine's, tested there)


def test_complete_a_suspended_invoice(api, world):
    invoice = deposited(api, world, "SUSPENDUE")
    follow_until(api, world, invoice["id"], "SUSPENDUE")
    body = {
        "comment": "Bon de commande joint.",
        "attachments": [
            {"file_name": "bon.pdf", "content_base64": base64.b64encode(b"%PDF-1.4 bon").decode()}
        ],
    }
    answer = api.post(f"/api/v1/invoices/{invoice['id']}/complete", json=body, headers=bearer(world.key_a))
    assert answer.status_code == 200, answer.text
    assert answer.json()["chorus_status"] == "COMPLETEE"
    again = api.post(f"/api/v1/invoices/{invoice['id']}/complete", json=body, headers=bearer(world.key_a))
    assert again.status_code == 409  # no longer suspended
    bad = api.post(
        f"/api/v1/invoices/{invoice['id']}/complete",
        json={"comment": "x", "attachments": [{"file_name": "a.pdf", "content_base64": "***"}]},
        headers=bearer(world.key_a),
    )
    assert bad.status_code == 422 and bad.json()["errors"][0]["field"] == "attachments[0].content_base64"


def test_recycle_an_invoice_to_recycle(api, world):
    invoice = deposited(api, world, "A_RECYCLER")
    follow_until(api, world, invoice["id"], "A_RECYCLER")
    other = world.simulator.dataset.recipients()[1]
    service = next(s.code for s in other.active_services() if s.code != "FACTURES_PUBLIQUES")
    answer = api.post(
        f"/api/v1/invoices/{invoice['id']}/recycle",
        json={"recipient_siret": other.siret, "service_code": service},
        headers=bearer(world.key_a),
    )
    assert answer.status_code == 200, answer.text
    assert answer.json()["chorus_status"] != "A_RECYCLER"
    refused = api.post(
        f"/api/v1/invoices/{invoice['id']}/recycle",
        json={"recipient_siret": "123"},
        headers=bearer(world.key_a),
    )
    assert refused.status_code in (409, 422) and refused.json()["fix"]


def test_resend_a_rejected_invoice_under_a_new_number(api, world):
    invoice = deposited(api, world, "REJETEE")
    follow_until(api, world, invoice["id"], "REJETEE")
    number = new_number()
    answer = api.post(
        f"/api/v1/invoices/{invoice['id']}/resend", json={"new_number": number}, headers=bearer(world.key_a)
    )
    assert answer.status_code == 201, answer.text
    created = answer.json()
    assert created["id"] != invoice["id"] and created["number"] == number
    assert created["status"] == InvoiceStatus.CHECKED


def test_read_only_key_reads_but_cannot_act(api, world):
    invoice = create(api, world)
    headers = bearer(world.key_a_read_only)
    assert api.get(f"/api/v1/invoices/{invoice['id']}", headers=headers).status_code == 200
    refused = api.post(f"/api/v1/invoices/{invoice['id']}/deposit", headers=headers)
    assert refused.status_code == 403 and refused.headers["content-type"] == PROBLEM


# --- received invoices ----------------------------------------------------------------------------------


def test_public_buyer_receives_and_rejects_with_motif(api, world):
    invoice = deposited(api, world, "SANS_SUITE")
    world.simulator.admin.advance_clock(60)
    api.post(f"/api/v1/structures/{world.a}/sync", headers=bearer(world.key_a))
    headers = bearer(world.key_a)
    synced = api.post(f"/api/v1/structures/{world.p}/received-invoices/sync", headers=headers)
    assert synced.status_code == 200 and synced.json()["seen"] >= 1, synced.text
    received = api.get(f"/api/v1/structures/{world.p}/received-invoices", headers=headers).json()
    mine = next(r for r in received if r["number"] == invoice["number"])
    detail = api.get(f"/api/v1/received-invoices/{mine['id']}", headers=headers).json()
    assert detail["history"]
    pdf = api.get(f"/api/v1/received-invoices/{mine['id']}/file", headers=headers)
    assert pdf.status_code == 200 and len(pdf.content) > 100
    no_motif = api.post(
        f"/api/v1/received-invoices/{mine['id']}/decision", json={"decision": "reject"}, headers=headers
    )
    assert no_motif.status_code == 422 and no_motif.json()["errors"][0]["field"] == "motif"
    rejected = api.post(
        f"/api/v1/received-invoices/{mine['id']}/decision",
        json={"decision": "reject", "motif": "Prestation non commandée."},
        headers=headers,
    )
    assert rejected.status_code == 200, rejected.text
    assert rejected.json()["chorus_status"] == "REJETEE"
    final = api.post(
        f"/api/v1/received-invoices/{mine['id']}/decision", json={"decision": "approve"}, headers=headers
    )
    assert final.status_code == 409 and final.json()["fix"]


# --- problems -------------------------------------------------------------------------------------------


def test_problem_catalogue_is_public(api):
    listed = api.get("/api/v1/problems").json()
    assert {k: v for k, v in next(p for p in listed if p["status"] == 404).items() if k != "description"} == {
        "type": "/api/v1/problems/not-found",
        "title": "Not found",
        "status": 404,
    }
    assert api.get("/api/v1/problems/invalid-request").json()["status"] == 422
    assert api.get("/api/v1/problems/nope").status_code == 404


@pytest.mark.parametrize(
    ("headers", "status", "kind"),
    [
        ({}, 401, "unauthenticated"),
        ({"Authorization": "Bearer cck_000000000000_nope"}, 401, "unauthenticated"),
        ({"X-API-Key": "garbage"}, 401, "unauthenticated"),
    ],
)
def test_authentication_problems(api, headers, status, kind):
    answer = api.get("/api/v1/invoices", headers=headers)
    assert answer.status_code == status and answer.headers["content-type"] == PROBLEM
    body = answer.json()
    assert (
        body["type"] == f"/api/v1/problems/{kind}" and body["fix"] and body["instance"] == "/api/v1/invoices"
    )
    assert answer.headers["www-authenticate"].startswith("Bearer")


def test_revoked_key_is_refused(api, world, store):
    with store.transaction() as tx:
        key = next(k for k in tx.accounts.list_api_keys() if k.name == "ERP A")
        tx.accounts.revoke_api_key(key.id)
    assert api.get("/api/v1/structures", headers=bearer(world.key_a)).status_code == 401


def test_malformed_body_names_the_field_and_the_fix(api, world):
    invoice = create(api, world)
    answer = api.post(
        f"/api/v1/invoices/{invoice['id']}/resend", json={"new_number": ""}, headers=bearer(world.key_a)
    )
    assert answer.status_code == 422 and answer.headers["content-type"] == PROBLEM
    error = answer.json()["errors"][0]
    assert error == {"field": "new_number", "message": error["message"], "fix": "give a non-empty value"}
    broken = api.post(
        f"/api/v1/structures/{world.a}/invoices",
        content=b"{oops",
        headers={**bearer(world.key_a), "Content-Type": "application/json"},
    )
    assert broken.status_code == 422 and broken.json()["errors"][0]["fix"] == "send a valid JSON document"


def test_unknown_route_and_method_are_problems(api, world):
    assert api.get("/api/v1/nothing", headers=bearer(world.key_a)).headers["content-type"] == PROBLEM
    answer = api.delete("/api/v1/invoices/1", headers=bearer(world.key_a))
    assert answer.status_code in (404, 405) and answer.headers["content-type"] == PROBLEM

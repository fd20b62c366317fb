"""The French pages, through a signed-in client: settings, uploads and their check report, the invoice
page and its actions, the dashboard, the list's filters, received invoices, users and API keys."""

from __future__ import annotations

import datetime as dt
import json
import re
import uuid

from web_helpers import bearer

from chorus_connect.store import InvoiceStatus


def number() -> str:
    return f"P{uuid.uuid4().hex[:12].upper()}"


def upload(browser, world, *datas, extra=()):
    files = [
        ("fichiers", (f"f{i}.json", json.dumps(d).encode(), "application/json")) for i, d in enumerate(datas)
    ]
    return browser.post(f"/structures/{world.a}/factures/import", files=[*files, *extra])


def ids_in(text: str) -> list[int]:
    return [int(i) for i in re.findall(r'<tr data-invoice-id="(\d+)"', text)]


# --- settings -------------------------------------------------------------------------------------------


def test_new_structure_then_settings_from_chorus_lists(world, as_user, simulator, store):
    admin = as_user(world.admin)
    dataset = simulator.dataset
    supplier = dataset.suppliers()[2]
    account, application = dataset.supplier_account(supplier.structure_id), dataset.main_application()
    form = {
        "name": "Transports",
        "role": "supplier",
        "environment": "local",
        "api_url": simulator.base_url,
        "client_id": application.client_id,
        "client_secret": application.client_secret,
        "technical_login": account.login,
        "technical_password": account.password,
        "technical_password_confirm": account.password + "x",
        "siret": supplier.siret,
    }
    mismatch = admin.post("/structures/nouvelle", form)
    assert mismatch.status_code == 422 and "ne sont pas identiques" in mismatch.text
    form["technical_password_confirm"] = account.password
    form["piste_application_id"] = "1"  # the PISTE application A, B and P already share
    created = admin.post("/structures/nouvelle", form)
    assert created.status_code == 200 and "Structure créée" in created.text
    structure_id = int(re.search(r"/structures/(\d+)/reglages", str(created.url)).group(1))
    choices = admin.get(f"/structures/{structure_id}/reglages/listes").json()
    assert [c["value"] for c in choices["sirets"]] == [supplier.siret] and not choices["errors"]
    service = choices["services"][0]
    bank = choices["bank_accounts"][0]
    saved = admin.post(
        f"/structures/{structure_id}/reglages",
        {
            "name": "Transports Moreau",
            "siret": supplier.siret,
            "chorus_structure_id": str(choices["sirets"][0]["chorus_id"]),
            "default_service_code": service["value"],
            "engagement_management": "oui",
            "default_payment_mode": "VIREMENT",
            "bank_account_id": bank["value"],
            "bank_account_label": bank["label"],
            "referent_email": "gp@transports.fr",
            "is_active": "oui",
        },
    )
    assert saved.status_code == 200 and "Réglages enregistrés." in saved.text
    with store.read() as tx:
        structure = tx.structures.get(structure_id)
        assert (structure.name, structure.default_service_code, structure.engagement_management) == (
            "Transports Moreau",
            service["value"],
            True,
        )
        assert (
            structure.bank_account_id == int(bank["value"]) and structure.bank_account_label == bank["label"]
        )
        assert structure.chorus_structure_id == supplier.structure_id
    bad = admin.post(
        f"/structures/{structure_id}/reglages",
        {
            "name": "Transports Moreau",
            "siret": "123",
            "referent_email": "pas une adresse",
            "is_active": "oui",
        },
    )
    assert bad.status_code == 422
    assert "il faut 14 chiffres" in bad.text and "pas une adresse e-mail" in bad.text


def test_connection_test_shows_each_step_with_the_fix(world, as_user, store):
    admin = as_user(world.admin)
    page = admin.post(f"/structures/{world.a}/tester").text
    steps = re.findall(r'data-step="([^"]+)" data-status="([^"]+)"', page)
    assert ("PISTE OAuth2 token", "passed") in steps and ("Structure", "passed") in steps
    assert "Connexion réussie." in page
    with store.transaction() as tx:
        tx.piste_applications.set_client_secret(
            tx.structures.get(world.a).piste_application_id, "wrong-secret-xyz"
        )
    failed = admin.post(f"/structures/{world.a}/tester").text
    assert ("PISTE OAuth2 token", "failed") in re.findall(
        r'data-step="([^"]+)" data-status="([^"]+)"', failed
    )
    assert (
        "Recopiez l&#39;identifiant client et le secret client" in failed and "wrong-secret-xyz" not in failed
    )


def test_credentials_are_write_only_with_confirmation(world, as_user, store):
    admin = as_user(world.admin)
    with store.read() as tx:
        before = tx.structures.connection_settings(world.a)
    kept = admin.post(
        f"/structures/{world.a}/identifiants",
        {"client_id": before.client_id, "technical_login": before.technical_login},
    )
    assert kept.status_code == 200
    with store.read() as tx:
        after = tx.structures.connection_settings(world.a)
    assert after.technical_password.get_secret_value() == before.technical_password.get_secret_value()
    mismatch = admin.post(
        f"/structures/{world.a}/identifiants",
        {"technical_password": "one", "technical_password_confirm": "two"},
    )
    assert mismatch.status_code == 422 and "ne sont pas identiques" in mismatch.text
    admin.post(
        f"/structures/{world.a}/identifiants",
        {"technical_password": "new-password-1", "technical_password_confirm": "new-password-1"},
    )
    with store.read() as tx:
        assert (
            tx.structures.connection_settings(world.a).technical_password.get_secret_value()
            == "new-password-1"
        )


def test_password_expiry_banner_from_30_days_before(world, as_user, store):
    browser = as_user(world.accountant_a)
    assert 'data-banner="password-expiry"' not in browser.get("/").text
    today = dt.datetime.now(dt.UTC).date()
    with store.transaction() as tx:
        tx.structures.record_password_expiry(world.a, today + dt.timedelta(days=31))
    assert 'data-banner="password-expiry"' not in browser.get("/").text
    with store.transaction() as tx:
        tx.structures.record_password_expiry(world.a, today + dt.timedelta(days=30))
    page = browser.get("/").text
    assert 'data-banner="password-expiry"' in page and "dans 30 jours" in page
    assert 'data-banner="password-expiry"' not in as_user(world.accountant_b).get("/").text  # not B's concern


def test_notifications_settings(world, as_user, store):
    admin = as_user(world.admin)
    refused = admin.post(f"/structures/{world.a}/notifications", {"webhook_url": "http://erp.example.fr/h"})
    assert refused.status_code == 422 and "doit commencer par https://" in refused.text
    admin.post(
        f"/structures/{world.a}/notifications",
        {
            "webhook_url": "https://erp.example.fr/h",
            "webhook_secret": "k" * 32,
            "notification_emails": "a@b.fr, c@d.fr",
        },
    )
    with store.read() as tx:
        structure = tx.structures.get(world.a)
        assert structure.webhook_url == "https://erp.example.fr/h"
        assert structure.notification_emails == ["a@b.fr", "c@d.fr"]
    assert "k" * 32 not in admin.get(f"/structures/{world.a}/reglages").text


# --- invoices -------------------------------------------------------------------------------------------


def test_upload_shows_the_check_report_before_any_deposit(world, as_user):
    browser = as_user(world.accountant_a)
    good = world.invoice_data(number())
    missing_engagement = world.invoice_data(number(), buyer_siret=world.engagement_buyer_siret)
    report = upload(
        browser, world, good, missing_engagement, extra=[("fichiers", ("x.json", b"{", "application/json"))]
    )
    assert report.status_code == 200
    assert "Prête à déposer" in report.text and "CPRO-DEST-06" in report.text
    assert "x.json" in report.text  # the unreadable file is reported, the others imported
    assert len(re.findall(r'<tr data-invoice-id="\d+"', report.text)) == 2


def test_an_uploaded_file_is_named_as_the_user_named_it(world, as_user, store):
    browser = as_user(world.accountant_a)
    invoice_id = ids_in(upload(browser, world, world.invoice_data(number())).text)[0]
    assert "Imported from f0.json." in browser.get(f"/factures/{invoice_id}").text
    with store.read() as tx:
        record = tx.invoices.get(invoice_id)
        assert tx.files.get(record.source_file_id).file_name == "f0.json"
        comments = " ".join(event.comment or "" for event in tx.invoices.history(invoice_id))
    assert "chorus-upload" not in comments and "/tmp" not in comments


def test_invoice_page_block_findings_timeline_and_preview(world, as_user):
    browser = as_user(world.accountant_a)
    data = world.invoice_data(number(), buyer_siret=world.engagement_buyer_siret)
    invoice_id = ids_in(upload(browser, world, data).text)[0]
    page = browser.get(f"/factures/{invoice_id}").text
    assert (
        'name="numero_engagement"' in page
        and "disabled" not in page.split('id="chorus-block"')[1].split("</form>")[0]
    )
    assert 'data-rule="CPRO-DEST-06"' in page and 'class="timeline"' in page
    assert f'src="/factures/{invoice_id}/pdf"' in page
    saved = browser.post(
        f"/factures/{invoice_id}/bloc-chorus",
        {
            "destinataire_siret": world.engagement_buyer_siret,
            "code_service": "",
            "numero_marche": "M-2026-7",
            "numero_engagement": "EJ-NOT-KNOWN",
            "mode_reglement": "VIREMENT",
            "iban": "FR7630006000011234567890189",
        },
    )
    assert saved.status_code == 200 and "recontrôlée" in saved.text
    assert "M-2026-7" in saved.text and "Modifié" not in saved.text


def test_deposit_from_the_invoice_page_then_the_block_is_frozen(world, as_user):
    browser = as_user(world.accountant_a)
    invoice_id = ids_in(upload(browser, world, world.invoice_data(number())).text)[0]
    deposited = browser.post(f"/factures/{invoice_id}/deposer")
    assert deposited.status_code == 200 and "Facture déposée sur Chorus Pro" in deposited.text
    block = deposited.text.split('id="chorus-block"')[1].split("</form>")[0]
    assert "disabled" in block and "n'est plus modifiable" in block
    again = browser.post(f"/factures/{invoice_id}/deposer")
    assert "Dépôt impossible" in again.text


def test_batch_deposit_and_live_statuses(world, as_user, simulator):
    browser = as_user(world.accountant_a)
    datas = [world.invoice_data(number()) for _ in range(3)]
    for data in datas:
        simulator.admin.set_scenario(data["number"], "PAYE")
    ids = ids_in(upload(browser, world, *datas).text)
    answer = browser.client.post(
        f"/structures/{world.a}/factures/depot",
        json={"invoice_ids": ids},
        headers={"X-CSRF-Token": browser.csrf},
    )
    results = answer.json()["results"]
    assert [r["ok"] for r in results] == [True] * 3 and {r["category"] for r in results} == {"deposees"}
    simulator.admin.advance_clock(days=15)
    browser.post(f"/structures/{world.a}/synchroniser")
    statuses = browser.get(f"/factures/statuts?ids={','.join(map(str, ids))}").json()
    assert {s["label"] for s in statuses.values()} == {"Mise en paiement"}


def test_dashboard_counts_and_amounts(world, as_user):
    browser = as_user(world.accountant_a)
    upload(browser, world, world.invoice_data(number()), world.invoice_data(number()))
    upload(browser, world, world.invoice_data(number(), buyer_siret=world.engagement_buyer_siret))
    page = browser.get("/").text
    tiles = dict(
        re.findall(
            r'data-category="([^"]+)">\s*<span class="label">[^<]*</span>\s*<span class="count">(\d+)', page
        )
    )
    assert tiles["a-deposer"] == "2" and tiles["en-erreur"] == "1" and tiles["payees"] == "0"
    assert "2\u202f844,00\u00a0€" in page  # 2 × 1 422,00 € with VAT


def test_list_filters_and_paging(world, as_user, app):
    app.state.settings = app.state.settings.__class__(**{**vars_of(app.state.settings), "page_size": 2})
    browser = as_user(world.accountant_a)
    upload(browser, world, *[world.invoice_data(number()) for _ in range(3)])
    upload(browser, world, world.invoice_data(number(), buyer_siret=world.engagement_buyer_siret))
    first = browser.get("/factures").text
    assert len(ids_in(first)) == 2 and "Page 1 / 2" in first
    assert len(ids_in(browser.get("/factures?page=2").text)) == 2
    assert len(ids_in(browser.get("/factures?categorie=en-erreur").text)) == 1
    assert len(ids_in(browser.get(f"/factures?destinataire={world.engagement_buyer_siret}").text)) == 1
    assert ids_in(browser.get("/factures?montant_min=2000").text) == []
    assert len(ids_in(browser.get("/factures?montant_min=1000,50&montant_max=1500").text)) == 2
    assert ids_in(browser.get("/factures?du=21/11/2026").text) == []
    problem = browser.get("/factures?du=hier").text
    assert "Date « du » illisible" in problem


def vars_of(settings) -> dict:
    return {name: getattr(settings, name) for name in settings.__dataclass_fields__}


def test_complete_recycle_and_resend_from_the_invoice_page(world, as_user, simulator, api):
    browser = as_user(world.accountant_a)
    datas = {scenario: world.invoice_data(number()) for scenario in ("SUSPENDUE", "A_RECYCLER", "REJETEE")}
    for scenario, data in datas.items():
        simulator.admin.set_scenario(data["number"], scenario)
    ids = dict(zip(datas, ids_in(upload(browser, world, *datas.values()).text), strict=True))
    browser.client.post(
        f"/structures/{world.a}/factures/depot",
        json={"invoice_ids": list(ids.values())},
        headers={"X-CSRF-Token": browser.csrf},
    )
    for _ in range(10):
        simulator.admin.advance_clock(days=1)
        api.post(f"/api/v1/structures/{world.a}/sync", headers=bearer(world.key_a))
    suspended = browser.get(f"/factures/{ids['SUSPENDUE']}").text
    assert 'id="complete-form"' in suspended
    completed = browser.post(
        f"/factures/{ids['SUSPENDUE']}/completer",
        {"commentaire": "Bon de commande joint."},
        files=[("pieces", ("bon.pdf", b"%PDF-1.4 bon", "application/pdf"))],
    )
    assert completed.status_code == 200 and "Facture complétée" in completed.text
    other = simulator.dataset.recipients()[1]
    service = next(s.code for s in other.active_services() if s.code != "FACTURES_PUBLIQUES")
    recycled = browser.post(
        f"/factures/{ids['A_RECYCLER']}/recycler",
        {"destinataire_siret": other.siret, "code_service": service},
    )
    assert recycled.status_code == 200 and "Facture recyclée" in recycled.text
    resent = browser.post(f"/factures/{ids['REJETEE']}/renvoyer", {"nouveau_numero": number()})
    assert resent.status_code == 200 and "Nouvelle facture créée" in resent.text
    assert str(resent.url).rsplit("/", 1)[1] != str(ids["REJETEE"])


# --- received invoices ----------------------------------------------------------------------------------


def test_public_buyer_reads_and_rejects_a_received_invoice(world, as_user, simulator, api):
    supplier = as_user(world.accountant_a)
    data = world.invoice_data(number())
    simulator.admin.set_scenario(data["number"], "SANS_SUITE")
    invoice_id = ids_in(upload(supplier, world, data).text)[0]
    supplier.post(f"/factures/{invoice_id}/deposer")
    simulator.admin.advance_clock(60)
    listed = supplier.post(f"/structures/{world.p}/recues/synchroniser")
    assert listed.status_code == 200 and "facture(s) lue(s)" in listed.text
    received_id = int(
        re.search(
            rf'data-received-id="(\d+)">\s*<td><a href="/recues/\d+">{data["number"]}', listed.text
        ).group(1)
    )
    page = supplier.get(f"/recues/{received_id}").text
    assert 'id="reject-form"' in page and f'src="/recues/{received_id}/pdf"' in page
    assert supplier.get(f"/recues/{received_id}/pdf").content.startswith(b"%PDF")
    rejected = supplier.post(
        f"/recues/{received_id}/traiter", {"decision": "reject", "motif": "Non commandé."}
    )
    assert (
        rejected.status_code == 200
        and "Facture rejetée." in rejected.text
        and "Non commandé." in rejected.text
    )
    assert 'id="decisions"' not in rejected.text and "Statut définitif" in rejected.text
    assert "compta.a@example.fr" in rejected.text  # who decided, in the history
    refused = supplier.post(f"/recues/{received_id}/traiter", {"decision": "approve"})
    assert refused.status_code == 409 and "a refusé cette décision" in refused.text


# --- administration -------------------------------------------------------------------------------------


def test_users_and_their_structures(world, as_user, app):
    admin = as_user(world.admin)
    short = admin.post(
        "/utilisateurs",
        {"email": "new@example.fr", "role": "accountant", "password": "x", "password_confirm": "x"},
    )
    assert short.status_code == 422 and "au moins 12 caractères" in short.text
    created = admin.post(
        "/utilisateurs",
        {
            "email": "new@example.fr",
            "role": "read_only",
            "password": "a long enough passphrase",
            "password_confirm": "a long enough passphrase",
            "structure_ids": str(world.b),
        },
    )
    assert created.status_code == 200 and "new@example.fr créé" in created.text
    duplicate = admin.post(
        "/utilisateurs",
        {
            "email": "NEW@example.fr",
            "role": "read_only",
            "password": "a long enough passphrase",
            "password_confirm": "a long enough passphrase",
        },
    )
    assert duplicate.status_code == 409
    from web_helpers import sign_in

    newcomer = sign_in(app, "new@example.fr", "a long enough passphrase")
    assert (
        "Fournisseur B" in newcomer.get("/structures").text
        and "Fournisseur A" not in newcomer.get("/structures").text
    )
    self_demotion = admin.post("/utilisateurs/1", {"role": "accountant", "is_active": "oui"})
    assert self_demotion.status_code == 422


def test_api_keys_are_shown_once_and_can_be_revoked(world, as_user, api, store):
    admin = as_user(world.admin)
    none = admin.post("/cles-api", {"name": "ERP"})
    assert none.status_code == 422 and "au moins une structure" in none.text
    created = admin.post("/cles-api", {"name": "ERP C", "structure_ids": str(world.a), "access": "read_only"})
    key = re.search(r'<p class="secret-once">([^<]+)</p>', created.text).group(1)
    assert api.get("/api/v1/structures", headers=bearer(key)).status_code == 200
    assert key not in admin.get("/cles-api").text
    with store.read() as tx:
        key_id = next(k.id for k in tx.accounts.list_api_keys() if k.name == "ERP C")
    admin.post(f"/cles-api/{key_id}/revoquer")
    assert api.get("/api/v1/structures", headers=bearer(key)).status_code == 401


def test_unknown_pages_and_errors_are_french(world, as_user):
    browser = as_user(world.accountant_a)
    missing = browser.get("/factures/999999")
    assert missing.status_code == 404 and "Introuvable" in missing.text
    assert browser.get("/nulle-part").status_code == 404


def test_engine_status_refusals_are_shown_in_the_page(world, as_user, store):
    browser = as_user(world.accountant_a)
    with store.transaction() as tx:
        record = tx.invoices.add(world.a, world.invoice_data(number()))
        tx.invoices.transition(record.id, source="engine", status=InvoiceStatus.WITHDRAWN, terminal=True)
    answer = browser.post(f"/factures/{record.id}/controler")
    assert answer.status_code == 409 and "withdrawn" in answer.text


def test_move_to_production_keeps_history_and_asks_for_production_credentials(world, as_user, store):
    admin = as_user(world.admin)
    with store.transaction() as tx:
        tx.invoices.add(world.b, world.invoice_data(number()) | {"seller": {"name": "B"}})
    form = {
        "siret": "73282932000074",
        "client_id": "prod-client",
        "client_secret": "prod-secret-value",
        "technical_login": "TECH_1_73282932000074@cpro.fr",
        "technical_password": "prod-password-1",
        "technical_password_confirm": "prod-password-1",
    }
    unconfirmed = admin.post(f"/structures/{world.b}/production", form)
    assert unconfirmed.status_code == 422 and "Cochez la case" in unconfirmed.text
    fake = admin.post(
        f"/structures/{world.b}/production", {**form, "siret": "00000000020262", "confirmation": "oui"}
    )
    assert fake.status_code == 422 and "clé de contrôle fausse" in fake.text
    moved = admin.post(f"/structures/{world.b}/production", {**form, "confirmation": "oui"})
    assert moved.status_code == 200 and "1 facture(s) de test retirée(s)" in moved.text
    assert 'id="production"' not in moved.text and "prod-secret-value" not in moved.text
    with store.read() as tx:
        structure = tx.structures.get(world.b)
        assert (structure.environment, structure.siret, structure.sandbox_siret) == (
            "production",
            "73282932000074",
            "00000000020262",
        )

"""The web UI in a real browser: Playwright drives Debian's Chromium (headless) against the app served by
uvicorn on loopback, itself talking to the simulator over loopback HTTP.

One accountant's day: set up a supplier structure and test its connection, upload invoices and see a
check finding, deposit a batch with its progress bar, watch the statuses change as the worker syncs,
complete a suspended invoice, and — as the public buyer — reject a received invoice with a motif.
Screenshots of the main pages go to tests/web/screenshots/ (not committed).
"""

from __future__ import annotations

import json
import uuid
from pathlib import Path

import pytest
from web_helpers import FAST_HASHING, PASSWORD, LiveServer

from chorus_connect.engine.service import Engine
from chorus_connect.web import WebSettings, create_app
from chorus_connect.web.security import Passwords

CHROMIUM = Path("/usr/bin/chromium")
SCREENSHOTS = Path(__file__).resolve().parent / "screenshots"
ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
TIMEOUT_MS = 20_000

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not CHROMIUM.exists(), reason="Chromium is not installed (run scripts/system-deps)"),
]


@pytest.fixture
def browser_page():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=ARGS)
        context = browser.new_context(viewport={"width": 1360, "height": 900}, locale="fr-FR")
        context.set_default_timeout(TIMEOUT_MS)
        page = context.new_page()
        page.on("dialog", lambda dialog: dialog.accept())
        try:
            yield page
        finally:
            context.close()
            browser.close()


def shot(page, name: str) -> Path:
    SCREENSHOTS.mkdir(exist_ok=True)
    path = SCREENSHOTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path


def invoice_file(folder: Path, number: str, supplier, buyer) -> Path:
    data = json.loads((Path(__file__).resolve().parents[2] / "examples" / "services.json").read_text("utf-8"))
    data["number"] = number
    data["seller"]["siret"], data["buyer"]["siret"] = supplier.siret, buyer.siret
    data["seller"]["name"], data["buyer"]["name"] = supplier.name, buyer.name
    data.pop("service_code")
    data.pop("engagement_number")
    path = folder / f"{number}.json"
    path.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    return path


def test_an_accountants_day(browser_page, store, simulator, tmp_path):
    from playwright.sync_api import expect

    page = browser_page
    dataset = simulator.dataset
    supplier, buyer = dataset.main_supplier(), dataset.recipient_with()
    engagement_buyer = dataset.recipient_with(engagement_required=True)
    passwords = Passwords(FAST_HASHING)
    with store.transaction() as tx:
        tx.accounts.add_user(
            "claire@atelier.fr",
            "administrator",
            display_name="Claire Martin",
            password_hash=passwords.hash(PASSWORD),
        )
    app = create_app(store, WebSettings(password_hashing=FAST_HASHING))

    with LiveServer(app) as server:
        base = server.base_url
        # --- sign in ---------------------------------------------------------------------------------
        page.goto(f"{base}/")
        expect(page).to_have_url(f"{base}/connexion?suivant=/")
        page.fill("input[name=email]", "claire@atelier.fr")
        page.fill("input[name=password]", PASSWORD)
        page.click("button[type=submit]")
        expect(page.locator("h1")).to_have_text("Tableau de bord")

        # --- a supplier structure, its settings from Chorus Pro's lists, and the connection test --------
        supplier_id = create_structure(
            page, base, simulator, "Conseil Blanchard", "supplier", supplier.structure_id
        )
        expect(page.locator("#siret-select")).to_have_attribute("data-loaded", "true")
        expect(page.locator("#siret-select option")).to_have_count(1)
        page.select_option("#service-select", index=1)
        page.select_option("select[name=default_payment_mode]", "VIREMENT")
        page.select_option("#bank-select", index=1)
        page.fill("input[name=referent_email]", "gp@blanchard.fr")
        page.click("#settings-form button[type=submit]")
        expect(page.locator(".flash")).to_have_text("Réglages enregistrés.")
        expect(page.locator("#bank-select option:checked")).to_have_text("Compte principal")
        page.click("#test-connection")
        report = page.locator("#connection-report")
        expect(report).to_contain_text("Connexion réussie.")
        expect(report.locator('[data-step="Structure"][data-status="passed"]')).to_have_count(1)
        expect(report.locator('[data-status="failed"]')).to_have_count(0)
        shot(page, "reglages")

        buyer_id = create_structure(
            page, base, simulator, "Commune de Quimper", "public_buyer", buyer.structure_id
        )
        assert buyer_id != supplier_id

        # --- upload invoices: the check report shows the finding before any deposit --------------------
        numbers = {
            scenario: f"B{uuid.uuid4().hex[:10].upper()}" for scenario in ("PAYE", "SUSPENDUE", "SANS_SUITE")
        }
        for scenario, number in numbers.items():
            simulator.admin.set_scenario(number, scenario)
        files = [invoice_file(tmp_path, n, supplier, buyer) for n in numbers.values()]
        failing = invoice_file(tmp_path, f"B{uuid.uuid4().hex[:10].upper()}", supplier, engagement_buyer)
        page.goto(f"{base}/factures/import")
        page.set_input_files("input[name=fichiers]", [*map(str, files), str(failing)])
        page.click("#upload-form button[type=submit]")
        expect(page.locator("h1")).to_contain_text("Rapport de contrôle")
        expect(page.locator('#check-report [data-rule="CPRO-DEST-06"]')).to_have_count(1)
        expect(page.locator("#check-report .badge.passed")).to_have_count(3)
        shot(page, "import")

        # --- deposit the selection, with its progress -------------------------------------------------
        page.goto(f"{base}/factures")
        page.check("#select-all")
        expect(page.locator("#deposit-selection")).to_have_text("Déposer la sélection (3)")
        page.click("#deposit-selection")
        expect(page.locator("#deposit-text")).to_contain_text("Dépôt terminé : 3 déposée(s), 0 en échec")
        expect(page.locator("#deposit-bar")).to_have_attribute("value", "3")
        rows = {
            number: page.locator(f'tr:has(a:text-is("{number}")) [data-status-cell]')
            for number in numbers.values()
        }
        for cell in rows.values():
            expect(cell).to_have_text("Déposée")

        # --- the worker follows them: the list updates itself ------------------------------------------
        with Engine(store, actor="worker") as engine:
            for _ in range(10):
                simulator.admin.advance_clock(days=1)
                engine.sync(supplier_id)
        expect(rows[numbers["PAYE"]]).to_have_text("Mise en paiement", timeout=TIMEOUT_MS)
        expect(rows[numbers["SUSPENDUE"]]).to_have_text("Suspendue", timeout=TIMEOUT_MS)
        shot(page, "factures")
        page.goto(f"{base}/")
        expect(page.locator('[data-category="payees"] .count')).to_have_text("1")
        expect(page.locator('[data-category="suspendues"] .count')).to_have_text("1")
        expect(page.locator('[data-category="en-erreur"] .count')).to_have_text("1")
        shot(page, "tableau-de-bord")

        # --- complete the suspended invoice -----------------------------------------------------------
        page.goto(f"{base}/factures")
        page.click(f'a:text-is("{numbers["SUSPENDUE"]}")')
        expect(page.locator("#complete-form")).to_be_visible()
        attachment = tmp_path / "bon-de-commande.pdf"
        attachment.write_bytes(b"%PDF-1.4\n% bon de commande\n")
        page.fill("#complete-form textarea[name=commentaire]", "Bon de commande n° 4521 joint.")
        page.set_input_files("#complete-form input[name=pieces]", str(attachment))
        page.click("#complete-form button[type=submit]")
        expect(page.locator(".flash")).to_contain_text("Facture complétée")
        expect(page.locator("#invoice-state")).to_have_text("Complétée")
        shot(page, "facture")

        # --- the public buyer rejects a received invoice with a motif ----------------------------------
        page.goto(f"{base}/recues?structure_id={buyer_id}")
        page.click("text=Récupérer depuis Chorus Pro")
        expect(page.locator(".flash")).to_contain_text("facture(s) lue(s)")
        page.click(f'#received-table a:text-is("{numbers["SANS_SUITE"]}")')
        page.fill("#reject-form textarea[name=motif]", "Prestation non commandée.")
        page.click("#reject-form button[type=submit]")
        expect(page.locator(".flash")).to_have_text("Facture rejetée.")
        expect(page.locator("#received-status")).to_have_text("Rejetée")
        expect(page.locator(".timeline")).to_contain_text("Prestation non commandée.")
        shot(page, "facture-recue")
    for name in ("reglages", "import", "factures", "tableau-de-bord", "facture", "facture-recue"):
        assert (SCREENSHOTS / f"{name}.png").stat().st_size > 10_000


def create_structure(page, base: str, simulator, name: str, role: str, chorus_id: int) -> int:
    dataset = simulator.dataset
    application = dataset.main_application()
    account = (
        dataset.supplier_account(chorus_id) if role == "supplier" else dataset.recipient_account(chorus_id)
    )
    page.goto(f"{base}/structures/nouvelle")
    page.fill("input[name=name]", name)
    page.select_option("select[name=role]", role)
    page.select_option("#environment", "local")
    page.fill("input[name=api_url]", simulator.base_url)
    if page.locator("select[name=piste_application_id] option").count() > 1:
        page.select_option("select[name=piste_application_id]", index=1)
    else:
        page.fill("input[name=client_id]", application.client_id)
        page.fill("input[name=client_secret]", application.client_secret)
    page.fill("input[name=technical_login]", account.login)
    page.fill("input[name=technical_password]", account.password)
    page.fill("input[name=technical_password_confirm]", account.password)
    page.fill("input[name=siret]", dataset.structure(chorus_id).siret)
    page.click("#new-structure button[type=submit]")
    page.wait_for_url("**/reglages")
    return int(page.url.rsplit("/", 2)[-2])

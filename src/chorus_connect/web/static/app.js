// chorus-connect web UI: a little plain JavaScript, no build step. Every page works without it; it adds
// confirmations, the batch deposit with its progress bar, live statuses, and the Chorus Pro lists of the
// settings page.
"use strict";

(function () {
  const CHUNK = 5; // invoices per deposit request: progress moves often, each request stays short
  const POLL_MS = 4000;
  const POLL_FOR_MS = 10 * 60 * 1000;

  function csrfToken() {
    const input = document.querySelector('input[name="csrf_token"]');
    return input ? input.value : "";
  }

  async function postJson(url, body) {
    const response = await fetch(url, {
      method: "POST",
      credentials: "same-origin",
      headers: { "Content-Type": "application/json", "X-CSRF-Token": csrfToken() },
      body: JSON.stringify(body),
    });
    const data = await response.json().catch(() => ({}));
    if (!response.ok) {
      const message = data.detail || data.title || ("Erreur " + response.status);
      throw new Error(message);
    }
    return data;
  }

  // --- confirmations --------------------------------------------------------------------------------
  document.addEventListener("click", function (event) {
    const button = event.target.closest("[data-confirm]");
    if (button && !window.confirm(button.getAttribute("data-confirm"))) {
      event.preventDefault();
    }
  });

  // --- invoice list: selection, batch deposit, live statuses ---------------------------------------
  function setupInvoiceList() {
    const table = document.getElementById("invoice-table");
    if (!table) return;
    const depositButton = document.getElementById("deposit-selection");
    const selectAll = document.getElementById("select-all");
    const boxes = () => Array.from(table.querySelectorAll(".select-invoice"));

    function refreshButton() {
      if (depositButton) {
        const count = boxes().filter((b) => b.checked).length;
        depositButton.disabled = count === 0;
        depositButton.textContent = count ? "Déposer la sélection (" + count + ")" : "Déposer la sélection";
      }
    }
    table.addEventListener("change", refreshButton);
    if (selectAll) {
      selectAll.addEventListener("change", function () {
        boxes().forEach((b) => { b.checked = selectAll.checked; });
        refreshButton();
      });
    }
    if (depositButton) {
      depositButton.addEventListener("click", function () { depositSelection(table, boxes, refreshButton); });
    }
    pollStatuses(table);
  }

  async function depositSelection(table, boxes, refreshButton) {
    const chosen = boxes().filter((b) => b.checked);
    if (!chosen.length) return;
    const panel = document.getElementById("deposit-progress");
    const bar = document.getElementById("deposit-bar");
    const text = document.getElementById("deposit-text");
    const errors = document.getElementById("deposit-errors");
    panel.classList.remove("hidden");
    errors.textContent = "";
    bar.max = chosen.length;
    bar.value = 0;
    let done = 0, failed = 0;
    const byStructure = new Map();
    chosen.forEach(function (box) {
      const row = box.closest("tr");
      const structure = row.getAttribute("data-structure-id");
      if (!byStructure.has(structure)) byStructure.set(structure, []);
      byStructure.get(structure).push(Number(box.value));
    });
    for (const [structure, ids] of byStructure) {
      for (let start = 0; start < ids.length; start += CHUNK) {
        const chunk = ids.slice(start, start + CHUNK);
        text.textContent = "Dépôt en cours : " + done + " / " + chosen.length + "…";
        try {
          const data = await postJson("/structures/" + structure + "/factures/depot", { invoice_ids: chunk });
          data.results.forEach(function (result) {
            done += 1;
            if (!result.ok) {
              failed += 1;
              const item = document.createElement("li");
              item.className = "finding-error";
              item.textContent = "Facture " + result.invoice_id + " : " + result.message;
              errors.appendChild(item);
            }
            updateRow(table, result.invoice_id, result);
          });
        } catch (error) {
          done += chunk.length;
          failed += chunk.length;
          const item = document.createElement("li");
          item.className = "finding-error";
          item.textContent = error.message;
          errors.appendChild(item);
        }
        bar.value = done;
      }
    }
    text.textContent = "Dépôt terminé : " + (done - failed) + " déposée(s), " + failed + " en échec, sur " + chosen.length + ".";
    chosen.forEach((b) => { b.checked = false; b.disabled = true; });
    refreshButton();
    pollStatuses(table);
  }

  function updateRow(table, invoiceId, state) {
    const row = table.querySelector('tr[data-invoice-id="' + invoiceId + '"]');
    if (!row || !state.label) return;
    const cell = row.querySelector("[data-status-cell]");
    if (cell) {
      cell.textContent = state.label;
      cell.className = "badge " + (state.category || "");
    }
  }

  let polling = null;
  function pollStatuses(table) {
    if (polling) return;
    const started = Date.now();
    polling = window.setInterval(async function () {
      const ids = Array.from(table.querySelectorAll("tr[data-invoice-id]")).map((r) => r.getAttribute("data-invoice-id"));
      if (!ids.length || Date.now() - started > POLL_FOR_MS) {
        window.clearInterval(polling);
        polling = null;
        return;
      }
      try {
        const response = await fetch("/factures/statuts?ids=" + ids.join(","), { credentials: "same-origin" });
        if (!response.ok) return;
        const states = await response.json();
        Object.keys(states).forEach((id) => updateRow(table, id, states[id]));
      } catch (error) { /* the next tick tries again */ }
    }, POLL_MS);
  }

  // --- settings: SIRETs, services and bank details read from Chorus Pro -----------------------------
  function setupSettings() {
    const form = document.getElementById("settings-form");
    if (!form) return;
    const url = form.getAttribute("data-choices-url");
    const siret = document.getElementById("siret-select");
    const service = document.getElementById("service-select");
    const bank = document.getElementById("bank-select");
    const chorusId = document.getElementById("chorus-structure-id");
    const bankLabel = document.getElementById("bank-label");
    const status = form.querySelector("[data-choices-status]");

    function fill(select, choices, current, emptyLabel) {
      if (!select) return;
      select.textContent = "";
      if (emptyLabel !== null) select.appendChild(new Option(emptyLabel, ""));
      let found = false;
      choices.forEach(function (choice) {
        const option = new Option(choice.label, choice.value, false, choice.value === current);
        if (choice.chorus_id !== null) option.setAttribute("data-chorus-id", choice.chorus_id);
        found = found || choice.value === current;
        select.appendChild(option);
      });
      if (current && !found) {
        select.appendChild(new Option(current + " (absent de la liste Chorus Pro)", current, false, true));
      }
      select.setAttribute("data-loaded", "true");
    }

    async function load(chosenSiret) {
      if (status) status.textContent = "Chargement des listes depuis Chorus Pro…";
      try {
        const response = await fetch(url + "?siret=" + encodeURIComponent(chosenSiret || ""), { credentials: "same-origin" });
        const data = await response.json();
        if (chosenSiret === undefined) fill(siret, data.sirets, siret.getAttribute("data-current"), null);
        fill(service, data.services, service.getAttribute("data-current"), "— aucun —");
        fill(bank, data.bank_accounts, bank ? bank.getAttribute("data-current") : "", "— aucune —");
        syncHidden();
        if (status) {
          status.textContent = data.errors.length
            ? "Listes incomplètes : " + data.errors.join(" ")
            : data.sirets.length + " structure(s) accessible(s) au compte technique.";
        }
      } catch (error) {
        if (status) status.textContent = "Impossible de lire les listes depuis Chorus Pro : testez la connexion.";
      }
    }

    function syncHidden() {
      const option = siret.options[siret.selectedIndex];
      if (chorusId && option) chorusId.value = option.getAttribute("data-chorus-id") || "";
      if (bank && bankLabel) {
        const chosen = bank.options[bank.selectedIndex];
        bankLabel.value = chosen && chosen.value ? chosen.textContent : "";
      }
    }

    siret.addEventListener("change", function () {
      service.setAttribute("data-current", "");
      if (bank) bank.setAttribute("data-current", "");
      syncHidden();
      load(siret.value);
    });
    if (bank) bank.addEventListener("change", syncHidden);
    load(undefined);
  }

  document.addEventListener("DOMContentLoaded", function () {
    setupInvoiceList();
    setupSettings();
  });
})();

// The Webhooks settings page: URL boxes per event, Save as one PUT of the
// whole view, Send test, and the signing key's Reveal / Copy / Rotate.
"use strict";

(function () {
  const { api, errorMessage, el, status, busy, companyID } = window.Callhooks;
  const base = "/v1/companies/" + companyID();
  const form = document.getElementById("webhooks-form");
  const template = document.getElementById("url-row-template");
  const saveStatus = document.getElementById("save-status");
  const summary = document.getElementById("form-errors");
  const events = Array.from(form.querySelectorAll("fieldset.event"));
  let saved = collect();

  // --- URL boxes -----------------------------------------------------

  function rows(fs) { return Array.from(fs.querySelectorAll("li.url-row")); }

  // renumber keeps ids, labels and button names in step with positions,
  // the same scheme the server renders.
  function renumber(fs) {
    const key = fs.dataset.event, label = fs.dataset.label;
    rows(fs).forEach((li, i) => {
      const id = "url-" + key + "-" + i;
      const input = li.querySelector("input");
      const lab = li.querySelector("label");
      const err = li.querySelector(".field-error");
      input.id = id;
      lab.htmlFor = id;
      lab.textContent = "URL " + (i + 1);
      err.id = id + "-error";
      input.setAttribute("aria-describedby", err.id);
      li.querySelector("[data-action=remove]").setAttribute("aria-label", "Remove " + label + " URL " + (i + 1));
    });
  }

  function addRow(fs, value) {
    const li = template.content.firstElementChild.cloneNode(true);
    li.querySelector("input").value = value || "";
    fs.querySelector(".url-list").append(li);
    renumber(fs);
    return li.querySelector("input");
  }

  function removeRow(fs, li) {
    const all = rows(fs);
    const i = all.indexOf(li);
    if (all.length === 1) {
      // Keep one box per event; removing the last one empties it.
      const input = li.querySelector("input");
      input.value = "";
      clearError(input);
      input.focus();
      return;
    }
    li.remove();
    renumber(fs);
    const left = rows(fs);
    left[Math.min(i, left.length - 1)].querySelector("input").focus();
  }

  function setRows(fs, urls) {
    fs.querySelector(".url-list").replaceChildren();
    (urls.length ? urls : [""]).forEach((u) => addRow(fs, u));
  }

  // collect is the view the boxes describe: event -> non-blank URLs, and
  // for each event the inputs those URLs came from (error details name
  // a URL by its index in the list sent).
  function collect() {
    const view = {}, inputs = {};
    for (const fs of events) {
      const key = fs.dataset.event;
      view[key] = [];
      inputs[key] = [];
      for (const input of fs.querySelectorAll("input")) {
        const v = input.value.trim();
        if (v === "") continue;
        view[key].push(v);
        inputs[key].push(input);
      }
    }
    return { view, inputs };
  }

  function sameURLs(a, b) { return a.length === b.length && a.every((u, i) => u === b[i]); }

  // --- errors --------------------------------------------------------

  function showError(input, message) {
    const err = document.getElementById(input.getAttribute("aria-describedby"));
    input.setAttribute("aria-invalid", "true");
    err.textContent = message;
    err.hidden = false;
  }

  function clearError(input) {
    const err = document.getElementById(input.getAttribute("aria-describedby"));
    input.removeAttribute("aria-invalid");
    if (err) { err.textContent = ""; err.hidden = true; }
  }

  function clearErrors() {
    form.querySelectorAll("input").forEach(clearError);
    summary.hidden = true;
    summary.replaceChildren();
  }

  function showSummary(lines) {
    summary.replaceChildren(...lines.map((l) => el("p", { text: l })));
    summary.hidden = false;
  }

  // --- save ----------------------------------------------------------

  form.addEventListener("click", (e) => {
    const button = e.target.closest("button[data-action]");
    if (!button) return;
    const fs = button.closest("fieldset.event");
    switch (button.dataset.action) {
      case "add": addRow(fs, "").focus(); break;
      case "remove": removeRow(fs, button.closest("li.url-row")); break;
      case "test": sendTest(fs, button); break;
    }
  });

  form.addEventListener("input", (e) => {
    if (e.target.matches("input")) {
      clearError(e.target);
      status(saveStatus, "", "");
    }
  });

  form.addEventListener("submit", (e) => {
    e.preventDefault();
    busy(document.getElementById("save"), save);
  });

  async function save() {
    clearErrors();
    const { view, inputs } = collect();
    status(saveStatus, "Saving…", "");
    const r = await api("PUT", base + "/webhooks", view);
    if (r.ok) {
      for (const fs of events) setRows(fs, r.data[fs.dataset.event] || []);
      saved = collect();
      const n = Object.values(r.data).reduce((sum, urls) => sum + urls.length, 0);
      status(saveStatus, "Saved: " + n + (n === 1 ? " URL." : " URLs."), "ok");
      return;
    }
    const details = (r.data && r.data.error && r.data.error.details) || [];
    const general = [];
    let first = null;
    for (const d of details) {
      const m = /^([a-z_]+)\[(\d+)\]$/.exec(d.field || "");
      const input = m && inputs[m[1]] && inputs[m[1]][Number(m[2])];
      if (input) {
        showError(input, d.message);
        first = first || input;
      } else {
        general.push(d.message);
      }
    }
    if (details.length === 0) general.push(errorMessage(r));
    const count = details.length || 1;
    showSummary(["Nothing was saved: " + count + (count === 1 ? " problem needs" : " problems need") + " fixing."].concat(general));
    status(saveStatus, "Not saved.", "bad");
    (first || summary).focus();
  }

  // --- send test -----------------------------------------------------

  async function sendTest(fs, button) {
    const key = fs.dataset.event;
    const out = fs.querySelector("[data-role=test-results]");
    const current = collect().view[key];
    await busy(button, async () => {
      out.replaceChildren(el("p", { class: "muted", text: "Sending a test " + fs.dataset.label + " webhook…" }));
      const r = await api("POST", base + "/webhooks/test", { event: key });
      if (!r.ok) {
        out.replaceChildren(el("p", { class: "error", text: errorMessage(r) }));
        return;
      }
      const items = r.data.data.map((res) => {
        const good = res.status_code >= 200 && res.status_code < 300;
        return el("li", { class: "test-result" },
          el("span", { class: "badge " + (good ? "badge-ok" : "badge-bad"), "data-role": "status-code",
            text: res.status_code ? String(res.status_code) : "no answer" }),
          el("span", { "data-role": "latency", text: res.latency_ms + " ms" }),
          el("span", { class: "url", text: res.url }),
          res.error ? el("span", { class: "error", text: res.error }) : null);
      });
      const list = el("ul", { "aria-label": "Test results for " + fs.dataset.label });
      list.append(...items);
      const nodes = [list];
      if (!sameURLs(current, saved.view[key])) {
        nodes.push(el("p", { class: "hint", text: "You have unsaved changes here: the test went to the saved URLs." }));
      }
      out.replaceChildren(...nodes);
    });
  }

  // --- signing key ---------------------------------------------------

  const keyBox = document.getElementById("signing-key");
  const secretBox = document.getElementById("webhook-secret");
  const reveal = document.getElementById("reveal-key");
  const keyStatus = document.getElementById("key-status");
  const masked = { key: keyBox.textContent, secret: secretBox.textContent };
  let keys = null;

  async function loadKeys() {
    if (keys) return keys;
    const r = await api("GET", base + "/signing-key");
    if (!r.ok) {
      status(keyStatus, errorMessage(r), "bad");
      return null;
    }
    keys = r.data;
    return keys;
  }

  function showKeys(on) {
    keyBox.textContent = on ? keys.signing_key : masked.key;
    secretBox.textContent = on ? keys.webhook_secret : masked.secret;
    keyBox.dataset.masked = secretBox.dataset.masked = on ? "false" : "true";
    reveal.setAttribute("aria-pressed", on ? "true" : "false");
    reveal.textContent = on ? "Hide" : "Reveal";
  }

  reveal.addEventListener("click", () => busy(reveal, async () => {
    if (reveal.getAttribute("aria-pressed") === "true") { showKeys(false); return; }
    if (await loadKeys()) showKeys(true);
  }));

  document.getElementById("copy-key").addEventListener("click", (e) => busy(e.currentTarget, async () => {
    if (!(await loadKeys())) return;
    try {
      await navigator.clipboard.writeText(keys.signing_key);
      status(keyStatus, "Signing key copied to the clipboard.", "ok");
    } catch (err) {
      // No clipboard access (plain HTTP on another host): show it selected instead.
      showKeys(true);
      window.getSelection().selectAllChildren(keyBox);
      status(keyStatus, "Copying is blocked here; the key is shown and selected, press Ctrl+C.", "");
    }
  }));

  document.getElementById("rotate-key").addEventListener("click", (e) => {
    const ok = window.confirm("Rotate this company's signing key?\n\nThe new key signs every webhook from now on. " +
      "The old key keeps signing webhook-signature alongside it for the overlap (24 hours by default), " +
      "then stops: update your receivers before then.");
    if (!ok) return;
    busy(e.currentTarget, async () => {
      const r = await api("POST", base + "/signing-key/rotate");
      if (!r.ok) { status(keyStatus, errorMessage(r), "bad"); return; }
      keys = { signing_key: r.data.signing_key, webhook_secret: r.data.webhook_secret,
        previous_key_expires_at: r.data.previous_key_expires_at };
      showKeys(true);
      const until = keys.previous_key_expires_at ? new Date(keys.previous_key_expires_at).toLocaleString() : "the overlap ends";
      status(keyStatus, "New key in use. The previous key keeps signing until " + until + ".", "ok");
    });
  });
})();

// The deliveries page: recent deliveries with filters, a detail view with
// attempts and body, Retry, Retry all failed, and Temporal Web UI links.
"use strict";

(function () {
  const { api, errorMessage, el, status, busy, companyID } = window.Callhooks;
  const base = "/v1/companies/" + companyID() + "/deliveries";
  const body = document.getElementById("deliveries-body");
  const listStatus = document.getElementById("list-status");
  const more = document.getElementById("load-more");
  const detail = document.getElementById("detail");
  const filters = document.getElementById("filters");
  const temporal = document.getElementById("temporal").dataset;
  const pageSize = 25;
  const labels = {};
  document.querySelectorAll("#f-event option[value]").forEach((o) => { if (o.value) labels[o.value] = o.textContent; });

  let cursor = "";
  let polls = 0;
  let pollTimer = null;

  function query(after) {
    const q = new URLSearchParams({ limit: String(pageSize) });
    const st = filters.elements.status.value, ev = filters.elements.event.value;
    if (st) q.set("status", st);
    if (ev) q.set("event", ev);
    if (after) q.set("starting_after", after);
    return q;
  }

  // temporalLink points at a workflow in the Temporal Web UI, when there is one.
  function temporalLink(workflowID, text) {
    if (!temporal.ui || !workflowID) return null;
    const href = temporal.ui + "/namespaces/" + encodeURIComponent(temporal.namespace) +
      "/workflows/" + encodeURIComponent(workflowID);
    return el("a", { href, target: "_blank", rel: "noopener", title: workflowID }, text,
      el("span", { class: "visually-hidden", text: " (opens the Temporal Web UI in a new tab)" }));
  }

  function when(iso) {
    if (!iso) return "—";
    return el("time", { datetime: iso, text: new Date(iso).toLocaleString() });
  }

  function badge(st) { return el("span", { class: "badge badge-" + st, text: st }); }

  function row(d) {
    const actions = el("div", { class: "row-actions" },
      el("button", { type: "button", "data-action": "detail", "data-id": d.id, "aria-label": "Details of delivery " + d.id, text: "Details" }),
      retryable(d) ? el("button", { type: "button", class: "button-primary", "data-action": "retry", "data-id": d.id,
        "aria-label": retryLabel(d) + " delivery " + d.id, text: retryLabel(d) }) : null);
    const links = el("span", { class: "links" },
      temporalLink(d.workflow_id, "Call workflow"),
      d.temporal_workflow_id ? temporalLink(d.temporal_workflow_id, "Retry workflow") : null);
    return el("tr", { "data-id": d.id, "data-status": d.status },
      cell("Time", "", when(d.created_at)),
      cell("Event", "", labels[d.event] || d.event, el("code", { class: "sub", text: d.event })),
      cell("Endpoint", "endpoint", d.url || "—"),
      cell("Status", "", badge(d.status), d.last_error ? el("span", { class: "sub", text: d.last_error }) : null),
      cell("Attempts", "num", String(d.attempts)),
      cell("Last code", "num", d.last_status_code ? String(d.last_status_code) : "—"),
      cell("Actions", "", actions, links.childNodes.length ? links : null));
  }

  // cell is one table cell; its label shows beside it on narrow screens,
  // where each row becomes a card.
  function cell(label, cls, ...content) {
    return el("td", { "data-label": label, class: cls || null }, el("div", { class: "cell" }, ...content));
  }

  async function load(reset) {
    const r = await api("GET", base + "?" + query(reset ? "" : cursor));
    if (!r.ok) {
      status(listStatus, errorMessage(r), "bad");
      return;
    }
    if (reset) body.replaceChildren();
    for (const d of r.data.data) body.append(row(d));
    if (body.children.length === 0) {
      body.append(el("tr", {}, el("td", { colspan: "7", class: "muted", text: "No deliveries match these filters." })));
    }
    cursor = r.data.next_cursor || "";
    more.hidden = !r.data.has_more;
    status(listStatus, "", "");
    schedulePoll();
  }

  // While anything shown is pending, refresh now and then so a retry's
  // outcome appears without a reload.
  function schedulePoll() {
    clearTimeout(pollTimer);
    if (!body.querySelector('tr[data-status="pending"]') || polls >= 60) return;
    polls++;
    pollTimer = setTimeout(() => load(true), 2000);
  }

  function refresh() {
    polls = 0;
    const q = query("");
    q.delete("limit");
    history.replaceState(null, "", location.pathname + (q.toString() ? "?" + q : ""));
    return load(true);
  }

  filters.addEventListener("submit", (e) => { e.preventDefault(); refresh(); });
  more.addEventListener("click", () => busy(more, () => load(false)));
  document.getElementById("refresh").addEventListener("click", (e) => busy(e.currentTarget, refresh));

  body.addEventListener("click", (e) => {
    const button = e.target.closest("button[data-action]");
    if (!button) return;
    if (button.dataset.action === "detail") busy(button, () => showDetail(button.dataset.id));
    if (button.dataset.action === "retry") busy(button, () => retry(button.dataset.id));
  });

  // A failed delivery is retried; a pending one, waiting between attempts,
  // gets its next attempt now.
  function retryable(d) { return d.status === "failed" || d.status === "pending"; }
  function retryLabel(d) { return d.status === "pending" ? "Retry now" : "Retry"; }

  async function retry(id) {
    const r = await api("POST", base + "/" + encodeURIComponent(id) + "/retry");
    if (!r.ok) {
      status(listStatus, "Retry of " + id + " did not start: " + errorMessage(r), "bad");
      return;
    }
    status(listStatus, "Retry of " + id + " started; it is pending until the receiver answers.", "ok");
    await refresh();
    if (!detail.hidden && detail.dataset.id === id) await showDetail(id, true);
  }

  document.getElementById("retry-all").addEventListener("click", (e) => busy(e.currentTarget, async () => {
    const pick = { status: "failed" };
    if (filters.elements.event.value) pick.event = filters.elements.event.value;
    const dry = await api("POST", base + "/retry", Object.assign({ dry_run: true }, pick));
    if (!dry.ok) { status(listStatus, errorMessage(dry), "bad"); return; }
    const n = dry.data.matched;
    if (n === 0) { status(listStatus, "There are no failed deliveries to retry.", ""); return; }
    const what = n + " failed " + (n === 1 ? "delivery" : "deliveries") +
      (pick.event ? " of " + (labels[pick.event] || pick.event) : "") + (dry.data.has_more ? " (the newest " + n + "; more match)" : "");
    if (!window.confirm("Retry " + what + "?\n\nEach is sent again at once with its original webhook-id.")) return;
    const r = await api("POST", base + "/retry", pick);
    if (!r.ok) { status(listStatus, errorMessage(r), "bad"); return; }
    const errs = r.data.errors || [];
    status(listStatus, "Started " + r.data.retried + " of " + r.data.matched + " retries." +
      (errs.length ? " Not retried: " + errs.map((x) => x.id + " (" + x.message + ")").join("; ") : ""), errs.length ? "bad" : "ok");
    await refresh();
  }));

  // --- detail ----------------------------------------------------------

  async function showDetail(id, keepFocus) {
    const r = await api("GET", base + "/" + encodeURIComponent(id));
    if (!r.ok) { status(listStatus, errorMessage(r), "bad"); return; }
    const d = r.data;
    const close = el("button", { type: "button", class: "button-quiet", text: "Close" });
    close.addEventListener("click", () => {
      detail.hidden = true;
      const opener = body.querySelector('button[data-action="detail"][data-id="' + CSS.escape(id) + '"]');
      if (opener) opener.focus();
    });
    const retryButton = retryable(d) ? el("button", { type: "button", class: "button-primary", text: retryLabel(d) }) : null;
    if (retryButton) retryButton.addEventListener("click", () => busy(retryButton, () => retry(id)));
    const facts = el("dl", {},
      el("dt", { text: "webhook-id" }), el("dd", {}, el("code", { text: d.id })),
      el("dt", { text: "Event" }), el("dd", { text: (labels[d.event] || d.event) + " (" + d.event + ")" }),
      el("dt", { text: "Endpoint" }), el("dd", {}, el("code", { text: d.url || "—" })),
      el("dt", { text: "Call" }), el("dd", { text: d.call_id || "—" }),
      el("dt", { text: "Event id" }), el("dd", { text: d.event_id || "—" }),
      el("dt", { text: "Created" }), el("dd", {}, when(d.created_at)),
      el("dt", { text: "Completed" }), el("dd", {}, when(d.completed_at)),
      el("dt", { text: "Workflows" }), el("dd", {},
        temporalLink(d.workflow_id, "Call workflow") || el("span", { text: d.workflow_id || "—" }), " ",
        d.temporal_workflow_id ? temporalLink(d.temporal_workflow_id, "Retry workflow") || d.temporal_workflow_id : null));
    const attempts = el("table", { class: "attempts" },
      el("caption", { class: "visually-hidden", text: "Attempts" }),
      el("thead", {}, el("tr", {}, ...["#", "Time", "Status", "Latency", "Error", "Response"].map((h) => el("th", { scope: "col", text: h })))),
      el("tbody", {}, ...d.attempts.map((a) => el("tr", {},
        el("td", { text: String(a.number) }),
        el("td", {}, when(a.attempted_at)),
        el("td", { text: a.status_code ? String(a.status_code) : "no answer" }),
        el("td", { text: a.latency_ms + " ms" }),
        el("td", { text: a.error_class || "—" }),
        el("td", { class: "excerpt", text: a.response_body || "" })))));
    const sentBody = d.body === null ? "(no body: the delivery was skipped)" : JSON.stringify(d.body, null, 2);
    detail.replaceChildren(
      el("div", { class: "detail-head" },
        el("h2", { id: "detail-h" }, "Delivery ", el("code", { text: d.id }), badge(d.status)),
        el("div", { class: "actions" }, retryButton, close)),
      facts,
      el("h3", { text: "Attempts (" + d.attempts.length + ")" }),
      d.attempts.length ? attempts : el("p", { class: "muted", text: "No attempts yet." }),
      el("h3", { text: "Body sent" }),
      el("pre", { tabindex: "0", "aria-label": "Body sent" }, el("code", { text: sentBody })));
    detail.dataset.id = id;
    detail.hidden = false;
    if (!keepFocus) detail.focus();
  }

  refresh();
})();

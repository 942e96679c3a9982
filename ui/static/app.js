// Shared by the Callhooks pages: calls the JSON API with the browser's
// session cookie and the page's CSRF token. No framework, no build step.
"use strict";

(function () {
  const csrfMeta = document.querySelector('meta[name="csrf-token"]');
  const csrf = csrfMeta ? csrfMeta.content : "";

  // api sends one request to /v1 and returns {status, ok, data}; data is
  // the decoded JSON answer (or null). A lost session goes to the login.
  async function api(method, path, body) {
    const headers = { Accept: "application/json" };
    const init = { method, headers, credentials: "same-origin" };
    if (body !== undefined) {
      headers["Content-Type"] = "application/json";
      init.body = JSON.stringify(body);
    }
    if (method !== "GET" && method !== "HEAD") {
      headers["X-CSRF-Token"] = csrf;
    }
    let res;
    try {
      res = await fetch(path, init);
    } catch (e) {
      return { status: 0, ok: false, data: { error: { code: "network", message: "The server could not be reached. Check your connection and try again." } } };
    }
    let data = null;
    try { data = await res.json(); } catch (e) { data = null; }
    if (res.status === 401) {
      location.assign("/ui/login?next=" + encodeURIComponent(location.pathname + location.search));
    }
    return { status: res.status, ok: res.ok, data };
  }

  // errorMessage is the API's message for a failed call.
  function errorMessage(r) {
    if (r.data && r.data.error && r.data.error.message) return r.data.error.message;
    return "The request failed (HTTP " + r.status + "). Try again.";
  }

  // el builds an element: el("td", {class: "x", "data-label": "Time"}, "text", child...).
  function el(tag, attrs, ...children) {
    const node = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs || {})) {
      if (v === undefined || v === null || v === false) continue;
      if (k === "text") node.textContent = v;
      else if (k === "hidden") node.hidden = true;
      else node.setAttribute(k, v === true ? "" : String(v));
    }
    for (const c of children) {
      if (c === undefined || c === null || c === false) continue;
      node.append(c instanceof Node ? c : document.createTextNode(String(c)));
    }
    return node;
  }

  // status shows a message in a live region; kind is "ok", "bad" or "".
  function status(node, message, kind) {
    node.textContent = message;
    node.classList.remove("ok", "bad");
    if (kind) node.classList.add(kind);
  }

  // busy disables a button while its request runs, so a double click
  // does not send twice.
  async function busy(button, fn) {
    button.disabled = true;
    button.setAttribute("aria-busy", "true");
    try { return await fn(); } finally {
      button.disabled = false;
      button.removeAttribute("aria-busy");
    }
  }

  function companyID() {
    return document.getElementById("main").dataset.companyId;
  }

  window.Callhooks = { api, errorMessage, el, status, busy, companyID };
})();

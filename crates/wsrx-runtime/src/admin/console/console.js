// The wsrx web console: plain JavaScript over the admin API (same origin). The bearer
// token lives in the `token` variable only; every value from the API is written as text
// (textContent), never parsed as markup, since sequence and token identifiers are chosen
// by peers.
"use strict";

let token = null;
const view = {
  offset: 0, limit: 25, filter: {}, selected: null, letter: null,
  pending: null, // "kind:target" of an action waiting for its confirming click
  samples: [], // {t, delivered, latencySum, latencyCount}
};
const $ = (id) => document.getElementById(id);

function el(tag, props, ...children) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(props || {})) {
    if (k === "class") e.className = v;
    else if (k === "text") e.textContent = v;
    else if (k.startsWith("on")) e.addEventListener(k.slice(2), v);
    else e.setAttribute(k, v);
  }
  for (const c of children) e.append(c instanceof Node ? c : document.createTextNode(String(c)));
  return e;
}

class Unauthorized extends Error {}

async function api(method, path) {
  const r = await fetch(path, {
    method, cache: "no-store", credentials: "omit",
    headers: { Authorization: "Bearer " + token, Accept: "application/json" },
  });
  if (r.status === 401) throw new Unauthorized("the token was refused");
  const text = await r.text();
  let body = text;
  if ((r.headers.get("content-type") || "").includes("json")) {
    try { body = JSON.parse(text); } catch (e) { body = { error: text }; }
  }
  if (!r.ok) throw new Error((body && body.error) || `HTTP ${r.status}`);
  return body;
}

function flash(text, ok) {
  const f = $("flash");
  f.textContent = text;
  f.className = "flash " + (ok ? "ok" : "bad");
}

function signedOut(message) {
  token = null;
  $("app").hidden = true;
  $("logout").hidden = true;
  $("login").hidden = false;
  $("health").textContent = "not signed in";
  $("login-error").textContent = message || "";
}

async function guarded(work) {
  try { return await work(); } catch (e) {
    if (e instanceof Unauthorized) signedOut("The token was refused; sign in again.");
    else flash(e.message, false);
    return undefined;
  }
}

const when = (ms) => (ms ? new Date(Number(ms)).toISOString().replace("T", " ").slice(0, 19) + "Z" : "—");

function duration(s) {
  if (s === null || s === undefined) return "never";
  const sign = s < 0 ? "-" : "";
  let a = Math.abs(s);
  const d = Math.floor(a / 86400); a -= d * 86400;
  const h = Math.floor(a / 3600); a -= h * 3600;
  const m = Math.floor(a / 60); a -= m * 60;
  return sign + (d ? `${d}d ` : "") + (d || h ? `${h}h ` : "") + `${m}m ${a}s`;
}

// A button that acts at once, or (confirm) asks for a second click first.
function action(label, kind, target, run, confirm) {
  const key = kind + ":" + target;
  const waiting = view.pending === key;
  const b = el("button", {
    type: "button", class: waiting ? "confirm" : (confirm ? "danger" : ""),
    "data-action": kind, "data-target": target,
    text: waiting ? `Confirm ${label.toLowerCase()}` : label,
  });
  b.addEventListener("click", async () => {
    if (confirm && !waiting) { view.pending = key; await refresh(); return; }
    view.pending = null;
    b.disabled = true;
    await guarded(run);
    await refresh();
  });
  return b;
}

function emptyRow(tbody, columns, text) {
  tbody.replaceChildren(el("tr", {}, el("td", { class: "empty", colspan: String(columns), text })));
}

async function showHealth() {
  const h = await api("GET", "/admin/health");
  const ok = h.status === "ok";
  $("health").replaceChildren(
    "node ", el("span", { class: ok ? "ok" : "bad", text: h.status }),
    ` · store ${h.store} · ${h.serving ? "serving" : "not serving"}`,
    ` · ${h.gateway ? "gateway" : "no gateway"} · up ${duration(h.uptime_seconds)} · wsrx ${h.version}`);
}

async function showSequences() {
  const q = new URLSearchParams({ offset: view.offset, limit: view.limit });
  for (const [k, v] of Object.entries(view.filter)) if (v) q.set(k, v);
  const page = await api("GET", "/admin/sequences?" + q);
  $("seq-total").textContent = `(${page.total})`;
  const tbody = $("sequences-table").tBodies[0];
  if (!page.items.length) emptyRow(tbody, 10, "no sequences match");
  else tbody.replaceChildren(...page.items.map((s) => {
    const inbound = s.role === "destination";
    const live = inbound && !["closed", "terminated", "failed", "undecodable"].includes(s.state);
    const cells = el("td", { class: "actions" },
      action("Show", "show", s.id, async () => { view.selected = s.id; }));
    if (live) cells.append(action("Close", "close", s.id, () => act("close", s.id), true));
    if (inbound && s.state !== "terminated")
      cells.append(action("Terminate", "terminate", s.id, () => act("terminate", s.id), true));
    return el("tr", { class: view.selected === s.id ? "selected" : "", "data-sequence": s.id },
      el("td", { class: "id", text: s.id }), el("td", { text: s.role }),
      el("td", { class: "state-" + s.state, text: s.state }),
      el("td", { class: "id", text: s.token || "—" }),
      el("td", { class: "n", text: s.stored }), el("td", { class: "n", text: s.acknowledged }),
      el("td", { class: "n", text: s.delivered }), el("td", { class: "n", text: s.backlog }),
      el("td", { text: s.ranges }), cells);
  }));
  const last = Math.min(page.offset + page.items.length, page.total);
  $("seq-page").textContent = page.total ? `${page.offset + 1}–${last} of ${page.total}` : "";
  $("seq-prev").disabled = view.offset === 0;
  $("seq-next").disabled = last >= page.total;
  await showSequence();
}

async function act(what, id) {
  const done = await api("POST", `/admin/sequences/${encodeURIComponent(id)}/${what}`);
  flash(`sequence ${done.id}: ${done.action} done, now ${done.state}`, true);
}

async function showSequence() {
  const box = $("sequence-detail");
  if (!view.selected) { box.hidden = true; return; }
  const id = view.selected;
  let s;
  try { s = await api("GET", `/admin/sequences/${encodeURIComponent(id)}`); } catch (e) {
    if (e instanceof Unauthorized) throw e;
    box.replaceChildren(el("p", { text: `Sequence ${id}: ${e.message}` }));
    box.hidden = false;
    return;
  }
  const t = await api("GET", `/admin/sequences/${encodeURIComponent(id)}/timeline`);
  const rows = [["Sequence", s.id], ["Role", s.role], ["State", s.state], ["Token", s.token || "—"],
    ["Stored", s.stored], ["Acknowledged", s.acknowledged], ["Delivered", s.delivered],
    ["Backlog", s.backlog], ["Ranges", s.ranges]];
  const dl = el("dl", {});
  for (const [k, v] of rows) dl.append(el("dt", { text: k }), el("dd", { text: v }));
  const events = el("ol", { id: "timeline" }, ...t.events.map((e) => el("li", { text: e })));
  const more = t.omitted ? el("p", { class: "hint", text: `${t.omitted} earlier events not shown` }) : "";
  box.replaceChildren(el("h2", { text: "Sequence detail" }), dl,
    el("h2", { text: "Timeline (store records, oldest first)" }), more, events,
    el("button", { type: "button", text: "Hide", onclick: () => { view.selected = null; box.hidden = true; } }));
  box.hidden = false;
}

async function showTokens() {
  const list = await api("GET", "/admin/tokens");
  $("tok-total").textContent = `(${list.items.length})`;
  const tbody = $("tokens-table").tBodies[0];
  if (!list.items.length) { emptyRow(tbody, 5, "no tokens in the store"); return; }
  tbody.replaceChildren(...list.items.map((t) => el("tr", { "data-token": t.identifier },
    el("td", { class: "id", text: t.identifier }), el("td", { text: when(t.expires_at_ms) }),
    el("td", { class: "n" + (t.expires_in_seconds < 0 ? " expired" : ""), text: duration(t.expires_in_seconds) }),
    el("td", { class: "id", text: t.sequences.join(", ") || "—" }),
    el("td", { class: "actions" }, action("Cancel", "cancel", t.identifier, async () => {
      const c = await api("POST", `/admin/tokens/${encodeURIComponent(t.identifier)}/cancel`);
      flash(`token ${c.token.identifier} cancelled${c.live ? " (the running node dropped it)" : ""}`, true);
    }, true)))));
}

async function showLetters() {
  const list = await api("GET", "/admin/dead-letters");
  $("dl-total").textContent = `(${list.items.length})`;
  const tbody = $("letters-table").tBodies[0];
  if (!list.items.length) emptyRow(tbody, 7, "no dead letters");
  else tbody.replaceChildren(...list.items.map((l) => {
    const key = `${l.sequence}:${l.number}`;
    const path = `/admin/dead-letters/${encodeURIComponent(l.sequence)}/${l.number}`;
    return el("tr", { "data-letter": key, class: view.letter === key ? "selected" : "" },
      el("td", { class: "id", text: l.sequence }), el("td", { class: "n", text: l.number }),
      el("td", { class: "id", text: l.action }), el("td", { class: "n", text: l.attempts }),
      el("td", { text: l.reason }), el("td", { text: when(l.at_ms) }),
      el("td", { class: "actions" },
        action("Show", "letter", key, async () => { view.letter = key; }),
        action("Replay", "replay", key, async () => {
          const r = await api("POST", path + "/replay");
          flash(`dead letter ${r.sequence}:${r.number} replayed: the backend answered HTTP ${r.backend_status}`, true);
          if (view.letter === key) view.letter = null;
        }),
        action("Purge", "purge", key, async () => {
          const p = await api("DELETE", path);
          flash(`dead letter ${p.sequence}:${p.number} purged`, true);
          if (view.letter === key) view.letter = null;
        }, true)));
  }));
  const box = $("letter-detail");
  const chosen = list.items.find((l) => `${l.sequence}:${l.number}` === view.letter);
  if (!chosen) { box.hidden = true; return; }
  const d = await api("GET", `/admin/dead-letters/${encodeURIComponent(chosen.sequence)}/${chosen.number}`);
  box.replaceChildren(el("h2", { text: `Dead letter ${view.letter}` }), el("pre", { text: d.payload }),
    el("button", { type: "button", text: "Hide", onclick: () => { view.letter = null; box.hidden = true; } }));
  box.hidden = false;
}

async function showAudit() {
  const list = await api("GET", "/admin/audit");
  $("audit-total").textContent = `(${list.items.length})`;
  const tbody = $("audit-table").tBodies[0];
  const items = list.items.slice(-50).reverse();
  if (!items.length) { emptyRow(tbody, 4, "nothing audited yet"); return; }
  tbody.replaceChildren(...items.map((a) => {
    const e = a.entry && typeof a.entry === "object" ? a.entry : { action: String(a.entry) };
    return el("tr", {}, el("td", { text: when(a.at_ms) }), el("td", { text: e.action || "" }),
      el("td", { class: "id", text: e.target || "" }),
      el("td", { class: e.ok === false ? "expired" : "", text: (e.ok === false ? "refused: " : "") + (e.outcome || "") }));
  }));
}

// Prometheus text: the sum of every sample of `name` (any labels).
function metric(text, name) {
  let total = 0, seen = false;
  for (const line of text.split("\n")) {
    if (!line.startsWith(name)) continue;
    const rest = line.slice(name.length);
    if (rest[0] !== " " && rest[0] !== "{") continue;
    const v = Number(line.trim().split(/\s+/).pop());
    if (Number.isFinite(v)) { total += v; seen = true; }
  }
  return seen ? total : null;
}

async function sampleMetrics() {
  let text;
  try { text = await api("GET", "/admin/metrics"); } catch (e) {
    if (e instanceof Unauthorized) throw e;
    $("rate-now").textContent = "(no metrics: " + e.message + ")";
    return;
  }
  view.samples.push({
    t: performance.now() / 1000,
    delivered: metric(text, "wsrx_messages_delivered_total") || 0,
    sum: metric(text, "wsrx_ack_latency_seconds_sum") || 0,
    count: metric(text, "wsrx_ack_latency_seconds_count") || 0,
  });
  if (view.samples.length > 61) view.samples.shift();
  const rates = [], latencies = [];
  for (let i = 1; i < view.samples.length; i++) {
    const a = view.samples[i - 1], b = view.samples[i];
    const dt = Math.max(b.t - a.t, 0.001);
    rates.push(Math.max(b.delivered - a.delivered, 0) / dt);
    const n = b.count - a.count;
    latencies.push(n > 0 ? ((b.sum - a.sum) / n) * 1000 : 0);
  }
  const last = (xs) => (xs.length ? xs[xs.length - 1] : 0);
  $("rate-now").textContent = `${last(rates).toFixed(1)} msg/s`;
  $("latency-now").textContent = `${last(latencies).toFixed(1)} ms`;
  chart($("chart-throughput"), rates, "#2458c6");
  chart($("chart-latency"), latencies, "#9a4fd6");
}

function chart(canvas, values, colour) {
  const g = canvas.getContext("2d");
  const w = canvas.width, h = canvas.height, pad = 4;
  g.clearRect(0, 0, w, h);
  const max = Math.max(1, ...values) * 1.15;
  g.strokeStyle = "#dde1e8"; g.lineWidth = 1;
  for (let i = 1; i < 4; i++) { const y = (h * i) / 4; g.beginPath(); g.moveTo(0, y); g.lineTo(w, y); g.stroke(); }
  g.fillStyle = "#6b7385"; g.font = "11px sans-serif";
  g.fillText(max.toFixed(max < 10 ? 1 : 0), 4, 12);
  if (values.length < 2) { g.fillText("collecting…", w / 2 - 30, h / 2); return; }
  const step = (w - 2 * pad) / 59;
  g.strokeStyle = colour; g.lineWidth = 2; g.beginPath();
  values.forEach((v, i) => {
    const x = pad + (60 - values.length + i) * step, y = h - pad - (v / max) * (h - 2 * pad);
    if (i === 0) g.moveTo(x, y); else g.lineTo(x, y);
  });
  g.stroke();
}

let refreshing = false;
async function refresh() {
  if (!token || refreshing) return;
  refreshing = true;
  try {
    await guarded(async () => {
      await showHealth();
      await showSequences();
      await showTokens();
      await showLetters();
      await showAudit();
    });
  } finally { refreshing = false; }
}

async function signIn(event) {
  event.preventDefault();
  const typed = $("token").value.trim();
  $("token").value = "";
  token = typed;
  try { await api("GET", "/admin/health"); } catch (e) {
    signedOut(e instanceof Unauthorized ? "That token was refused." : e.message);
    return;
  }
  $("login").hidden = true;
  $("app").hidden = false;
  $("logout").hidden = false;
  $("login-error").textContent = "";
  await refresh();
  await guarded(sampleMetrics);
}

function start() {
  $("login-form").addEventListener("submit", signIn);
  $("logout").addEventListener("click", () => signedOut("Signed out."));
  $("seq-filter").addEventListener("submit", async (e) => {
    e.preventDefault();
    view.filter = { role: $("f-role").value, state: $("f-state").value, token: $("f-token").value.trim() };
    view.offset = 0;
    await refresh();
  });
  $("seq-prev").addEventListener("click", async () => { view.offset = Math.max(0, view.offset - view.limit); await refresh(); });
  $("seq-next").addEventListener("click", async () => { view.offset += view.limit; await refresh(); });
  setInterval(() => { if (token && $("live").checked) refresh(); }, 5000);
  setInterval(() => { if (token) guarded(sampleMetrics); }, 2000);
}

start();

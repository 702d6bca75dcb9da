# ruff: noqa: E501  (an HTML/JS document kept as one string: its lines follow the page, not Python)
"""The preview page itself: one HTML document with a little plain JavaScript, no build step, no CDN.

Texts are put on the page with ``textContent`` only, so nothing a flow says
can become markup. The page asks ``/api/flows`` once a second and redraws
when the generation changes (a flow file was saved).
"""

PAGE = """<!doctype html>
<html lang="zh"><head><meta charset="utf-8"><title>menuflow preview</title>
<style>
body{font-family:sans-serif;margin:1em;background:#f6f6f6}
header{display:flex;gap:1em;align-items:center;flex-wrap:wrap}
.state{background:#fff;border:1px solid #ccc;border-radius:6px;margin:.8em 0;padding:.5em}
.state h3{margin:.2em 0}.kind{color:#666;font-weight:normal}
.channels{display:grid;grid-template-columns:repeat(3,1fr);gap:.6em}
.channel{border:1px solid #ddd;padding:.4em;min-height:3em}
.channel h4{margin:0 0 .3em 0}
pre{white-space:pre-wrap;margin:0;font-family:inherit}
.page{border-top:1px dashed #bbb;padding-top:.2em}
.count{color:#555;font-size:.85em}
.diag.error{color:#b00}.diag.warning{color:#a60}
#walk{position:sticky;top:0;background:#eef;padding:.5em;border:1px solid #99c}
#walk-choices button{margin:.2em}
</style></head>
<body>
<header>
  <label>Flow <select id="flow"></select></label>
  <label>Subscriber <select id="subscriber"></select></label>
  <label>Locale <select id="locale"></select></label>
  <span id="generation" class="count"></span>
</header>
<ul id="errors"></ul>
<section id="walk">
  <label>Walk on <select id="walk-channel"><option>sms</option><option>ussd</option><option>ivr</option></select></label>
  <button id="walk-start">Start</button>
  <input id="walk-input" size="12"><button id="walk-send">Send</button>
  <span id="walk-state" class="count"></span>
  <pre id="walk-reply"></pre>
  <div id="walk-choices"></div>
</section>
<ul id="diagnostics"></ul>
<div id="states"></div>
<h2>Graph (Mermaid)</h2>
<pre id="graph"></pre>
<script>
const $ = (id) => document.getElementById(id);
let generation = -1;
function el(tag, cls, text) {
  const e = document.createElement(tag);
  if (cls) e.className = cls;
  if (text !== undefined) e.textContent = text;
  return e;
}
function fill(select, values, labels) {
  const keep = select.value;
  select.replaceChildren(...values.map((v, i) => { const o = el("option", "", labels ? labels[i] : v); o.value = v; return o; }));
  if (values.includes(keep)) select.value = keep;
}
function diagList(list, target) {
  target.replaceChildren(...list.map(d => el("li", "diag " + d.severity, d.text)));
}
function channel(name, title, body, count) {
  const box = el("div", "channel " + name);
  box.append(el("h4", "", title), ...body, el("div", "count", count));
  return box;
}
function drawState(s) {
  const card = el("div", "state");
  card.dataset.state = s.name;
  const h = el("h3", "", s.name + " "); h.append(el("span", "kind", s.kind)); card.append(h);
  const pages = s.ussd.pages.map(p => { const d = el("div", "page"); d.append(el("pre", "", p.text), el("div", "count", p.units + "/" + p.limit + " units")); return d; });
  const grid = el("div", "channels");
  grid.append(
    channel("sms", "SMS", [el("pre", "", s.sms.text)], s.sms.segments + " segment(s), " + s.sms.encoding),
    channel("ussd", "USSD", pages, s.ussd.pages.length + " page(s)"),
    channel("ivr", "IVR", [el("pre", "", s.ivr.text)], s.ivr.options + " option(s)"));
  card.append(grid);
  const diags = el("ul", "diagnostics"); diagList(s.diagnostics, diags); card.append(diags);
  return card;
}
async function loadFlow() {
  const flow = $("flow").value;
  if (!flow) return;
  const q = new URLSearchParams({msisdn: $("subscriber").value, locale: $("locale").value || ""});
  if (!$("locale").value) q.delete("locale");
  const data = await (await fetch("/api/flow/" + encodeURIComponent(flow) + "?" + q)).json();
  fill($("locale"), data.locales);
  $("states").replaceChildren(...data.states.map(drawState));
  diagList(data.diagnostics, $("diagnostics"));
  $("graph").textContent = data.graph;
  $("generation").textContent = "v" + data.version + " · reload " + data.generation;
  document.body.dataset.generation = data.generation;
}
async function poll() {
  try {
    const data = await (await fetch("/api/flows")).json();
    if (data.generation !== generation) {
      generation = data.generation;
      fill($("flow"), data.flows);
      fill($("subscriber"), data.subscribers.map(s => s.msisdn), data.subscribers.map(s => s.name + " " + s.msisdn));
      $("errors").replaceChildren(...data.errors.map(t => el("li", "diag error", t)));
      await loadFlow();
    }
  } finally { setTimeout(poll, 1000); }
}
async function walk(text) {
  const body = {flow: $("flow").value, channel: $("walk-channel").value, msisdn: $("subscriber").value, text: text};
  const r = await (await fetch("/api/walk", {method: "POST", headers: {"Content-Type": "application/json"}, body: JSON.stringify(body)})).json();
  $("walk-reply").textContent = r.error || r.text;
  $("walk-state").textContent = r.error ? "" : (r.flow + ":" + r.state + (r.end ? " (ended)" : ""));
  $("walk-choices").replaceChildren(...(r.choices || []).map(c => {
    const b = el("button", "choice", c.key + ". " + c.label); b.dataset.key = c.key;
    b.onclick = () => walk(c.key); return b; }));
}
$("flow").onchange = loadFlow; $("subscriber").onchange = loadFlow; $("locale").onchange = loadFlow;
$("walk-start").onclick = () => walk(null);
$("walk-send").onclick = () => { walk($("walk-input").value); $("walk-input").value = ""; };
poll();
</script>
</body></html>
"""

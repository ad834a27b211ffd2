// The browser side of `aplcore app`: it draws what the server answers. No zoning rule is
// written here: zones, allowed choices, gauges, refusals and breaches all come from the library.
"use strict";

const app = {
  state: null,      // last /api/state answer
  communes: null,   // static commune data (code, name, apl, population, territory, ...)
  rowOf: new Map(), // commune code -> row in app.communes
  map: null,
  layer: null,      // commune polygons
  outlines: [],
  selected: null,   // {code, level, commune}
  diff: null,       // last comparison
  optionsCache: new Map(),
  timings: {},
};
window.aplApp = app;

const LEVEL_WORDS = { territory: "territoire", commune: "commune", qpv: "QPV" };
const fmt = new Intl.NumberFormat("fr-FR", { maximumFractionDigits: 0 });
const fmt2 = new Intl.NumberFormat("fr-FR", { maximumFractionDigits: 2 });
const $ = (id) => document.getElementById(id);
const esc = (s) => String(s ?? "").replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" }[c]));

async function api(path, options = {}) {
  const response = await fetch(path, options);
  let body = null;
  try { body = await response.json(); } catch (e) { body = { error: `réponse illisible (${response.status})` }; }
  if (response.status === 409) {
    status(body.error + " Rechargement…", true);
    setTimeout(() => location.reload(), 1500);
    throw Object.assign(new Error(body.error), { status: 409 });
  }
  if (!response.ok) throw Object.assign(new Error(body.error || response.statusText), { status: response.status });
  return body;
}
const post = (path, data) => api(path, { method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify(data) });

function status(text, error = false) {
  const el = $("status");
  el.textContent = text;
  el.className = error ? "error" : "";
}

// --- map -------------------------------------------------------------------------------------

function zoneOf(code) {
  const row = app.rowOf.get(code);
  if (row === undefined) return null;
  const k = app.state.zone[row];
  return k >= 0 ? app.state.method.zones[k] : null;
}

function styleOf(feature) {
  const code = feature.properties.c;
  const zone = zoneOf(code);
  const sel = app.selected;
  const row = app.rowOf.get(code);
  const inSelection = sel && row !== undefined && (
    (sel.level === "territory" && app.communes.territory[row] === sel.code) ||
    (sel.level !== "territory" && code === (sel.level === "qpv" ? sel.commune : sel.code)));
  const changed = app.diff && app.diff.communes[code];
  return {
    fillColor: zone ? app.state.colours[zone] : "#d9d9d9",
    fillOpacity: zone ? 0.8 : 0.35,
    color: inSelection ? "#000" : changed ? "#6a1b9a" : "#ffffff",
    weight: inSelection ? 2.5 : changed ? 2 : 0.3,
    dashArray: changed && !inSelection ? "3 2" : null,
  };
}

// Page coordinates of a commune's centre (used to click on the canvas map in tests and benches).
app.pointOf = (code) => {
  const row = app.rowOf.get(code);
  if (row === undefined || app.communes.inside[row] === null) return null;
  const p = app.map.latLngToContainerPoint(app.communes.inside[row]);
  const box = app.map.getContainer().getBoundingClientRect();
  return { x: box.left + p.x, y: box.top + p.y };
};

function restyle() {
  if (!app.layer) return;
  app.layer.setStyle(styleOf);
  // an open tooltip shows the state it was opened on: redraw it
  app.layer.eachLayer((l) => { if (l.isTooltipOpen()) l.setTooltipContent(tooltipOf(l)); });
}

function tooltipOf(layer) {
  const code = layer.feature.properties.c;
  const row = app.rowOf.get(code);
  if (row === undefined) return `${esc(code)} (hors session)`;
  const c = app.communes;
  const zone = zoneOf(code);
  const terr = c.territory[row];
  let html = `<b>${esc(c.name[row])}</b> ${esc(code)}<br>` +
    `APL ${c.apl[row] === null ? "–" : fmt2.format(c.apl[row])} consultations/hab./an<br>` +
    `population ${fmt.format(c.population[row])} hab.<br>` +
    `territoire ${esc(terr)} · zone <b>${esc(zone)}</b>`;
  const cached = app.optionsCache.get(`${app.state.version}|${terr}|territory`);
  if (cached) {
    const ok = cached.options.filter((o) => o.status !== "refused").map((o) => o.zone + (o.status === "breach" ? " (dépassement)" : ""));
    html += `<br>zones possibles : ${esc(ok.join(", "))}`;
  } else {
    html += "<br><i>zones possibles…</i>";
  }
  if (app.diff && app.diff.communes[code]) {
    const [before, after] = app.diff.communes[code];
    html += `<br>comparaison : ${esc(before)} → ${esc(after)}`;
  }
  return html;
}

async function hover(event) {
  const layer = event.target;
  layer.setTooltipContent(tooltipOf(layer));  // the state now, not when it was first shown
  const code = layer.feature.properties.c;
  const row = app.rowOf.get(code);
  if (row === undefined) return;
  const terr = app.communes.territory[row];
  const key = `${app.state.version}|${terr}|territory`;
  if (!app.optionsCache.has(key)) {
    try {
      app.optionsCache.set(key, await api(`/api/options?code=${encodeURIComponent(terr)}&level=territory`));
    } catch (e) { return; }
    if (layer.isTooltipOpen()) layer.setTooltipContent(tooltipOf(layer));
  }
}

async function drawMap() {
  const started = performance.now();
  const scope = $("scope").value;
  const [kind, region] = scope.split(":");
  const query = kind === "region" ? `?region=${encodeURIComponent(region)}` : "";
  const [communes, territories, departements] = await Promise.all([
    api(`/api/map/${kind}/communes.geojson${query}`),
    kind === "region" ? api(`/api/map/region/territories.geojson${query}`) : null,
    api(`/api/map/${kind}/departements.geojson${query}`),
  ]);
  if (app.layer) app.layer.remove();
  app.outlines.forEach((l) => l.remove());
  app.outlines = [];
  app.layer = L.geoJSON(communes, {
    style: styleOf,
    onEachFeature: (feature, layer) => {
      layer.bindTooltip(() => tooltipOf(layer), { sticky: true });
      layer.on("mouseover", hover);
      layer.on("click", () => select(feature.properties.c));
    },
  }).addTo(app.map);
  if (territories) {
    app.outlines.push(L.geoJSON(territories, { style: { color: "#37474f", weight: 1.2, fill: false }, interactive: false }).addTo(app.map));
  }
  const borders = { color: "#000", weight: kind === "france" ? 0.8 : 2.2, fill: false };
  app.outlines.push(L.geoJSON(departements, { style: borders, interactive: false }).addTo(app.map));
  drawQpv();
  // France: metropolitan France in view (the overseas départements are a pan away)
  app.map.fitBounds(kind === "france" ? [[41.3, -5.2], [51.1, 9.6]] : app.layer.getBounds());
  await new Promise((resolve) => requestAnimationFrame(() => requestAnimationFrame(resolve)));
  app.timings.mapDrawn = performance.now() - started;
  app.timings.mapDrawnSinceStart = performance.now();
  document.body.dataset.mapDrawn = scope;
}

function drawQpv() {
  if (app.qpvLayer) app.qpvLayer.remove();
  app.qpvLayer = L.layerGroup().addTo(app.map);
  if (!app.layer) return;
  const byCode = new Map();
  app.layer.eachLayer((l) => byCode.set(l.feature.properties.c, l));
  for (const q of app.state.qpv) {
    const host = byCode.get(q.commune);
    if (!host) continue;
    L.circleMarker(host.getBounds().getCenter(), { radius: 6, color: "#000", weight: 1.5, fillColor: app.state.colours[q.zone] || "#999", fillOpacity: 1 })
      .bindTooltip(`QPV ${esc(q.code)} (${esc(q.commune)}) · ${fmt.format(q.population)} hab. · zone <b>${esc(q.zone)}</b>`)
      .addTo(app.qpvLayer);
  }
}

function legend() {
  const control = L.control({ position: "bottomleft" });
  control.onAdd = () => {
    const div = L.DomUtil.create("div", "legend");
    div.id = "legend";
    return div;
  };
  control.addTo(app.map);
}

function drawLegend() {
  const s = app.state;
  const rows = s.method.zones.map((z) => `<div><span class="swatch" style="background:${s.colours[z]}"></span> ${esc(s.labels[z])}</div>`);
  rows.push(`<div><span class="swatch" style="background:#d9d9d9"></span> hors session</div>`);
  rows.push(`<div class="units">APL : consultations de médecin généraliste accessibles par habitant et par an · population : habitants · traits fins : territoires, épais : départements${app.diff ? " · pointillés violets : zone changée (comparaison)" : ""}</div>`);
  $("legend").innerHTML = `<b>Zone (${esc(s.method.name)})</b>` + rows.join("");
}

// --- choosing --------------------------------------------------------------------------------

async function select(code, level) {
  const row = app.rowOf.get(code);
  if (row === undefined) return;
  level = level || $("level").value || "territory";
  if (level === "territory") app.selected = { code: app.communes.territory[row], level, commune: code };
  else if (level === "commune") app.selected = { code, level, commune: code };
  else app.selected = { code: "", level: "qpv", commune: code };
  restyle();
  $("choice-empty").hidden = true;
  $("choice").hidden = false;
  $("message").innerHTML = "";
  $("qpv-fields").hidden = level !== "qpv";
  if (level === "qpv") {
    $("unit").innerHTML = `QPV de la commune <b>${esc(app.communes.name[row])}</b> ${esc(code)}`;
    $("options").innerHTML = "<legend>Zone</legend><p>Donnez le code et la population du QPV.</p>";
    return;
  }
  await showOptions();
}

async function showOptions() {
  const sel = app.selected;
  $("options").innerHTML = "<legend>Zone</legend><p>…</p>";
  let url = `/api/options?code=${encodeURIComponent(sel.code)}&level=${sel.level}`;
  if (sel.level === "qpv") url += `&commune=${encodeURIComponent(sel.commune)}&population=${encodeURIComponent($("qpv-population").value)}`;
  let info;
  try { info = await api(url); } catch (e) { $("message").innerHTML = `<div class="refused-msg">${esc(e.message)}</div>`; return; }
  if (sel.level === "territory") app.optionsCache.set(`${app.state.version}|${sel.code}|territory`, info);
  const head = sel.level === "territory"
    ? `Territoire <b>${esc(info.code)}</b> · ${info.communes} communes · ${fmt.format(info.population)} hab. · APL ${fmt2.format(info.apl)} · zone <b>${esc(info.zone)}</b> (proposition : ${esc(info.proposal)})`
    : sel.level === "commune"
      ? `Commune <b>${esc(info.name)}</b> ${esc(info.code)} · ${fmt.format(info.population)} hab. · APL ${fmt2.format(info.apl)} · zone <b>${esc(info.zone)}</b>`
      : `QPV <b>${esc(info.code)}</b> (commune ${esc(info.commune)}) · ${fmt.format(info.population)} hab.`;
  $("unit").innerHTML = head + (info.chosen ? `<br>choix en place : ${esc(info.chosen.zone)} — « ${esc(info.chosen.reason)} »` : "");
  $("withdraw").hidden = !info.chosen;
  const words = { current: "actuelle", allowed: "possible", breach: "dépassement", refused: "refusée" };
  $("options").innerHTML = "<legend>Zone</legend>" + info.options.map((o) => `
    <label class="opt" data-zone="${esc(o.zone)}" data-status="${o.status}">
      <input type="radio" name="zone" value="${esc(o.zone)}" ${o.status === "current" ? "disabled" : ""}>
      <span class="swatch" style="background:${app.state.colours[o.zone] || "#999"}"></span>
      <b>${esc(o.zone)}</b> <span class="badge ${o.status}">${words[o.status]}</span>
      <span class="msg">${esc(o.message)}</span>
    </label>`).join("");
  const stab = info.stability || {};
  const keys = Object.keys(stab);
  $("stability").innerHTML = keys.length
    ? "Stabilité (scénarios) : " + keys.map((z) => `${esc(z)} ${fmt2.format(100 * stab[z])} %`).join(" · ")
    : "";
}

async function apply(event) {
  event.preventDefault();
  const clicked = performance.now();
  const sel = app.selected;
  const picked = document.querySelector('#options input[name="zone"]:checked');
  if (!picked) { $("message").innerHTML = `<div class="refused-msg">Choisissez une zone.</div>`; return; }
  const data = { version: app.state.version, code: sel.code, level: sel.level, zone: picked.value, reason: $("reason").value };
  if (sel.level === "qpv") Object.assign(data, { code: $("qpv-code").value, commune: sel.commune, population: $("qpv-population").value });
  let state;
  try {
    state = await post("/api/choose", data);
  } catch (e) {
    if (e.status !== 409) $("message").innerHTML = `<div class="refused-msg">Refusé : ${esc(e.message)}</div>`;
    return;
  }
  render(state);
  await new Promise((resolve) => requestAnimationFrame(() => requestAnimationFrame(resolve)));
  app.timings.choice = performance.now() - clicked;
  const breaches = state.breaches || [];
  $("message").innerHTML = breaches.length
    ? `<div class="breach-msg">Choix appliqué, mais il dépasse : ${breaches.map((b) => esc(`${b.constraint} (${fmt.format(b.used)} pour ${fmt.format(b.limit)})`)).join(" ; ")}</div>`
    : `<div class="ok-msg">Choix appliqué.</div>`;
  $("reason").value = "";
  if (sel.level === "qpv") { app.selected.code = data.code; }
  if (sel.level !== "qpv") await showOptions();
  document.body.dataset.version = state.version;
}

async function withdraw() {
  const sel = app.selected;
  try { render(await post("/api/withdraw", { version: app.state.version, code: sel.code, level: sel.level })); }
  catch (e) { if (e.status !== 409) $("message").innerHTML = `<div class="refused-msg">${esc(e.message)}</div>`; return; }
  await showOptions();
}

async function move(what) {
  try { render(await post(`/api/${what}`, { version: app.state.version })); }
  catch (e) { if (e.status !== 409) status(e.message, true); return; }
  if (app.selected && app.selected.level !== "qpv") await showOptions();
}

// --- panels ----------------------------------------------------------------------------------

function bar(label, used, limit, colour, extra = "") {
  const finite = limit !== null && limit !== undefined && limit > 0;
  const share = finite ? Math.min(used / limit, 1) : 0;
  const over = finite && used > limit + 1e-6;
  return `<div class="gauge"><div class="text">${label} : <b>${fmt.format(used)}</b>${finite ? ` / ${fmt.format(limit)} hab. (reste ${fmt.format(limit - used)})` : " hab. (sans plafond)"}${extra}</div>
    <div class="bar ${over ? "over" : ""}"><div class="fill" style="width:${(100 * share).toFixed(1)}%;background:${colour}"></div></div></div>`;
}

function renderGauges() {
  const s = app.state;
  const html = [];
  for (const region of s.regions) {
    html.push(`<h4>Région ${esc(region)}</h4>`);
    for (const g of s.gauges.filter((x) => x.region === region)) {
      const limit = g.room === null ? g.cap : g.population + g.room;
      let extra = ` · ${fmt2.format(100 * g.share)} %`;
      if (g.floor) extra += ` · plancher ${fmt.format(g.floor)}`;
      if (g.margin) extra += ` · marge ${fmt.format(g.margin_used)} / ${fmt.format(g.margin)}`;
      html.push(bar(esc(g.zone), g.population, limit, s.colours[g.zone], extra));
    }
  }
  $("gauges").innerHTML = html.join("");
  const rows = s.checks.map((c) => `<tr class="${c.met === false ? "broken" : ""}"><td>${esc(c.departement || c.region)}</td><td>${esc(c.constraint)}</td><td>${esc(c.kind)}</td>
    <td class="num">${fmt.format(c.used)}</td><td class="num">${c.limit === null ? "–" : fmt.format(c.limit)}</td><td>${c.met === false ? "dépassé" : "respecté"}</td><td>${esc(c.broken_by)}</td></tr>`);
  $("checks").innerHTML = `<table><thead><tr><th>où</th><th>règle</th><th>type</th><th>utilisé</th><th>limite</th><th></th><th>choix en cause</th></tr></thead><tbody>${rows.join("")}</tbody></table>`;
}

function renderHistory() {
  const s = app.state;
  $("history").tBodies[0].innerHTML = s.history.map((h) => `<tr><td>${h.step}</td><td>${h.action === "choose" ? "choix" : "retrait"}</td>
    <td>${esc(LEVEL_WORDS[h.level] || h.level)} ${esc(h.code)}</td><td>${esc(h.zone)}</td><td>${esc(h.reason)}</td></tr>`).join("") ||
    `<tr><td colspan="5">Aucun choix : la proposition de la méthode.</td></tr>`;
  $("undo").disabled = !s.can_undo;
  $("redo").disabled = !s.can_redo;
}

function renderSettings() {
  const s = app.state;
  const set = s.settings;
  $("set-method").innerHTML = s.presets.map((p) => `<option ${p === set.method ? "selected" : ""}>${esc(p)}</option>`).join("");
  $("set-thresholds").value = (set.thresholds || s.method.thresholds || []).join(" ");
  $("set-thresholds").disabled = !s.method.takes_thresholds;
  $("set-caps").innerHTML = "<legend>Plafonds régionaux</legend>" + s.method.zones.map((z) =>
    `<label>${esc(z)} <input data-zone="${esc(z)}" value="${set.caps[z] ?? ""}" inputmode="decimal"></label>`).join("");
  $("set-cap-unit").value = set.cap_unit;
  $("set-margin").value = set.margin ?? "";
  $("set-agency").value = set.agency ?? "";
  $("set-territories").value = set.territories ?? "";
  $("label").textContent = set.label ? `— ${set.label}` : "";
  $("method").textContent = `méthode ${s.method.name}`;
  const current = $("level").value;
  $("level").innerHTML = s.method.levels.map((l) => `<option value="${l}">${LEVEL_WORDS[l]}</option>`).join("");
  if (s.method.levels.includes(current)) $("level").value = current;
}

function render(state) {
  app.state = state;
  restyle();
  renderGauges();
  renderHistory();
  drawLegend();
  drawQpv();
  status(`version ${state.version} · ${state.choices.length} choix · ${state.broken.length} règle(s) dépassée(s)`);
  document.body.dataset.version = state.version;
}

async function saveSettings(event) {
  event.preventDefault();
  const caps = {};
  document.querySelectorAll("#set-caps input").forEach((i) => { if (i.value.trim()) caps[i.dataset.zone] = i.value.trim(); });
  const data = {
    version: app.state.version,
    method: $("set-method").value,
    thresholds: $("set-thresholds").disabled ? null : $("set-thresholds").value,
    caps, cap_unit: $("set-cap-unit").value, margin: $("set-margin").value,
    agency: $("set-agency").value, territories: $("set-territories").value,
    label: app.state.settings.label,
  };
  try {
    const state = await post("/api/settings", data);
    if (state.settings.territories !== app.state.settings.territories) {
      location.reload();  // other territories: other outlines and units on the map
      return;
    }
    render(state);
    renderSettings();
    $("settings-message").innerHTML = `<div class="ok-msg">Zonage recalculé.</div>`;
  } catch (e) {
    if (e.status !== 409) $("settings-message").innerHTML = `<div class="refused-msg">${esc(e.message)}</div>`;
  }
}

async function compare(event) {
  event.preventDefault();
  const file = $("diff-file").files[0];
  if (!file) { $("diff").innerHTML = `<div class="refused-msg">Choisissez un fichier.</div>`; return; }
  const kind = $("diff-kind").value;
  try {
    app.diff = await api(`/api/diff?kind=${kind}&name=${encodeURIComponent(file.name)}`, { method: "POST", body: file });
  } catch (e) { $("diff").innerHTML = `<div class="refused-msg">${esc(e.message)}</div>`; return; }
  const d = app.diff;
  const changed = Object.entries(d.communes);
  let html = `<p>${esc(d.labels[0])} → ${esc(d.labels[1])} : ${changed.length} commune(s) changent de zone.</p>`;
  if (d.choices) {
    html += `<table><thead><tr><th>unité</th><th>changement</th><th>avant</th><th>après</th><th>motif</th></tr></thead><tbody>` +
      d.choices.map((c) => `<tr><td>${esc(LEVEL_WORDS[c.level] || c.level)} ${esc(c.code)}</td><td>${esc(c.change)}</td><td>${esc(c.zone_old)}</td><td>${esc(c.zone_new)}</td><td>${esc(c.reason_new || c.reason_old)}</td></tr>`).join("") + "</tbody></table>";
  }
  html += `<table><thead><tr><th>commune</th><th>avant</th><th>après</th></tr></thead><tbody>` +
    changed.slice(0, 200).map(([code, [b, a]]) => `<tr><td>${esc(code)} ${esc(app.communes.name[app.rowOf.get(code)] || "")}</td><td>${esc(b)}</td><td>${esc(a)}</td></tr>`).join("") +
    `</tbody></table>` + (changed.length > 200 ? `<p>… ${changed.length - 200} autres</p>` : "");
  $("diff").innerHTML = html;
  $("diff-clear").hidden = false;
  restyle();
  drawLegend();
}

async function exportFiles(event) {
  event.preventDefault();
  $("export-message").innerHTML = "Export en cours…";
  try {
    const out = await post("/api/export", { version: app.state.version, name: $("export-name").value, date_arrete: $("export-date").value, maps: $("export-maps").checked });
    $("export-message").innerHTML = `<div class="ok-msg">Écrit dans ${esc(out.folder)}</div>`;
    $("export-files").innerHTML = out.files.map((f) => `<li><a href="${esc(f.url)}" download>${esc(f.name)}</a></li>`).join("");
  } catch (e) {
    if (e.status !== 409) $("export-message").innerHTML = `<div class="refused-msg">${esc(e.message)}</div>`;
  }
}

async function start() {
  app.map = L.map("map", { preferCanvas: true, zoomSnap: 0.25 });
  legend();
  const [state, communes] = await Promise.all([api("/api/state"), api("/api/communes")]);
  app.state = state;
  app.communes = communes;
  communes.code.forEach((code, row) => app.rowOf.set(code, row));
  $("scope").innerHTML = state.regions.map((r) => `<option value="region:${esc(r)}">région ${esc(r)}</option>`).join("") + `<option value="france:">France</option>`;
  if (state.settings.agency && state.regions.includes(state.settings.agency)) $("scope").value = `region:${state.settings.agency}`;
  renderSettings();
  render(state);
  await drawMap();
  $("scope").addEventListener("change", drawMap);
  $("undo").addEventListener("click", () => move("undo"));
  $("redo").addEventListener("click", () => move("redo"));
  $("choice").addEventListener("submit", apply);
  $("withdraw").addEventListener("click", withdraw);
  $("level").addEventListener("change", () => app.selected && select(app.selected.commune, $("level").value));
  $("qpv-check").addEventListener("click", () => { app.selected.code = $("qpv-code").value; showOptions(); });
  $("settings").addEventListener("submit", saveSettings);
  $("diff-form").addEventListener("submit", compare);
  $("diff-clear").addEventListener("click", () => { app.diff = null; $("diff").innerHTML = ""; $("diff-clear").hidden = true; restyle(); drawLegend(); });
  $("export").addEventListener("submit", exportFiles);
  document.body.dataset.ready = "1";
}

start().catch((e) => status(`erreur : ${e.message}`, true));

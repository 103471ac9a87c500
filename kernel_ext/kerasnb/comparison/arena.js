// kerasnb backend arena (anywidget ESM): a compare watched live, one column per
// backend, every backend's curves overlaid in one chart per metric.
//
// The kernel sends each backend's new points ("points" messages, the live
// training view's own format) and keeps `columns` (status, progress, stdout,
// timing) up to date. Stores, charts and progress text come from drawing.js,
// el() from common.js. A view that appears late says "ready" and is sent
// everything again; a finished arena draws from `snapshot`.

const arenas = new Map(); // run_id -> { stores: {backend: store}, fits: {backend: fit}, listeners }

function arenaFor(model) {
  const id = model.get("run_id");
  let arena = arenas.get(id);
  if (!arena) {
    arena = { stores: {}, fits: {}, listeners: new Set() };
    arenas.set(id, arena);
  }
  return arena;
}

function take(arena, msg) {
  if (msg.type === "reset") {
    arena.stores = {}; arena.fits = {};
    return;
  }
  if (msg.type !== "points" || !msg.points) return;
  if (arena.fits[msg.backend] !== msg.fit || !arena.stores[msg.backend]) {
    arena.stores[msg.backend] = newStore(); // a new fit of the cell: its own curves
    arena.fits[msg.backend] = msg.fit;
  }
  applyPoints(arena.stores[msg.backend], msg.points);
}

function initialize({ model }) {
  const arena = arenaFor(model);
  const id = model.get("run_id");
  const changed = () => arena.listeners.forEach((fn) => fn());
  for (const msg of model.get("snapshot") || []) take(arena, msg);
  model.on("msg:custom", (msg) => { take(arena, msg); changed(); });
  if (!model.get("done")) model.send({ type: "ready" });
  return () => arenas.delete(id);
}

function column(backend, color, onStop) {
  const box = el("div", "kn-column");
  box.dataset.backend = backend;
  box.style.borderTopColor = color;
  const head = el("div", "kn-column-head");
  const name = el("b", "kn-backend", backend);
  const status = el("span", "kn-col-status");
  const stop = el("button", "kn-stop", "Stop");
  stop.title = `End ${backend}'s fit after the current batch (what it computed is kept)`;
  stop.addEventListener("click", () => onStop(backend, stop));
  head.append(name, status, stop);
  const progress = el("div", "kn-col-progress");
  const timing = el("table", "kn-col-timing");
  const out = el("pre", "kn-col-stdout");
  box.append(head, progress, timing, out);
  return { box, status, stop, progress, timing, out };
}

function drawColumn(col, data, canStop, done) {
  const state = data.status || "";
  col.box.dataset.status = state;
  col.status.textContent = data.label || state;
  col.progress.textContent = data.progress ? progressText(data.progress) : "";
  col.stop.hidden = done || !canStop;
  col.stop.disabled = col.stop.dataset.sent === "1" || !(state === "running" || state === "starting");
  col.timing.replaceChildren(...(data.timing || []).map(([label, text]) => {
    const tr = el("tr");
    tr.append(el("td", "", label), el("td", "", text));
    return tr;
  }));
  col.out.textContent = [data.stdout || "", data.error || ""].filter(Boolean).join("\n");
  col.out.hidden = !col.out.textContent;
}

function render({ model, el: host }) {
  const arena = arenaFor(model);
  const ui = { log: false, smoothing: 0.6, hover: null };
  const root = el("div", "kerasnb-arena kerasnb-live");
  const top = el("div", "kn-head");
  const title = el("span", "kn-title", "keras_compare");
  const stopAll = el("button", "kn-stop kn-stop-all", "Stop all");
  top.append(title, stopAll);
  const columnsBox = el("div", "kn-columns");
  const controls = el("div", "kn-controls");
  const logBox = el("input"), smoothBox = el("input");
  logBox.type = "checkbox"; logBox.className = "kn-log";
  Object.assign(smoothBox, { type: "range", min: "0", max: "0.99", step: "0.01", value: String(ui.smoothing), className: "kn-smoothing" });
  const logLabel = el("label", "", " log scale"), smoothLabel = el("label", "", "smoothing ");
  logLabel.prepend(logBox); smoothLabel.append(smoothBox);
  controls.append(logLabel, smoothLabel);
  const legend = el("div", "kn-legend");
  const charts = el("div", "kn-charts");
  const verdict = el("div", "kn-verdict");
  const table = el("div", "kn-table-html");
  root.append(top, columnsBox, controls, legend, charts, verdict, table);
  host.appendChild(root);

  const send = (backend, button) => {
    button.dataset.sent = "1";
    button.textContent = "Stopping…";
    model.send({ type: "stop", backend });
  };
  const cols = {};
  for (const backend of model.get("backends")) {
    cols[backend] = column(backend, model.get("colors")[backend] || "#888", send);
    columnsBox.appendChild(cols[backend].box);
  }
  stopAll.addEventListener("click", () => send("*", stopAll));

  let frame = 0, shownTable = null;
  const draw = () => {
    frame = 0;
    const columns = model.get("columns") || {};
    const done = model.get("done"), canStop = model.get("can_stop");
    for (const [backend, col] of Object.entries(cols)) drawColumn(col, columns[backend] || {}, canStop, done);
    stopAll.hidden = done || !canStop;
    root.dataset.done = String(done);
    const colors = model.get("colors");
    // In the compare's backend order (the columns'), not in the order the first batches arrived.
    const runs = Object.keys(cols).filter((backend) => arena.stores[backend])
      .map((backend) => ({ store: arena.stores[backend], label: backend, color: colors[backend] }));
    root.dataset.batchPoints = String(runs.reduce((n, r) => n + r.store.x.length, 0));
    legend.replaceChildren(...runs.map((r) => {
      const item = el("span", "kn-legend-item", r.label);
      item.style.color = r.color;
      return item;
    }));
    const names = [...new Set(runs.flatMap((r) => r.store.panels))];
    const boxes = names.map((name, i) => charts.children[i] || charts.appendChild(el("div", "kn-box")));
    while (charts.children.length > names.length) charts.lastChild.remove();
    names.forEach((name, i) => drawChart(boxes[i], runs.filter((r) => r.store.panels.includes(name)), name, ui));
    verdict.textContent = model.get("verdict") || "";
    // kerasnb's own table (comparison/view.py escapes every value), the static twin's.
    if (shownTable !== model.get("table_html")) {
      shownTable = model.get("table_html");
      table.innerHTML = shownTable;
    }
  };
  const later = () => { if (!frame) frame = requestAnimationFrame(draw); };
  logBox.addEventListener("change", () => { ui.log = logBox.checked; later(); });
  smoothBox.addEventListener("input", () => { ui.smoothing = Number(smoothBox.value); later(); });
  const traits = ["columns", "can_stop", "verdict", "done", "table_html"];
  for (const name of traits) model.on(`change:${name}`, later);
  arena.listeners.add(later);
  draw();
  return () => {
    arena.listeners.delete(later);
    for (const name of traits) model.off(`change:${name}`, later);
    if (frame) cancelAnimationFrame(frame);
  };
}

export default { initialize, render };

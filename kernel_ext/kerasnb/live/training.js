// kerasnb live training view (anywidget ESM): one run's curves, progress and Stop.
//
// The kernel sends only new points ("points" messages) and a small `progress`
// dict; points live in a per-model store so every view of the widget (and a
// view that appears late) draws the same data. A view that appears while the
// kernel trains says "ready" once and the kernel replays everything to it.
// The drawing (stores, charts, progress text) comes from drawing.js, el() and
// fmtValue() from common.js.

// anywidget hands `initialize` and each `render` different model proxies, so
// the points are kept per widget under the id the kernel gave it.
const stores = new Map();

function storeFor(model) {
  const id = model.get("run_id");
  let store = stores.get(id);
  if (!store) {
    store = newStore();
    stores.set(id, store);
  }
  return store;
}

function drawTable(node, table) {
  node.replaceChildren();
  if (!table || !table.rows || !table.rows.length) return;
  const t = el("table", "kn-table"), head = el("tr");
  table.header.forEach((h) => head.appendChild(el("th", "", h)));
  t.appendChild(head);
  for (const row of table.rows) {
    const tr = el("tr");
    row.forEach((c) => tr.appendChild(el("td", "", c)));
    t.appendChild(tr);
  }
  node.appendChild(t);
}

function initialize({ model }) {
  const store = storeFor(model);
  const id = model.get("run_id");
  applyPoints(store, model.get("snapshot"));
  model.on("change:snapshot", () => applyPoints(store, model.get("snapshot")));
  model.on("msg:custom", (msg) => applyPoints(store, msg));
  // Ask to be caught up: points sent before this model existed were not seen.
  // (A kernel whose run is over ignores this; the snapshot has it all.)
  const state = (model.get("progress") || {}).state;
  if (state === undefined || state === "running") model.send({ type: "ready" });
  return () => stores.delete(id); // the widget is gone: free its points
}

function render({ model, el: host }) {
  const store = storeFor(model);
  const ui = { log: false, smoothing: 0.6, hover: null };
  const root = el("div", "kerasnb-live");
  const head = el("div", "kn-head");
  const title = el("span", "kn-title");
  const bar = el("div", "kn-progress"), fill = el("div", "kn-fill");
  const status = el("span", "kn-status");
  const stop = el("button", "kn-stop", "Stop");
  const controls = el("div", "kn-controls");
  const logBox = el("input"), smoothBox = el("input");
  const charts = el("div", "kn-charts"), tableBox = el("div", "kn-final");
  logBox.type = "checkbox"; logBox.className = "kn-log";
  Object.assign(smoothBox, { type: "range", min: "0", max: "0.99", step: "0.01", value: String(ui.smoothing), className: "kn-smoothing" });
  const logLabel = el("label", "", " log scale"), smoothLabel = el("label", "", "smoothing ");
  logLabel.prepend(logBox); smoothLabel.append(smoothBox);
  controls.append(logLabel, smoothLabel);
  bar.appendChild(fill);
  head.append(title, bar, status, stop);
  root.append(head, controls, charts, tableBox);
  host.appendChild(root);

  let frame = 0;
  const draw = () => {
    frame = 0;
    const p = model.get("progress") || {};
    const kind = model.get("kind");
    title.textContent = model.get("title") || kind;
    status.textContent = progressText(p);
    const f = fraction(p);
    bar.classList.toggle("kn-unknown", f === null && p.state === "running");
    fill.style.width = `${Math.round((f === null ? (p.state === "running" ? 1 : 0) : f) * 100)}%`;
    const running = p.state === "running";
    stop.disabled = !running || !model.get("can_stop") || stop.dataset.sent === "1";
    stop.hidden = kind !== "fit";
    stop.title = model.get("stop_hint") || "End training after the current batch (weights and history are kept)";
    controls.hidden = kind !== "fit";
    Object.assign(root.dataset, {
      state: p.state || "", kind, phase: p.phase || "",
      batchPoints: String(store.x.length), epochPoints: String(store.epochs.length),
    });
    if (kind === "fit") {
      const names = store.panels;
      const boxes = names.map((name, i) => charts.children[i] || charts.appendChild(el("div", "kn-box")));
      while (charts.children.length > names.length) charts.lastChild.remove();
      names.forEach((name, i) => drawChart(boxes[i], [{ store }], name, ui));
    }
    drawTable(tableBox, model.get("table"));
  };
  const later = () => { if (!frame) frame = requestAnimationFrame(draw); };
  stop.addEventListener("click", () => {
    stop.dataset.sent = "1";
    stop.textContent = "Stopping…";
    model.send({ type: "stop" });
    later();
  });
  logBox.addEventListener("change", () => { ui.log = logBox.checked; later(); });
  smoothBox.addEventListener("input", () => { ui.smoothing = Number(smoothBox.value); later(); });
  for (const name of ["progress", "can_stop", "table", "title"]) model.on(`change:${name}`, later);
  store.listeners.add(later);
  draw();
  return () => {
    store.listeners.delete(later);
    for (const name of ["progress", "can_stop", "table", "title"]) model.off(`change:${name}`, later);
    if (frame) cancelAnimationFrame(frame);
  };
}

export default { initialize, render };

// kerasnb's live drawing: one store of points per run, and the SVG charts that
// draw one or several stores overlaid (the live training view draws one run;
// the backend arena draws one run per backend). Plain SVG, nothing fetched.
// kerasnb/shared/assets.py puts this file after common.js and before the view.

const SVG = "http://www.w3.org/2000/svg";
const W = 360, H = 210, M = { l: 50, r: 10, t: 20, b: 28 };

function newStore() {
  return { x: [], epoch: [], metrics: {}, epochs: [], panels: [], listeners: new Set() };
}

// "NaN" / "Infinity" travel as strings (JSON has no NaN); null is "no value".
const num = (v) => (v === null || v === undefined ? null : typeof v === "string" ? Number(v) : v);

// Take in one "points" message (MetricStream.take_points): increments, or a reset.
function applyPoints(store, msg) {
  if (!msg || msg.type !== "points") return;
  if (msg.reset) {
    store.x = []; store.epoch = []; store.metrics = {}; store.epochs = [];
  }
  if (msg.panels) store.panels = msg.panels; // which metrics to chart, in order: the kernel decides
  const b = msg.batches || { x: [], epoch: [], metrics: {} };
  const before = store.x.length, added = b.x.length;
  for (const [name, values] of Object.entries(b.metrics || {})) {
    if (!store.metrics[name]) store.metrics[name] = new Array(before).fill(null);
    for (const v of values) store.metrics[name].push(num(v));
  }
  for (const column of Object.values(store.metrics)) {
    while (column.length < before + added) column.push(null);
  }
  // Loops, not push(...array): a catch-up message can carry 100k+ points.
  for (const v of b.x) store.x.push(v);
  for (const v of b.epoch) store.epoch.push(v);
  for (const row of msg.epochs || []) {
    const logs = {};
    for (const [k, v] of Object.entries(row.logs)) logs[k] = num(v);
    store.epochs.push({ epoch: row.epoch, x: row.x, logs });
  }
  store.listeners.forEach((fn) => fn());
}

function svg(tag, attrs, parent) {
  const node = document.createElementNS(SVG, tag);
  for (const [k, v] of Object.entries(attrs || {})) node.setAttribute(k, String(v));
  if (parent) parent.appendChild(node);
  return node;
}

function fmtTime(s) {
  if (s === null || s === undefined) return "?";
  if (s < 60) return `${s.toFixed(1)} s`;
  const m = Math.floor(s / 60);
  return m < 60 ? `${m} min ${Math.round(s % 60)} s` : `${Math.floor(m / 60)} h ${m % 60} min`;
}

function progressText(p) {
  if (!p || !p.kind) return "";
  if (p.state && p.state !== "running") return p.message || `${p.kind} ${p.state}`;
  const steps = p.steps ? `/${p.steps}` : "";
  const parts = [];
  if (p.kind === "fit") parts.push(`epoch ${p.epoch + 1}/${p.epochs}`);
  if (p.phase === "validate") parts.push(`validating step ${p.val_step}${p.val_steps ? "/" + p.val_steps : ""}`);
  else parts.push(`step ${p.step}${steps}`);
  if (p.rate) parts.push(`${p.rate >= 100 ? Math.round(p.rate) : p.rate.toPrecision(3)} steps/s`);
  if (p.eta_s !== null && p.eta_s !== undefined) parts.push(`ETA ${fmtTime(p.eta_s)}`);
  if (p.learning_rate !== null && p.learning_rate !== undefined) parts.push(`lr ${fmtValue(num(p.learning_rate))}`);
  return parts.join(" · ");
}

function fraction(p) {
  if (!p || !p.kind) return 0;
  if (p.state === "finished") return 1;
  if (!p.steps) return null;
  const done = p.kind === "fit" ? p.epoch + Math.min(p.step / p.steps, 1) : p.step / p.steps;
  return Math.max(0, Math.min(1, done / (p.kind === "fit" ? p.epochs : 1)));
}

// Exponential moving average with TensorBoard's debiasing; bad values pass through.
function smooth(values, weight) {
  if (!weight) return values;
  let last = 0, n = 0;
  return values.map((v) => {
    if (v === null || !Number.isFinite(v)) return v;
    last = last * weight + (1 - weight) * v;
    n += 1;
    return last / (1 - Math.pow(weight, n));
  });
}

function niceTicks(lo, hi, count) {
  const span = hi - lo || Math.abs(hi) || 1;
  const raw = span / count, mag = Math.pow(10, Math.floor(Math.log10(raw)));
  const step = [1, 2, 5, 10].map((f) => f * mag).find((s) => s >= raw) || mag * 10;
  const ticks = [];
  for (let t = Math.ceil(lo / step) * step; t <= hi + step * 1e-9; t += step) ticks.push(Number(t.toPrecision(12)));
  return ticks;
}

// The series of one metric from one store: raw batches, smoothed, per-epoch
// train and validation. `run` = {store, label, color} (color and label only
// when several runs are overlaid).
function seriesFor(run, name, weight) {
  const { store, label = "", color = null } = run;
  const raw = store.metrics[name] || [];
  const epochRows = (key) => store.epochs.filter((r) => key in r.logs);
  const train = epochRows(name), val = epochRows(`val_${name}`);
  const named = (text) => (label ? `${label}: ${text}` : text);
  return [
    { cls: "kn-batch", xs: store.x, ys: raw, label: named(name), color },
    { cls: "kn-smooth", xs: store.x, ys: smooth(raw, weight), label: named(`${name} (smoothed)`), skip: !weight, color },
    { cls: "kn-epoch", xs: train.map((r) => r.x), ys: train.map((r) => r.logs[name]), label: named(`${name} (epoch)`), dots: true, color },
    { cls: "kn-val", xs: val.map((r) => r.x), ys: val.map((r) => r.logs[`val_${name}`]), label: named(`val_${name}`), dots: true, color },
  ].filter((s) => !s.skip && s.ys.length);
}

// Index of the element of sorted `xs` nearest to `x`.
function nearest(xs, x) {
  let lo = 0, hi = xs.length - 1;
  if (hi < 0) return -1;
  while (hi - lo > 1) {
    const mid = (lo + hi) >> 1;
    if (xs[mid] < x) lo = mid; else hi = mid;
  }
  return Math.abs(xs[lo] - x) <= Math.abs(xs[hi] - x) ? lo : hi;
}

function pathOf(s, sx, sy, ok) {
  // At most about two points per pixel: a long run stays cheap to redraw.
  const n = s.xs.length, stride = Math.max(1, Math.ceil(n / (2 * (W - M.l - M.r))));
  const picked = [];
  for (let i = 0; i < n; i += stride) picked.push(i);
  if (n && picked[picked.length - 1] !== n - 1) picked.push(n - 1);
  let d = "", pen = "M";
  for (const i of picked) {
    if (!ok(s.ys[i])) { pen = "M"; continue; }
    d += `${pen}${sx(s.xs[i]).toFixed(1)},${sy(s.ys[i]).toFixed(1)}`;
    pen = "L";
  }
  return d;
}

function yRange(series, ui, ok) {
  const ys = series.flatMap((s) => s.ys.filter(ok));
  if (!ys.length) return [0, 1];
  const tf = ui.log ? Math.log10 : (v) => v;
  let lo = tf(ys.reduce((a, v) => Math.min(a, v))), hi = tf(ys.reduce((a, v) => Math.max(a, v)));
  if (hi - lo < 1e-12) { lo -= 0.5; hi += 0.5; }
  const pad = (hi - lo) * 0.05;
  return [lo - pad, hi + pad];
}

// One chart of metric `name` with the series of every run in `runs`, overlaid.
function drawChart(box, runs, name, ui) {
  const series = runs.flatMap((run) => seriesFor(run, name, ui.smoothing));
  const ok = (v) => v !== null && Number.isFinite(v) && (!ui.log || v > 0);
  const xMax = Math.max(1, ...series.map((s) => s.xs[s.xs.length - 1] || 0));
  const [lo, hi] = yRange(series, ui, ok);
  const tf = ui.log ? Math.log10 : (v) => v;
  const sx = (x) => M.l + (x / xMax) * (W - M.l - M.r);
  const sy = (y) => H - M.b - ((tf(y) - lo) / (hi - lo)) * (H - M.t - M.b);
  box.replaceChildren();
  const root = svg("svg", { viewBox: `0 0 ${W} ${H}`, width: W, height: H, class: "kn-chart", "data-metric": name }, box);
  svg("text", { x: M.l, y: 13, class: "kn-chart-title" }, root).textContent = name + (ui.log ? " (log scale)" : "");
  let yTicks = niceTicks(lo, hi, 4);
  if (ui.log && yTicks.filter(Number.isInteger).length >= 2) yTicks = yTicks.filter(Number.isInteger);
  for (const t of yTicks) {
    const y = ui.log ? Math.pow(10, t) : t;
    svg("line", { x1: M.l, x2: W - M.r, y1: sy(y), y2: sy(y), class: "kn-grid" }, root);
    svg("text", { x: M.l - 4, y: sy(y) + 3, class: "kn-tick kn-ytick" }, root).textContent = fmtValue(y);
  }
  for (const t of niceTicks(0, xMax, 4)) {
    svg("text", { x: sx(t), y: H - M.b + 13, class: "kn-tick kn-xtick" }, root).textContent = String(t);
  }
  svg("text", { x: W - M.r, y: H - 3, class: "kn-tick kn-xlabel" }, root).textContent = "step";
  let bad = 0;
  for (const s of series) {
    const line = svg("path", { d: pathOf(s, sx, sy, ok), class: `kn-line ${s.cls}` }, root);
    if (s.color) line.style.stroke = s.color;
    s.xs.forEach((x, i) => {
      const v = s.ys[i];
      if (s.dots && ok(v)) {
        const dot = svg("circle", { cx: sx(x), cy: sy(v), r: 2.5, class: `kn-dot ${s.cls}` }, root);
        if (s.color) dot.style.fill = s.color;
      }
      if (v !== null && !Number.isFinite(v) && s.cls !== "kn-smooth") {
        bad += 1;
        const mark = svg("path", { d: `M${sx(x) - 4},${M.t} l8,0 l-4,7 z`, class: "kn-bad" }, root);
        svg("title", {}, mark).textContent = `${s.label} is ${fmtValue(v)} at step ${x}`;
      }
    });
  }
  root.setAttribute("data-bad-points", String(bad));
  hover(box, root, series, sx, xMax, name, ui);
}

// Hover: a cursor line and the values of every series at the nearest step.
// The position is kept in `ui` so that a redraw (new points) keeps the tip.
function hover(box, root, series, sx, xMax, name, ui) {
  const tip = el("div", "kn-tip");
  const cursor = svg("line", { y1: M.t, y2: H - M.b, class: "kn-cursor", visibility: "hidden" }, root);
  const area = svg("rect", { x: M.l, y: M.t, width: W - M.l - M.r, height: H - M.t - M.b, class: "kn-hover" }, root);
  box.appendChild(tip);
  const showAt = (px) => {
    const x = ((px - M.l) / (W - M.l - M.r)) * xMax;
    const lines = [];
    let at = null;
    for (const s of series) {
      const i = nearest(s.xs, x);
      if (i < 0) continue;
      if (at === null || s.cls === "kn-batch") at = s.xs[i];
      lines.push(`${s.label}: ${fmtValue(s.ys[i])}`);
    }
    if (at === null) return;
    cursor.setAttribute("x1", sx(at)); cursor.setAttribute("x2", sx(at));
    cursor.setAttribute("visibility", "visible");
    tip.textContent = [`step ${at}`, ...lines].join("\n");
    tip.style.display = "block";
    tip.style.left = `${Math.min(px + 12, W - 150)}px`;
  };
  area.addEventListener("mousemove", (event) => {
    const rect = root.getBoundingClientRect();
    ui.hover = { name, px: ((event.clientX - rect.left) / rect.width) * W };
    showAt(ui.hover.px);
  });
  area.addEventListener("mouseleave", () => {
    ui.hover = null;
    tip.style.display = "none";
    cursor.setAttribute("visibility", "hidden");
  });
  if (ui.hover && ui.hover.name === name) showAt(ui.hover.px);
}


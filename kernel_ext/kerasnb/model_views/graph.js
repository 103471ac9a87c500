// Live model graph: shows the SVG Graphviz laid out in the kernel (`svg`),
// pans (drag) and zooms (buttons, ctrl/pinch + wheel), shows a layer's
// details on click (`selected`) and opens or closes nested models
// (`expanded`, which makes the kernel lay the graph out again).
// Text goes in through textContent only; the SVG comes from `dot`, whose
// labels kerasnb escaped.

// el(), fmtCount() and jsonTrait() come from common.js.
const PREFIX = "kn-";
const MIN_SCALE = 0.05;
const MAX_SCALE = 4;

function facts(layer) {
  const rows = [
    ["Kind", layer.model_kind ? `${layer.kind} (${layer.model_kind})` : layer.kind],
    ["Input shape", layer.input_shape],
    ["Output shape", layer.output_shape],
    ["Output dtype", layer.output_dtype],
    ["Variable dtype", layer.dtype],
    ["Dtype policy", layer.dtype_policy],
    ["Params", fmtCount(layer.params) + (layer.built ? "" : " (unbuilt)")],
    ["Trainable params", fmtCount(layer.trainable_params)],
    ["Non-trainable params", fmtCount(layer.non_trainable_params)],
    ["Trainable", layer.has_weights ? (layer.trainable ? "yes" : "no (frozen)") : null],
    ["Activation", layer.activation],
    ["LoRA", layer.lora_rank ? `enabled, rank ${layer.lora_rank}` : null],
    ["Quantized", layer.quantization],
    ["Connected to", layer.connected_to.length ? layer.connected_to.join(", ") : null],
  ];
  return rows.filter(([, value]) => value !== null && value !== undefined && value !== "");
}

function factTable(rows, className) {
  const table = el("table", className);
  for (const cells of rows) {
    const tr = el("tr");
    for (const cell of cells) tr.appendChild(el("td", "", String(cell)));
    table.appendChild(tr);
  }
  return table;
}

function weightsSection(layer) {
  const section = el("div", "kn-weights");
  section.appendChild(el("h4", "", "Weights"));
  const rows = [["path", "shape", "dtype", "trainable"]].concat(
    layer.weights.map((w) => [w.path, `(${w.shape.join(", ")})`, w.dtype, w.trainable ? "yes" : "no"]),
  );
  section.appendChild(factTable(rows, "kn-weight-table"));
  if (layer.more_weights) section.appendChild(el("div", "kn-more", `and ${layer.more_weights} more`));
  return section;
}

function configSection(layer) {
  const section = el("div", "kn-config");
  section.appendChild(el("h4", "", "Config"));
  let text = layer.config;
  try {
    text = JSON.stringify(JSON.parse(layer.config), null, 2);
  } catch (err) {
    // keep the raw text
  }
  section.appendChild(el("pre", "", text));
  return section;
}

const EMPTY_DETAILS = "Click a layer to see its shapes, weights and config.";
const TOOLBAR = [
  ["out", "−", "zoom out"],
  ["in", "+", "zoom in"],
  ["fit", "fit", "fit the graph in view"],
  ["open", "open all", "open every nested model"],
  ["close", "close all", "close every nested model"],
];

// The widget's elements: toolbar, error line, pannable viewport, details panel.
function buildFrame(host) {
  const root = el("div", "kerasnb-graph-widget");
  const toolbar = el("div", "kn-toolbar");
  const buttons = {};
  for (const [key, label, tip] of TOOLBAR) {
    buttons[key] = el("button", `kn-${key}`, label);
    buttons[key].title = tip;
    toolbar.appendChild(buttons[key]);
  }
  toolbar.appendChild(el("span", "kn-hint", "drag to pan · ctrl+wheel to zoom · click a layer"));
  const error = el("div", "kn-error");
  const main = el("div", "kn-main");
  const viewport = el("div", "kn-viewport");
  const stage = el("div", "kn-stage");
  viewport.appendChild(stage);
  const details = el("aside", "kn-details");
  main.append(viewport, details);
  root.append(toolbar, error, main);
  host.appendChild(root);
  return { root, buttons, error, viewport, stage, details };
}

// Pan and zoom of `stage` inside `viewport`, as a CSS transform.
function panZoom(viewport, stage) {
  const view = { scale: 1, x: 0, y: 0, width: 1, height: 1 };
  const apply = () => {
    stage.style.transform = `translate(${view.x}px, ${view.y}px) scale(${view.scale})`;
    stage.dataset.scale = view.scale.toFixed(4);
  };
  const fit = () => {
    const w = viewport.clientWidth || 600;
    const h = viewport.clientHeight || 400;
    view.scale = Math.max(MIN_SCALE, Math.min(1, (w - 16) / view.width, (h - 16) / view.height));
    view.x = (w - view.width * view.scale) / 2;
    view.y = 8;
    apply();
  };
  const zoomAt = (factor, cx, cy) => {
    const next = Math.min(MAX_SCALE, Math.max(MIN_SCALE, view.scale * factor));
    view.x = cx - ((cx - view.x) * next) / view.scale;
    view.y = cy - ((cy - view.y) * next) / view.scale;
    view.scale = next;
    apply();
  };
  const zoomCentered = (factor) => zoomAt(factor, viewport.clientWidth / 2, viewport.clientHeight / 2);
  return { view, apply, fit, zoomAt, zoomCentered };
}

// Drag to pan; a press that barely moves is a click (select), a double click
// on a nested model opens or closes it, ctrl/cmd + wheel zooms at the pointer.
function bindPointer(viewport, pz, onSelect, onToggle) {
  let drag = null;
  viewport.addEventListener("pointerdown", (event) => {
    if (event.button !== 0) return;
    drag = { x: event.clientX, y: event.clientY, vx: pz.view.x, vy: pz.view.y, moved: false };
  });
  viewport.addEventListener("pointermove", (event) => {
    if (!drag) return;
    const dx = event.clientX - drag.x;
    const dy = event.clientY - drag.y;
    if (!drag.moved && Math.hypot(dx, dy) < 4) return;
    if (!drag.moved) viewport.setPointerCapture?.(event.pointerId);
    drag.moved = true;
    pz.view.x = drag.vx + dx;
    pz.view.y = drag.vy + dy;
    pz.apply();
  });
  const endDrag = (event) => {
    if (drag?.moved) viewport.releasePointerCapture?.(event.pointerId);
    const moved = drag?.moved;
    drag = null;
    return moved;
  };
  const layerAt = (event, selector) => {
    const target = event.target.closest?.(selector);
    return target && target.id.startsWith(PREFIX) ? target.id.slice(PREFIX.length) : null;
  };
  viewport.addEventListener("pointerup", (event) => {
    if (endDrag(event)) return;
    const id = layerAt(event, "g.node, g.cluster");
    if (id) onSelect(id);
  });
  viewport.addEventListener("pointercancel", endDrag);
  viewport.addEventListener("dblclick", (event) => {
    const id = layerAt(event, "g.node.kn-model, g.cluster");
    if (id) onToggle(id);
  });
  viewport.addEventListener(
    "wheel",
    (event) => {
      if (!event.ctrlKey && !event.metaKey) return; // let the notebook scroll
      event.preventDefault();
      const rect = viewport.getBoundingClientRect();
      pz.zoomAt(Math.exp(-event.deltaY / 300), event.clientX - rect.left, event.clientY - rect.top);
    },
    { passive: false },
  );
}

// The selected layer's facts, weights and config (or a hint when none is).
function drawDetails(details, layer, isOpen, onToggle) {
  details.replaceChildren();
  if (!layer) {
    details.appendChild(el("div", "kn-empty", EMPTY_DETAILS));
    return;
  }
  const head = el("h3", "kn-detail-title");
  head.append(el("span", "kn-layer-name", layer.name), el("span", "kn-class", ` (${layer.class_name})`));
  details.appendChild(head);
  if (layer.kind === "model") {
    const button = el("button", "kn-expand", isOpen ? "Close nested model" : "Open nested model");
    button.addEventListener("click", () => onToggle(layer.id));
    details.appendChild(button);
  }
  details.appendChild(factTable(facts(layer), "kn-facts"));
  if (layer.weights.length) details.appendChild(weightsSection(layer));
  if (layer.config) details.appendChild(configSection(layer));
}

// Put the SVG `dot` made into the stage; returns its size, or null if unreadable.
function drawSvg(stage, text) {
  const svg = new DOMParser().parseFromString(text, "image/svg+xml").documentElement;
  if (!svg || svg.nodeName !== "svg") {
    stage.replaceChildren(el("div", "kn-error", "the graph's SVG could not be read"));
    return null;
  }
  const box = (svg.getAttribute("viewBox") || "0 0 100 100").split(/\s+/).map(Number);
  const size = { width: box[2] || 100, height: box[3] || 100 };
  svg.setAttribute("width", String(size.width));
  svg.setAttribute("height", String(size.height));
  stage.replaceChildren(document.importNode(svg, true));
  return size;
}

function highlight(stage, selected) {
  for (const g of stage.querySelectorAll(".kn-selected")) g.classList.remove("kn-selected");
  if (selected) stage.querySelector(`[id="${PREFIX}${CSS.escape(selected)}"]`)?.classList.add("kn-selected");
}

function render({ model, el: host }) {
  const frame = buildFrame(host);
  const pz = panZoom(frame.viewport, frame.stage);
  const layers = () => new Map(jsonTrait(model, "data").layers.map((l) => [l.id, l]));
  const nestedIds = () => jsonTrait(model, "data").layers.filter((l) => l.kind === "model").map((l) => l.id);
  const setExpanded = (ids) => {
    model.set("expanded", ids);
    model.save_changes();
  };
  const toggleOpen = (id) => {
    const open = new Set(model.get("expanded"));
    if (open.has(id)) open.delete(id);
    else open.add(id);
    setExpanded([...open]);
  };
  const select = (id) => {
    model.set("selected", id);
    model.save_changes();
  };

  const showDetails = () => {
    const selected = model.get("selected");
    drawDetails(frame.details, layers().get(selected), model.get("expanded").includes(selected), toggleOpen);
  };
  const showSvg = () => {
    const size = drawSvg(frame.stage, model.get("svg"));
    if (!size) return;
    Object.assign(pz.view, size);
    highlight(frame.stage, model.get("selected"));
    pz.fit(); // a new layout (a model opened or closed) can change size a lot
  };
  const showError = () => {
    frame.error.textContent = model.get("error");
    frame.error.hidden = !model.get("error");
  };
  const onSelected = () => {
    highlight(frame.stage, model.get("selected"));
    showDetails();
  };

  bindPointer(frame.viewport, pz, select, toggleOpen);
  const { buttons } = frame;
  buttons.in.addEventListener("click", () => pz.zoomCentered(1.25));
  buttons.out.addEventListener("click", () => pz.zoomCentered(0.8));
  buttons.fit.addEventListener("click", pz.fit);
  buttons.open.addEventListener("click", () => setExpanded(nestedIds()));
  buttons.close.addEventListener("click", () => setExpanded([]));
  buttons.open.hidden = buttons.close.hidden = nestedIds().length === 0;

  const handlers = { svg: showSvg, selected: onSelected, expanded: showDetails, error: showError };
  for (const [name, fn] of Object.entries(handlers)) model.on(`change:${name}`, fn);
  showError();
  showDetails();
  // Fit once the view has a size; it may be attached after render returns.
  requestAnimationFrame(showSvg);
  showSvg();
  return () => {
    for (const [name, fn] of Object.entries(handlers)) model.off(`change:${name}`, fn);
  };
}

export default { render };

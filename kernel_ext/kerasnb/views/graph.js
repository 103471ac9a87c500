// Live model graph: shows the SVG Graphviz laid out in the kernel (`svg`),
// pans (drag) and zooms (buttons, ctrl/pinch + wheel), shows a layer's
// details on click (`selected`) and opens or closes nested models
// (`expanded`, which makes the kernel lay the graph out again).
// Text goes in through textContent only; the SVG comes from `dot`, whose
// labels kerasnb escaped.

// modelData() and el() come from common.js.
const fmt = (n) => Number(n).toLocaleString("en-US");
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
    ["Params", fmt(layer.params) + (layer.built ? "" : " (unbuilt)")],
    ["Trainable params", fmt(layer.trainable_params)],
    ["Non-trainable params", fmt(layer.non_trainable_params)],
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

function render({ model, el: host }) {
  const root = el("div", "kerasnb-graph-widget");
  const toolbar = el("div", "kn-toolbar");
  const buttons = {};
  for (const [key, label, tip] of [
    ["out", "−", "zoom out"],
    ["in", "+", "zoom in"],
    ["fit", "fit", "fit the graph in view"],
    ["open", "open all", "open every nested model"],
    ["close", "close all", "close every nested model"],
  ]) {
    buttons[key] = el("button", `kn-${key}`, label);
    buttons[key].title = tip;
    toolbar.appendChild(buttons[key]);
  }
  const hint = el("span", "kn-hint", "drag to pan · ctrl+wheel to zoom · click a layer");
  toolbar.appendChild(hint);
  const error = el("div", "kn-error");
  const main = el("div", "kn-main");
  const viewport = el("div", "kn-viewport");
  const stage = el("div", "kn-stage");
  viewport.appendChild(stage);
  const details = el("aside", "kn-details");
  details.appendChild(el("div", "kn-empty", "Click a layer to see its shapes, weights and config."));
  main.append(viewport, details);
  root.append(toolbar, error, main);
  host.appendChild(root);

  const view = { scale: 1, x: 0, y: 0, width: 1, height: 1 };
  const apply = () => {
    stage.style.transform = `translate(${view.x}px, ${view.y}px) scale(${view.scale})`;
  };
  const fit = () => {
    const w = viewport.clientWidth || 600;
    const h = viewport.clientHeight || 400;
    view.scale = Math.min(1, (w - 16) / view.width, (h - 16) / view.height);
    view.scale = Math.max(view.scale, MIN_SCALE);
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

  const layers = () => new Map(modelData(model).layers.map((l) => [l.id, l]));
  const nestedIds = () => modelData(model).layers.filter((l) => l.kind === "model").map((l) => l.id);

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

  const highlight = () => {
    const selected = model.get("selected");
    for (const g of stage.querySelectorAll(".kn-selected")) g.classList.remove("kn-selected");
    if (selected) stage.querySelector(`[id="${PREFIX}${CSS.escape(selected)}"]`)?.classList.add("kn-selected");
  };

  const showDetails = () => {
    const layer = layers().get(model.get("selected"));
    details.replaceChildren();
    if (!layer) {
      details.appendChild(el("div", "kn-empty", "Click a layer to see its shapes, weights and config."));
      return;
    }
    const head = el("h3", "kn-detail-title");
    head.append(el("span", "kn-layer-name", layer.name), el("span", "kn-class", ` (${layer.class_name})`));
    details.appendChild(head);
    if (layer.kind === "model") {
      const open = model.get("expanded").includes(layer.id);
      const button = el("button", "kn-expand", open ? "Close nested model" : "Open nested model");
      button.addEventListener("click", () => toggleOpen(layer.id));
      details.appendChild(button);
    }
    details.appendChild(factTable(facts(layer), "kn-facts"));
    if (layer.weights.length) details.appendChild(weightsSection(layer));
    if (layer.config) details.appendChild(configSection(layer));
  };

  const drawSvg = () => {
    const text = model.get("svg");
    const doc = new DOMParser().parseFromString(text, "image/svg+xml");
    const svg = doc.documentElement;
    if (!svg || svg.nodeName !== "svg") {
      stage.replaceChildren(el("div", "kn-error", "the graph's SVG could not be read"));
      return;
    }
    const box = (svg.getAttribute("viewBox") || "0 0 100 100").split(/\s+/).map(Number);
    view.width = box[2] || 100;
    view.height = box[3] || 100;
    svg.setAttribute("width", String(view.width));
    svg.setAttribute("height", String(view.height));
    stage.replaceChildren(document.importNode(svg, true));
    highlight();
    fit(); // a new layout (a model opened or closed) can change size a lot
  };

  // Pan by dragging; a press that barely moves is a click on a layer.
  let drag = null;
  viewport.addEventListener("pointerdown", (event) => {
    if (event.button !== 0) return;
    drag = { x: event.clientX, y: event.clientY, vx: view.x, vy: view.y, moved: false };
  });
  viewport.addEventListener("pointermove", (event) => {
    if (!drag) return;
    const dx = event.clientX - drag.x;
    const dy = event.clientY - drag.y;
    if (!drag.moved && Math.hypot(dx, dy) < 4) return;
    if (!drag.moved) viewport.setPointerCapture?.(event.pointerId);
    drag.moved = true;
    view.x = drag.vx + dx;
    view.y = drag.vy + dy;
    apply();
  });
  const endDrag = (event) => {
    if (drag?.moved) viewport.releasePointerCapture?.(event.pointerId);
    const moved = drag?.moved;
    drag = null;
    return moved;
  };
  viewport.addEventListener("pointerup", (event) => {
    if (endDrag(event)) return;
    const target = event.target.closest?.("g.node, g.cluster");
    if (!target || !target.id.startsWith(PREFIX)) return;
    model.set("selected", target.id.slice(PREFIX.length));
    model.save_changes();
  });
  viewport.addEventListener("pointercancel", endDrag);
  viewport.addEventListener("dblclick", (event) => {
    const target = event.target.closest?.("g.node.kn-model, g.cluster");
    if (target && target.id.startsWith(PREFIX)) toggleOpen(target.id.slice(PREFIX.length));
  });
  viewport.addEventListener(
    "wheel",
    (event) => {
      if (!event.ctrlKey && !event.metaKey) return; // let the notebook scroll
      event.preventDefault();
      const rect = viewport.getBoundingClientRect();
      zoomAt(Math.exp(-event.deltaY / 300), event.clientX - rect.left, event.clientY - rect.top);
    },
    { passive: false },
  );
  const center = () => [viewport.clientWidth / 2, viewport.clientHeight / 2];
  buttons.in.addEventListener("click", () => zoomAt(1.25, ...center()));
  buttons.out.addEventListener("click", () => zoomAt(0.8, ...center()));
  buttons.fit.addEventListener("click", fit);
  buttons.open.addEventListener("click", () => setExpanded(nestedIds()));
  buttons.close.addEventListener("click", () => setExpanded([]));

  const syncButtons = () => {
    const nested = nestedIds().length > 0;
    buttons.open.hidden = !nested;
    buttons.close.hidden = !nested;
  };
  const showError = () => {
    error.textContent = model.get("error");
    error.hidden = !model.get("error");
  };
  const onSelected = () => {
    highlight();
    showDetails();
  };
  const onExpanded = () => showDetails();
  const onSvg = () => drawSvg();

  model.on("change:svg", onSvg);
  model.on("change:selected", onSelected);
  model.on("change:expanded", onExpanded);
  model.on("change:error", showError);
  syncButtons();
  showError();
  showDetails();
  // Fit once the view has a size; it may be attached after render returns.
  requestAnimationFrame(drawSvg);
  drawSvg();
  return () => {
    model.off("change:svg", onSvg);
    model.off("change:selected", onSelected);
    model.off("change:expanded", onExpanded);
    model.off("change:error", showError);
  };
}

export default { render };

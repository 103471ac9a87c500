// Live model summary: draws ModelData (the `data` trait) as a table.
// Nested models fold and unfold (`expanded` trait), a box filters rows by
// layer name (`filter` trait). Text goes in through textContent only, so
// layer names can never become markup.

// modelData() and el() come from common.js.
const fmt = (n) => Number(n).toLocaleString("en-US");

function columns(data) {
  const cols = ["Layer (type)", "Output Shape", "Param #", "Trainable #", "Non-trainable #", "Dtype policy"];
  if (!data.sequential_like) cols.push("Connected to");
  return cols;
}

function badges(layer) {
  const found = [];
  if (layer.lora_rank) found.push(["kn-lora", `LoRA rank ${layer.lora_rank}`]);
  if (layer.quantization) found.push(["kn-quant", `quantized ${layer.quantization}`]);
  if (layer.has_weights && !layer.trainable) found.push(["kn-frozen", "frozen"]);
  return found;
}

function totalsLines(t) {
  const lines = [
    `Total params: ${fmt(t.total)} (${t.total_size})`,
    `Trainable params: ${fmt(t.trainable)} (${t.trainable_size})`,
    `Non-trainable params: ${fmt(t.non_trainable)} (${t.non_trainable_size})`,
  ];
  if (t.optimizer !== null && t.optimizer !== undefined) {
    lines.push(`Optimizer params: ${fmt(t.optimizer)} (${t.optimizer_size})`);
  }
  return lines;
}

// The same rule as views/summary.py `visible_rows`.
function visibleRows(data, filterText, opened) {
  const byId = new Map(data.layers.map((l) => [l.id, l]));
  const needle = filterText.trim().toLowerCase();
  if (!needle) {
    const shown = new Set([null]);
    const rows = [];
    for (const layer of data.layers) {
      if (shown.has(layer.parent)) {
        rows.push(layer);
        if (opened.has(layer.id)) shown.add(layer.id);
      }
    }
    return { rows, matches: new Set() };
  }
  const keep = new Set();
  const matches = new Set();
  for (const layer of data.layers) {
    if (!layer.name.toLowerCase().includes(needle)) continue;
    matches.add(layer.id);
    for (let node = layer; node && !keep.has(node.id); node = byId.get(node.parent)) {
      keep.add(node.id);
    }
  }
  return { rows: data.layers.filter((l) => keep.has(l.id)), matches };
}

function layerCell(layer, opened, filtering, toggle) {
  const td = el("td", "kn-name");
  td.style.paddingLeft = `${0.4 + 1.3 * layer.depth}em`;
  if (layer.kind === "model") {
    const open = filtering || opened.has(layer.id);
    const button = el("button", "kn-toggle", open ? "▾" : "▸");
    button.setAttribute("aria-expanded", String(open));
    button.title = open ? "fold this model" : "show this model's layers";
    button.disabled = filtering;
    button.addEventListener("click", () => toggle(layer.id));
    td.appendChild(button);
  }
  td.appendChild(el("span", "kn-layer-name", layer.name));
  td.appendChild(el("span", "kn-class", ` (${layer.class_name})`));
  for (const [cls, text] of badges(layer)) td.appendChild(el("span", `kn-badge ${cls}`, text));
  return td;
}

function rowCells(layer, data) {
  const params = fmt(layer.params) + (layer.built ? "" : " (unbuilt)");
  const cells = [
    ["kn-shape", layer.output_shape],
    ["kn-num", params],
    ["kn-num", fmt(layer.trainable_params)],
    ["kn-num", fmt(layer.non_trainable_params)],
    ["kn-policy", layer.dtype_policy || "-"],
  ];
  if (!data.sequential_like) cells.push(["kn-conn", layer.connected_to.join(", ") || "-"]);
  return cells.map(([cls, text]) => el("td", cls, text));
}

function render({ model, el: host }) {
  const root = el("div", "kerasnb-summary-widget");
  host.appendChild(root);

  const top = el("div", "kn-top");
  const heading = el("div", "kn-title");
  const search = el("input", "kn-filter");
  search.type = "search";
  search.placeholder = "filter layers by name";
  search.setAttribute("aria-label", "filter layers by name");
  const count = el("span", "kn-count");
  top.append(heading, search, count);
  const table = el("table", "kn-table");
  const thead = el("thead");
  const tbody = el("tbody");
  table.append(thead, tbody);
  const scroller = el("div", "kn-scroll");
  scroller.appendChild(table);
  const foot = el("div", "kn-totals");
  root.append(top, scroller, foot);

  const toggle = (id) => {
    const opened = new Set(model.get("expanded"));
    if (opened.has(id)) opened.delete(id);
    else opened.add(id);
    model.set("expanded", [...opened]);
    model.save_changes();
  };

  const drawRows = () => {
    const data = modelData(model);
    const filterText = model.get("filter") || "";
    const opened = new Set(model.get("expanded"));
    const filtering = filterText.trim() !== "";
    const { rows, matches } = visibleRows(data, filterText, opened);
    tbody.replaceChildren();
    for (const layer of rows) {
      const tr = el("tr", `kn-row kn-kind-${layer.kind}`);
      tr.dataset.layerId = layer.id;
      tr.dataset.depth = String(layer.depth);
      if (matches.has(layer.id)) tr.classList.add("kn-match");
      tr.append(layerCell(layer, opened, filtering, toggle), ...rowCells(layer, data));
      tbody.appendChild(tr);
    }
    count.textContent = filtering
      ? `${matches.size} of ${data.layers.length} layers match`
      : `${data.layers.length} layers`;
    if (search.value !== filterText) search.value = filterText;
  };

  const draw = () => {
    const data = modelData(model);
    heading.replaceChildren(
      el("b", "", `Model: "${data.name}"`),
      el("span", "kn-meta", ` ${data.class_name} · ${data.backend} · Keras ${data.keras_version}`),
    );
    const tr = el("tr");
    for (const name of columns(data)) tr.appendChild(el("th", "", name));
    thead.replaceChildren(tr);
    foot.replaceChildren(...totalsLines(data.totals).map((line) => el("div", "", line)));
    drawRows();
  };

  search.addEventListener("input", () => {
    model.set("filter", search.value);
    model.save_changes();
    drawRows();
  });
  model.on("change:data", draw);
  model.on("change:filter", drawRows);
  model.on("change:expanded", drawRows);
  draw();
  return () => {
    model.off("change:data", draw);
    model.off("change:filter", drawRows);
    model.off("change:expanded", drawRows);
  };
}

export default { render };

// Live model summary: draws the rows the kernel computed (`rows`, `header`,
// `totals`, `count`). Folding a nested model sets `expanded`, typing in the
// box sets `filter`; the kernel answers with new rows. Every rule of the
// table lives in model_views/summary_view.py: this file only draws.
// Text goes in through textContent only, so layer names never become markup.

// el() comes from common.js.

function layerCell(row, opened, filtering, toggle) {
  const td = el("td", "kn-name");
  td.style.paddingLeft = `${0.4 + 1.3 * row.depth}em`;
  if (row.kind === "model") {
    const open = filtering || opened.has(row.id);
    const button = el("button", "kn-toggle", open ? "▾" : "▸");
    button.setAttribute("aria-expanded", String(open));
    button.title = open ? "fold this model" : "show this model's layers";
    button.disabled = filtering;
    button.addEventListener("click", () => toggle(row.id));
    td.appendChild(button);
  }
  td.appendChild(el("span", "kn-layer-name", row.name));
  td.appendChild(el("span", "kn-class", ` (${row.class_name})`));
  for (const [kind, text] of row.notes) td.appendChild(el("span", `kn-badge kn-${kind}`, text));
  return td;
}

const CELL_CLASSES = ["kn-shape", "kn-num", "kn-num", "kn-num", "kn-policy", "kn-conn"];

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
    const filterText = model.get("filter") || "";
    const opened = new Set(model.get("expanded"));
    const filtering = filterText.trim() !== "";
    tbody.replaceChildren();
    for (const row of model.get("rows")) {
      const tr = el("tr", `kn-row kn-kind-${row.kind}`);
      tr.dataset.layerId = row.id;
      tr.dataset.depth = String(row.depth);
      if (row.match) tr.classList.add("kn-match");
      tr.appendChild(layerCell(row, opened, filtering, toggle));
      row.cells.forEach((text, i) => tr.appendChild(el("td", CELL_CLASSES[i], text)));
      tbody.appendChild(tr);
    }
    count.textContent = model.get("count");
    if (search.value !== filterText && document.activeElement !== search) search.value = filterText;
  };

  const draw = () => {
    const h = model.get("heading");
    heading.replaceChildren(
      el("b", "", `Model: "${h.name}"`),
      el("span", "kn-meta", ` ${h.class_name} · ${h.backend} · Keras ${h.keras_version}`),
    );
    const tr = el("tr");
    for (const name of model.get("header")) tr.appendChild(el("th", "", name));
    thead.replaceChildren(tr);
    foot.replaceChildren(...model.get("totals").map((line) => el("div", "", line)));
    drawRows();
  };

  search.addEventListener("input", () => {
    model.set("filter", search.value);
    model.save_changes();
  });
  const redraws = { heading: draw, header: draw, totals: draw, rows: drawRows, count: drawRows };
  for (const [name, fn] of Object.entries(redraws)) model.on(`change:${name}`, fn);
  draw();
  return () => {
    for (const [name, fn] of Object.entries(redraws)) model.off(`change:${name}`, fn);
  };
}

export default { render };

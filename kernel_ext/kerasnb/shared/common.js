// Helpers every kerasnb widget module starts with (kerasnb/shared/assets.py
// puts this file in front of each one; anywidget loads a module as one file).

// An element with a class and text; text goes in through textContent only,
// so nothing user-provided can become markup.
function el(tag, className, text) {
  const node = document.createElement(tag);
  if (className) node.className = className;
  if (text !== undefined) node.textContent = text;
  return node;
}

// A count as people read it: 12,345.
const fmtCount = (n) => Number(n).toLocaleString("en-US");

// A metric value: four significant digits, NaN and infinities spelled out.
function fmtValue(v) {
  if (v === null || v === undefined) return "–";
  if (Number.isNaN(v)) return "NaN";
  if (!Number.isFinite(v)) return v > 0 ? "inf" : "-inf";
  return Math.abs(v) >= 1e4 || (v !== 0 && Math.abs(v) < 1e-3) ? v.toExponential(2) : String(Number(v.toPrecision(4)));
}

// `data` is a trait holding JSON text (ModelData); parse it once per model and change.
const parsed = new WeakMap();
function jsonTrait(model, name) {
  const text = model.get(name);
  const cached = parsed.get(model);
  if (cached && cached.name === name && cached.text === text) return cached.data;
  const data = JSON.parse(text);
  parsed.set(model, { name, text, data });
  return data;
}

// Helpers every kerasnb widget module starts with (views/assets.py puts this
// file in front of each one; anywidget loads a module as one file).

// `data` is ModelData as JSON text; parse it once per model and change.
const parsed = new WeakMap();
function modelData(model) {
  const text = model.get("data");
  const cached = parsed.get(model);
  if (cached && cached.text === text) return cached.data;
  const data = JSON.parse(text);
  parsed.set(model, { text, data });
  return data;
}

// An element with a class and text; text goes in through textContent only,
// so nothing user-provided can become markup.
function el(tag, className, text) {
  const node = document.createElement(tag);
  if (className) node.className = className;
  if (text !== undefined) node.textContent = text;
  return node;
}

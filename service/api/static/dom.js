// Tiny DOM helpers: build elements without innerHTML, format numbers and times.

export function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs || {})) {
    if (value === undefined || value === null || value === false) continue;
    if (name.startsWith("on")) el.addEventListener(name.slice(2), value);
    else if (name === "class") el.className = value;
    else el.setAttribute(name, value === true ? "" : String(value));
  }
  append(el, children);
  return el;
}

function append(el, children) {
  for (const child of children.flat()) {
    if (child === undefined || child === null || child === false) continue;
    el.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
}

export function replace(el, ...children) {
  el.replaceChildren();
  append(el, children);
  return el;
}

export function num(value, digits = 4) {
  if (value === null || value === undefined || Number.isNaN(value)) return "–";
  if (typeof value !== "number") return String(value);
  if (Number.isInteger(value)) return String(value);
  return Math.abs(value) >= 1000 ? value.toFixed(0) : value.toPrecision(digits);
}

export function seconds(value) {
  if (value === null || value === undefined) return "–";
  if (value < 60) return `${value.toFixed(1)} s`;
  const m = Math.floor(value / 60);
  return m < 60 ? `${m} min ${Math.round(value % 60)} s` : `${Math.floor(m / 60)} h ${m % 60} min`;
}

export function when(iso) {
  return iso ? new Date(iso).toLocaleString() : "–";
}

export function shortWhen(iso) {
  if (!iso) return "–";
  const d = new Date(iso);
  const today = d.toDateString() === new Date().toDateString();
  return today ? d.toLocaleTimeString([], { hour: "2-digit", minute: "2-digit" })
    : d.toLocaleDateString([], { month: "short", day: "numeric" });
}

export function shortId(id) {
  return id ? id.slice(0, 8) : "–";
}

export function statusBadge(status) {
  return h("span", { class: `badge ${status}`, "data-status": status }, status);
}

export function progressBar(progress, status) {
  const fraction = status === "succeeded" ? 1 : progress ? progress.fraction : 0;
  const fill = h("span", { class: "fill" });
  fill.style.width = `${Math.round(fraction * 100)}%`;
  const label = progress ? `${progress.epoch}/${progress.epochs}` : status === "queued" ? "queued" : "";
  return h("span", { class: "progress", title: `${Math.round(fraction * 100)}%` }, fill,
    h("span", { class: "label" }, label));
}

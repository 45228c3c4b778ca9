// Tiny DOM helpers: build elements without innerHTML; badges, progress bars, confirm buttons.

import { num } from "./format.js";

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

export function statusBadge(status) {
  return h("span", { class: `badge ${status}`, "data-status": status }, status);
}

// What the bar says: "12 of 60", "queued", or "stopped early at 18 of 60" for a job that
// succeeded before its last epoch (its bar is full: the job is done).
export function progressText(progress, status) {
  if (!progress) return status === "queued" ? "queued" : "";
  const epoch = num(progress.epoch), epochs = num(progress.epochs);
  if (status === "succeeded" && progress.epoch < progress.epochs) return `stopped early at ${epoch} of ${epochs}`;
  return `${epoch} of ${epochs}`;
}

export function progressBar(progress, status) {
  const fraction = status === "succeeded" ? 1 : progress ? progress.fraction : 0;
  const fill = h("span", { class: "fill" });
  fill.style.width = `${Math.round(fraction * 100)}%`;
  return h("span", { class: `progress ${status}`, title: `${Math.round(fraction * 100)}% done` },
    fill, h("span", { class: "label" }, progressText(progress, status)));
}

// A button that asks "Delete …? Yes / No" in place before calling act(); extra is shown
// with the question (e.g. a checkbox).
export function confirmButton(label, question, act, extra = null) {
  const box = h("span", { class: "confirm" });
  function ask() {
    replace(box, h("span", { class: "question" }, question), extra,
      h("button", { type: "button", class: "danger", "data-confirm": "yes", onclick: act }, "Yes, delete"),
      h("button", { type: "button", class: "quiet", onclick: idle }, "Keep"));
  }
  function idle() {
    replace(box, h("button", { type: "button", class: "quiet danger-text", onclick: ask }, label));
  }
  idle();
  return box;
}

// A definition list of [term, value] pairs (values may be nodes).
export function facts(pairs, attrs = {}) {
  return h("dl", { class: "facts", ...attrs }, pairs.flatMap(([k, v]) => [h("dt", {}, k), h("dd", {}, v)]));
}

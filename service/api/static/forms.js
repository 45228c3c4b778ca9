// Form helpers: labelled fields with a place for the server's message next to each, and
// spreading a 422's errors [{field, message}] onto those places.

import { h, replace } from "./dom.js";

// A labelled control; `name` is the key fieldError() finds it by.
export function field(name, label, control, hint = "") {
  return h("label", { class: "field", "data-field": name }, h("span", {}, label), control,
    hint ? h("small", { class: "muted" }, hint) : null,
    h("small", { class: "error", "data-error-for": name, role: "alert" }));
}

export function clearErrors(form) {
  for (const el of form.querySelectorAll("[data-error-for]")) replace(el);
  for (const el of form.querySelectorAll(".invalid")) el.classList.remove("invalid");
}

// Show each error next to the field that `where(error)` names (a field name, or null for the
// form's own message box, `[data-error-for=""]`), prefixed by its path where that box is
// not the field's own or when `paths` is set. Returns how many were placed by a field.
export function showErrors(form, err, where, paths = false) {
  clearErrors(form);
  const list = err.errors && err.errors.length ? err.errors : [{ message: err.message }];
  let placed = 0;
  for (const e of list) {
    const name = where(e);
    let box = name ? form.querySelector(`[data-error-for="${CSS.escape(name)}"]`) : null;
    if (box) placed += 1;
    else box = form.querySelector('[data-error-for=""]');
    const general = box === form.querySelector('[data-error-for=""]');
    const text = (general || paths) && e.field ? `${e.field}: ${e.message}` : e.message;
    box.append(h("span", { class: "message" }, text));
    const wrap = box.closest(".field");
    if (wrap) wrap.classList.add("invalid");
  }
  return placed;
}

// A text value as the JSON number it spells (so the server judges it), else the text itself.
export function numberOrText(value) {
  const text = value.trim();
  if (text === "") return undefined;
  const n = Number(text);
  return Number.isFinite(n) ? n : text;
}

// The model page's prediction form: one field per feature (a table's categorical columns as
// a choice of their levels; an empty number is filled as in training), or rows as JSON.

import { api } from "./api.js";
import { h, replace } from "./dom.js";
import { num, percent } from "./format.js";

const MAX_FIELDS = 64;

function columnField(column, i) {
  const control = column.kind === "categorical"
    ? h("select", { name: `f${i}` }, column.levels.map((level) =>
      h("option", { value: level === null ? "" : level }, level === null ? "(missing)" : level)))
    : h("input", { type: "number", step: "any", name: `f${i}`, required: column.impute == null,
      placeholder: column.impute == null ? "" : `empty = ${num(column.impute)}` });
  return h("label", {}, h("span", {}, column.name), control);
}

// The instance the fields spell: a record by column name for tables, else a row of numbers.
function instance(form, schema) {
  const value = (i) => form.elements[`f${i}`].value;
  if (schema.columns) {
    return Object.fromEntries(schema.columns.map((c, i) => [c.name,
      value(i) === "" ? null : c.kind === "categorical" ? value(i) : Number(value(i))]));
  }
  return schema.feature_names.map((_, i) => Number(value(i)));
}

export function predictForm(model, onError) {
  const schema = model.input_schema || {};
  const names = schema.feature_names || [];
  const table = Array.isArray(schema.columns) && schema.columns.length <= MAX_FIELDS;
  const flat = table || ((schema.input_shape || []).length <= 1 && names.length && names.length <= MAX_FIELDS);
  const result = h("div", { id: "prediction-result", class: "result", "aria-live": "polite" });
  const error = h("p", { class: "error", role: "alert" });
  const fields = table
    ? h("div", { class: "fields" }, schema.columns.map(columnField))
    : flat
      ? h("div", { class: "fields" }, names.map((name, i) => columnField({ name, kind: "numeric" }, i)))
      : h("label", {}, h("span", {}, `rows as JSON, each with ${num(schema.features)} numbers`),
        h("textarea", { name: "instances", rows: 5, required: true, placeholder: "[[0.1, 0.2, ...]]" }));

  async function submit(event) {
    event.preventDefault();
    replace(error);
    let instances;
    try {
      instances = flat ? [instance(form, schema)] : JSON.parse(form.elements.instances.value);
    } catch (err) {
      replace(error, `not valid JSON: ${err.message}`);
      return;
    }
    try {
      const out = await api(`/v1/models/${model.id}/predict`, { method: "POST", body: { instances } });
      showResult(result, model, out);
    } catch (err) {
      if (err.status === 401) onError(err);
      else replace(error, err.message);
    }
  }

  const form = h("form", { id: "predict-form", onsubmit: submit }, fields,
    h("div", { class: "row" }, h("button", { type: "submit" }, "Predict")), error);
  return h("div", {}, form, result);
}

function showResult(box, model, out) {
  const rows = out.predictions.map((pred, i) => {
    const probs = out.probabilities ? out.probabilities[i] : null;
    const detail = probs && model.classes
      ? model.classes.map((c, j) => `${c}: ${percent(probs[j])}`).join(" · ")
      : "";
    return h("li", {}, h("strong", { class: "prediction" }, Array.isArray(pred) ? pred.map((v) => num(v)).join(", ") : num(pred)),
      detail ? h("span", { class: "muted" }, `  ${detail}`) : null);
  });
  const warnings = (out.warnings || []).map((w) => h("li", {}, typeof w === "string" ? w : JSON.stringify(w)));
  replace(box, h("h4", {}, "Prediction"), h("ol", {}, rows),
    warnings.length ? h("ul", { class: "muted", id: "prediction-warnings" }, warnings) : null);
}

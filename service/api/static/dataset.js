// One data set: its column summary, training a network on it, deleting it.

import { api } from "./api.js";
import { confirmButton, facts, h, replace } from "./dom.js";
import { bytes, exactly, num, shortId, when } from "./format.js";

const SHOWN_FEATURES = 60;

export function datasetView(root, id, onError) {
  const box = h("section", { class: "card", id: "dataset-detail" }, h("p", {}, "loading…"));
  replace(root, h("p", { class: "crumbs" }, h("a", { href: "#/datasets" }, "Data sets"), " / ", h("code", {}, shortId(id))), box);
  api(`/v1/datasets/${id}`).then((d) => render(box, d, onError)).catch(onError);
  return () => {};
}

function render(box, d, onError) {
  const remove = confirmButton("Delete", "Delete this data set? Models trained on it keep working.", async () => {
    try {
      await api(`/v1/datasets/${d.id}`, { method: "DELETE" });
      location.hash = "#/datasets";
    } catch (err) { onError(err); }
  });
  const names = d.feature_names.slice(0, SHOWN_FEATURES);
  replace(box,
    h("div", { class: "row spread" }, h("h2", {}, d.name),
      h("div", { class: "row actions" }, h("a", { class: "button", href: `#/new/${d.id}`, id: "train-on" }, "Train a network on it"), remove)),
    facts([
      ["task", d.task],
      ["rows", num(d.rows)],
      ["features", `${num(d.features)}${d.input_shape.length > 1 ? ` (shape ${d.input_shape.join(" × ")})` : ""}`],
      ["target", h("code", {}, d.target)],
      ["classes", d.classes ? d.classes.map((c) => h("code", { class: "tag" }, String(c))) : "none (regression)"],
      ["format", d.format.toUpperCase()],
      ["size", bytes(d.size_bytes)],
      ["uploaded", h("span", { title: exactly(d.created_at) }, when(d.created_at))],
    ], { id: "dataset-facts" }),
    h("h3", {}, "Feature columns"),
    h("ol", { class: "columns", id: "feature-names" }, names.map((n) => h("li", {}, h("code", {}, n)))),
    d.feature_names.length > names.length ? h("p", { class: "muted" }, `and ${num(d.feature_names.length - names.length)} more`) : null);
}

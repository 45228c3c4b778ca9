// One data set: its column summary, training a network on it, deleting it.

import { facts, h, replace } from "./dom.js";
import { bytes, exactly, num, when } from "./format.js";
import { deleteButton, detailView } from "./views.js";

const SHOWN_COLUMNS = 60;
const SHOWN_LEVELS = 8;

export function datasetView(root, id, onError) {
  return detailView(root, { id, boxId: "dataset-detail", list: ["#/datasets", "Data sets"],
    path: `/v1/datasets/${id}`, render: (box, d) => render(box, d, onError), onError });
}

function render(box, d, onError) {
  const remove = deleteButton({ label: "Delete", question: "Delete this data set? Models trained on it keep working.",
    path: () => `/v1/datasets/${d.id}`, back: "#/datasets", onError });
  replace(box,
    h("div", { class: "row spread" }, h("h2", {}, d.name),
      h("div", { class: "row actions" }, h("a", { class: "button", href: `#/new/${d.id}`, id: "train-on" }, "Train a network on it"), remove)),
    facts([
      ["task", d.task],
      ["rows", num(d.rows)],
      ["features", `${num(d.features)}${d.input_shape.length > 1 ? ` (shape ${d.input_shape.join(" × ")})` : ""}`],
      ["target", h("code", {}, d.target)],
      ["classes", d.classes ? d.classes.map((c) => h("code", { class: "tag" }, String(c))) : "none (regression)"],
      ["missing values", d.impute ? `filled with the ${d.impute} of the training rows` : "none allowed"],
      ["format", d.format.toUpperCase()],
      ["size", bytes(d.size_bytes)],
      ["uploaded", h("span", { title: exactly(d.created_at) }, when(d.created_at))],
    ], { id: "dataset-facts" }),
    d.notes && d.notes.length ? [h("h3", {}, "Notes"), h("ul", { id: "dataset-notes" }, d.notes.map((n) => h("li", {}, n)))] : null,
    h("h3", {}, "Feature columns"),
    d.columns ? columnsTable(d.columns) : featureList(d.feature_names));
}

// Tables: each column's kind, gaps, distinct values and (categories) its levels.
function columnsTable(columns) {
  const shown = columns.slice(0, SHOWN_COLUMNS);
  return [h("table", { class: "table", id: "columns-table" },
    h("thead", {}, h("tr", {}, ["#", "column", "kind", "missing", "distinct", "levels"]
      .map((t, i) => h("th", { class: i === 0 ? "num index" : i === 3 || i === 4 ? "num" : "" }, t)))),
    h("tbody", {}, shown.map((c, i) => h("tr", {},
      h("td", { class: "num" }, i + 1), h("td", {}, h("code", {}, c.name)), h("td", {}, c.kind),
      h("td", { class: "num" }, num(c.missing)), h("td", { class: "num" }, num(c.distinct)),
      h("td", { class: "muted" }, levels(c)))))),
  more(columns.length - shown.length)];
}

function levels(column) {
  if (!column.levels) return "";
  const listed = column.levels.slice(0, SHOWN_LEVELS).map((l) => (l === null ? "(missing)" : l));
  const rest = column.levels.length - listed.length + (column.more_levels || 0);
  return listed.join(", ") + (rest ? ` and ${num(rest)} more` : "");
}

// Arrays (NPZ, JSON): only the names.
function featureList(names) {
  const shown = names.slice(0, SHOWN_COLUMNS);
  return [h("ol", { class: "columns", id: "feature-names" }, shown.map((n) => h("li", {}, h("code", {}, n)))),
    more(names.length - shown.length)];
}

function more(count) {
  return count > 0 ? h("p", { class: "muted" }, `and ${num(count)} more`) : null;
}

// A job's network and training settings in words: a one-line summary and full tables.

import { facts, h } from "./dom.js";
import { num } from "./format.js";

const SHORT = {
  dense: (l) => `dense ${l.units}${l.activation && l.activation !== "linear" ? ` ${l.activation}` : ""}`,
  dropout: (l) => `dropout ${num(l.rate)}`,
  activation: (l) => l.activation,
};

function layerShort(layer) {
  const say = SHORT[layer.type];
  return say ? say(layer) : layer.type.replace(/_/g, " ");
}

// "dense 32 relu → dense 3 softmax"
export function networkSummary(network) {
  return ((network && network.layers) || []).map(layerShort).join(" → ");
}

// Every set field of every layer, e.g. units=32, activation=relu.
export function layerSettings(layer) {
  return Object.entries(layer).filter(([k, v]) => k !== "type" && v !== null && v !== undefined && !(k === "use_bias" && v))
    .map(([k, v]) => `${k.replace(/_/g, " ")} ${typeof v === "number" ? num(v) : Array.isArray(v) ? v.join("×") : v}`)
    .join(", ");
}

export function networkTable(network, attrs = {}) {
  return h("table", { class: "table", ...attrs },
    h("thead", {}, h("tr", {}, ["#", "layer", "settings"].map((t, i) => h("th", { class: i ? "" : "num index" }, t)))),
    h("tbody", {}, ((network && network.layers) || []).map((layer, i) => h("tr", {},
      h("td", { class: "num" }, i), h("td", {}, layer.type.replace(/_/g, " ")),
      h("td", { class: "muted" }, layerSettings(layer))))));
}

function optimizer(o) {
  if (!o) return "–";
  return `${o.type}, learning rate ${num(o.learning_rate)}`;
}

function loss(value) {
  if (!value) return "default for the task";
  return typeof value === "string" ? value.replace(/_/g, " ") : `${value.type} (delta ${num(value.delta)})`;
}

export function trainingFacts(t, attrs = {}) {
  const es = t.early_stopping;
  return facts([
    ["epochs", num(t.epochs)],
    ["batch size", num(t.batch_size)],
    ["optimizer", optimizer(t.optimizer)],
    ["loss", loss(t.loss)],
    ["validation split", t.validation_split ? `${num(t.validation_split * 100)}% of the rows` : "none"],
    ["early stopping", es ? `patience ${num(es.patience)}${es.restore_best ? ", restores the best epoch" : ""}` : "off"],
    t.lr_schedule ? ["learning-rate schedule", t.lr_schedule.type.replace(/_/g, " ")] : null,
    t.regularization ? ["regularisation", `L1 ${num(t.regularization.l1)}, L2 ${num(t.regularization.l2)}`] : null,
    t.gradient_clip_norm ? ["gradient clip norm", num(t.gradient_clip_norm)] : null,
    ["seed", num(t.seed)],
  ].filter(Boolean), attrs);
}

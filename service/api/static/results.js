// A job's or model's figures in words, headed by which epoch they are from: the last
// epoch run, or the best one that early stopping restored.

import { facts, h } from "./dom.js";
import { metricName, num } from "./format.js";

// Keys that say which epochs the figures are from, not figures themselves.
const RUN_KEYS = new Set(["epoch", "epochs_run", "epochs_planned", "stopped_early",
  "restored_best_epoch", "last_epoch", "units"]);

// metrics: {epoch, epochs_run, loss, val_loss, accuracy, ..., last_epoch: {...}} (see
// service/jobs/model_row.py final_metrics); finished: false while training.
export function results(metrics, finished, attrs = {}) {
  const m = metrics || {};
  const shown = figures(m);
  if (!shown.length) return [];
  const last = m.epochs_run || m.epoch;
  const restored = m.epochs_run && m.epoch < m.epochs_run;
  const heading = !finished ? `Latest epoch (${num(m.epoch)})`
    : restored
      ? `Best epoch ${num(m.epoch)}, restored by early stopping (of ${num(last)} run)`
      : `Last epoch (${num(last)})`;
  const out = [h("h3", {}, heading), facts(shown, attrs)];
  if (finished && restored && m.last_epoch) {
    const lastFigures = facts(figures(m.last_epoch, m.units));
    out.push(h("h3", {}, `Last epoch (${num(m.last_epoch.epoch)})`), lastFigures);
  }
  return out;
}

// [name in words, number] pairs; regression losses are marked standardised and MAE in the
// target's units when the metrics say so.
function figures(values, units = values.units) {
  return Object.entries(values)
    .filter(([k]) => !RUN_KEYS.has(k))
    .map(([k, v]) => [metricName(k) + unitNote(k, units), num(v)]);
}

function unitNote(key, units) {
  if (!units) return "";
  if (key === "loss" || key === "val_loss") return " (standardised)";
  return key.endsWith("mae") ? " (target units)" : "";
}

// A job's or model's figures in words, headed by which epoch they are from: the last
// epoch run, or the best one that early stopping restored.

import { facts, h } from "./dom.js";
import { metricName, num } from "./format.js";

// metrics: {epoch, epochs_run, loss, val_loss, accuracy, ...}; finished: false while training.
export function results(metrics, finished, attrs = {}) {
  const m = metrics || {};
  const figures = Object.entries(m).filter(([k]) => k !== "epoch" && k !== "epochs_run");
  if (!figures.length) return [];
  const last = m.epochs_run || m.epoch;
  const heading = !finished ? `Latest epoch (${num(m.epoch)})`
    : m.epochs_run && m.epoch < m.epochs_run
      ? `Best epoch ${num(m.epoch)}, restored by early stopping (of ${num(last)} run)`
      : `Last epoch (${num(last)})`;
  return [h("h3", {}, heading), facts(figures.map(([k, v]) => [metricName(k), num(v)]), attrs)];
}

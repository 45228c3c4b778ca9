// A model's evaluation: the stored validation metrics, and a form to evaluate it on a data
// set (with permutation importance): metric facts, confusion heatmap, ROC curves, bars.

import { api } from "./api.js";
import { facts, h, replace } from "./dom.js";
import { num } from "./format.js";
import { confusionHeatmap } from "./confusion.js";
import { rocChart } from "./roc.js";
import { importanceBars } from "./importance.js";

const FACTS = { rows: "rows", accuracy: "accuracy", log_loss: "log loss", roc_auc: "ROC AUC",
  mae: "mean absolute error", rmse: "root mean squared error", r2: "R²" };

export function metricsView(metrics, id) {
  const figures = facts(Object.entries(FACTS).filter(([k]) => metrics[k] !== undefined)
    .map(([k, name]) => [name, num(metrics[k])]), { id: `${id}-facts` });
  const charts = h("div", { class: "eval-charts" },
    metrics.confusion_matrix ? confusionHeatmap(metrics.confusion_matrix) : null,
    metrics.roc_curve ? rocChart(metrics.roc_curve, metrics.roc_auc) : null);
  return h("div", { id }, figures, charts);
}

export function evaluationPanel(model, onError) {
  const validation = (model.metrics || {}).validation;
  const result = h("div", { id: "evaluation-result", "aria-live": "polite" });
  const error = h("p", { class: "error", role: "alert" });
  const select = h("select", { name: "dataset", required: true }, h("option", { value: "" }, "loading data sets…"));
  api("/v1/datasets?limit=100").then((page) => replace(select,
    page.items.map((d) => h("option", { value: d.id, selected: d.id === model.dataset_id },
      `${d.name} · ${d.rows} rows${d.id === model.dataset_id ? " (trained on)" : ""}`)))).catch(onError);
  const importance = h("input", { type: "checkbox", name: "importance" });

  async function submit(event) {
    event.preventDefault();
    replace(error);
    replace(result, h("p", { class: "muted" }, "evaluating…"));
    try {
      const body = { dataset_id: select.value, importance: importance.checked };
      const out = await api(`/v1/models/${model.id}/evaluate`, { method: "POST", body });
      replace(result, h("h4", {}, `On ${out.rows} rows`), metricsView({ rows: out.rows, ...out.metrics }, "evaluation"),
        (out.warnings || []).map((w) => h("p", { class: "muted" }, `unseen level: ${w.column} = ${w.value} (${w.rows} rows)`)),
        out.importance ? [h("h4", {}, "Permutation importance"), importanceBars(out.importance)] : null);
    } catch (err) {
      replace(result);
      if (err.status === 401) onError(err);
      else replace(error, err.message);
    }
  }

  const form = h("form", { id: "evaluate-form", onsubmit: submit },
    h("div", { class: "row" }, h("label", {}, h("span", {}, "data set"), select),
      h("label", { class: "check" }, importance, " permutation importance"),
      h("button", { type: "submit" }, "Evaluate")), error);
  return h("div", {},
    validation ? [h("h4", {}, `Validation split (${validation.rows} rows)`), metricsView(validation, "validation")] : null,
    form, result);
}

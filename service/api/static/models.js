// Models: the list, and one model's layers, figures, a form to try predictions, delete.

import { api } from "./api.js";
import { h, replace } from "./dom.js";
import { exactly, metricName, num, shortId, when } from "./format.js";
import { layerSettings } from "./jobspec.js";
import { predictForm } from "./predict.js";
import { provenance } from "./provenance.js";
import { results } from "./results.js";
import { deleteButton, detailView } from "./views.js";
import { evaluationPanel } from "./evaluation.js";

// The list's score, best first: validation figures when the job held out data, else training.
const SCORES = ["val_accuracy", "accuracy", "val_r2", "r2", "val_loss", "loss"];

export function score(metrics) {
  const found = SCORES.find((key) => (metrics || {})[key] != null);
  return found ? [num(metrics[found]), " ", h("span", { class: "muted" }, metricName(found))] : "–";
}

export function modelsView(root, onError) {
  const box = h("section", { class: "card" }, h("h2", {}, "Models"), h("p", {}, "loading…"));
  replace(root, box);
  api("/v1/models?limit=100").then((page) => {
    const rows = page.items.map((m) => h("tr", { "data-model-id": m.id },
      h("td", {}, h("a", { href: `#/models/${m.id}` }, h("code", {}, shortId(m.id)))),
      h("td", {}, m.task),
      h("td", { class: "num" }, num(m.num_params)),
      h("td", { class: "num" }, score(m.metrics)),
      h("td", {}, h("a", { href: `#/jobs/${m.job_id}` }, h("code", {}, shortId(m.job_id)))),
      h("td", { class: "time", title: exactly(m.created_at) }, when(m.created_at))));
    replace(box, h("h2", {}, "Models"), h("table", { class: "table", id: "models-table" },
      h("thead", {}, h("tr", {}, ["model", "task", "parameters", "score", "trained by job", "created"]
        .map((t, i) => h("th", { class: i === 2 || i === 3 ? "num" : "" }, t)))),
      h("tbody", {}, rows.length ? rows : h("tr", {}, h("td", { colspan: 6, class: "muted" }, "no models yet: a job that succeeds makes one")))));
  }).catch(onError);
  return () => {};
}

export function modelView(root, id, onError) {
  return detailView(root, { id, boxId: "model-detail", list: ["#/models", "Models"],
    path: `/v1/models/${id}`, render: (box, model) => render(box, model, onError), onError });
}

function render(box, model, onError) {
  const { validation, ...figures } = model.metrics || {}; // validation: see evaluation.js
  const layers = h("table", { class: "table", id: "layers-table" },
    h("thead", {}, h("tr", {}, ["#", "type", "settings", "output shape", "parameters"].map((t, i) => h("th", { class: i === 0 ? "num index" : i === 4 ? "num" : "" }, t)))),
    h("tbody", {}, model.layers.map((layer) => {
      const spec = (model.network.layers || [])[layer.index] || {};
      const details = layerSettings(spec);
      return h("tr", {}, h("td", { class: "num" }, layer.index), h("td", {}, layer.type.replace(/_/g, " ")), h("td", { class: "muted" }, details),
        h("td", {}, layer.output_shape.join(" × ")), h("td", { class: "num" }, num(layer.params)));
    })));
  const remove = deleteButton({ label: "Delete model", question: "Delete this model? Its job stays.",
    path: () => `/v1/models/${model.id}`, back: "#/models", onError });
  replace(box,
    h("div", { class: "row spread" }, h("h2", {}, "Model ", h("code", {}, shortId(model.id))), h("div", { class: "row actions" }, remove)),
    h("p", { class: "muted" }, `${model.task} · ${num(model.num_params)} parameters · trained by job `,
      h("a", { href: `#/jobs/${model.job_id}` }, h("code", {}, shortId(model.job_id))), " · ",
      h("span", { title: exactly(model.created_at) }, when(model.created_at))),
    model.classes ? h("p", {}, "classes: ", model.classes.map((c) => h("code", { class: "tag" }, String(c)))) : null,
    h("h3", {}, "Layers"), layers,
    results(figures, true, { id: "model-metrics" }),
    ...provenance(model),
    h("h3", {}, "Evaluation"), evaluationPanel(model, onError),
    h("h3", {}, "Try a prediction"), predictForm(model, onError));
}

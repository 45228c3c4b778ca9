// New job page: pick a data set, fill in the network form or edit the whole request as
// JSON, and POST /v1/jobs; its 422s are shown next to the field they name.

import { api } from "./api.js";
import { h, replace } from "./dom.js";
import { num } from "./format.js";
import { clearErrors, field, showErrors } from "./forms.js";
import { networkSummary } from "./jobspec.js";
import { mlpBody, mlpFieldFor, mlpFields, outputLayer } from "./mlpform.js";

export function newJobView(root, datasetId, onError) {
  const box = h("section", { class: "card", id: "new-job" }, h("p", {}, "loading…"));
  replace(root, h("p", { class: "crumbs" }, h("a", { href: "#/" }, "Jobs"), " / new job"), box);
  api("/v1/datasets?limit=100").then((page) => render(box, page.items, datasetId, onError)).catch(onError);
  return () => {};
}

function render(box, datasets, datasetId, onError) {
  if (!datasets.length) {
    return replace(box, h("h2", {}, "New job"), h("p", {}, "First ", h("a", { href: "#/datasets" }, "upload a data set"), " to train on."));
  }
  const picker = h("select", { name: "dataset", id: "job-dataset-select" }, datasets.map((d) => h("option",
    { value: d.id, selected: d.id === datasetId },
    `${d.name} · ${d.task}, ${num(d.rows)} rows, ${num(d.features)} features`)));
  const chosen = () => datasets.find((d) => d.id === picker.value);
  const output = h("p", { class: "muted", id: "output-layer" });
  const sayOutput = () => replace(output, "Output layer: ", networkSummary({ layers: [outputLayer(chosen())] }),
    chosen().task === "classification" ? ", one unit per class." : ", one value.");
  picker.addEventListener("change", sayOutput);
  sayOutput();
  let roles = [];

  async function post(form, body, where, paths = false) {
    clearErrors(form);
    try {
      const job = await api("/v1/jobs", { method: "POST", body });
      location.hash = `#/jobs/${job.id}`;
    } catch (err) {
      if (err.status === 401) return onError(err);
      showErrors(form, err, where, paths);
    }
  }

  const mlp = h("form", { id: "job-form", onsubmit: (event) => {
    event.preventDefault();
    const built = mlpBody(mlp, chosen());
    roles = built.roles;
    post(mlp, built.body, (e) => mlpFieldFor(e.field, roles));
  } },
  field("dataset", "data set", picker),
  h("h3", {}, "Network and training"), mlpFields(), output,
  h("p", { class: "error", "data-error-for": "", role: "alert" }),
  h("div", { class: "row" }, h("button", { type: "submit" }, "Start training"),
    h("button", { type: "button", class: "quiet", id: "edit-json", onclick: () => showJson() }, "Edit as JSON")));

  const editor = h("textarea", { name: "body", rows: 22, spellcheck: "false", id: "job-json" });
  const json = h("form", { id: "job-json-form", hidden: true, onsubmit: (event) => {
    event.preventDefault();
    let body;
    try {
      body = JSON.parse(editor.value);
    } catch (err) {
      showErrors(json, { message: `not valid JSON: ${err.message}` }, () => "body");
      return;
    }
    post(json, body, () => "body", true);
  } },
  h("p", { class: "muted" }, "The whole POST /v1/jobs body: every layer type and training option of the ",
    h("a", { href: "/docs#/jobs/create_job_v1_jobs_post", target: "_blank", rel: "noopener" }, "API"), " is allowed here."),
  field("body", "request body", editor),
  h("p", { class: "error", "data-error-for": "", role: "alert" }),
  h("div", { class: "row" }, h("button", { type: "submit" }, "Start training"),
    h("button", { type: "button", class: "quiet", onclick: () => { json.hidden = true; mlp.hidden = false; } }, "Back to the form")));

  function showJson() {
    editor.value = JSON.stringify(mlpBody(mlp, chosen()).body, null, 2);
    mlp.hidden = true;
    json.hidden = false;
  }

  replace(box, h("h2", {}, "New job"), mlp, json);
}

// One job: status, progress, loss curves fed by the events stream, its results in words,
// its data set and network, and cancel / delete.

import { api, readEvents } from "./api.js";
import { LossChart } from "./chart.js";
import { facts, h, progressBar, replace, statusBadge } from "./dom.js";
import { duration, exactly, num, seconds, shortId, when } from "./format.js";
import { networkTable, trainingFacts } from "./jobspec.js";
import { results } from "./results.js";
import { deleteButton } from "./views.js";

const TERMINAL = new Set(["succeeded", "failed", "cancelled"]);

export function jobView(root, id, onError) {
  const abort = new AbortController();
  const state = { lastEventId: null, ended: false, job: null, chart: new LossChart() };
  const head = h("div", { class: "job-head" });
  const resultsBox = h("div", { id: "job-results" });
  const dataset = h("div", { id: "job-dataset" }, h("p", { class: "muted" }, "loading…"));
  const spec = h("div", { id: "job-network" });
  replace(root,
    h("p", { class: "crumbs" }, h("a", { href: "#/" }, "Jobs"), " / ", h("code", {}, shortId(id))),
    h("section", { class: "card job-detail", id: "job-detail" }, head),
    h("div", { class: "split" },
      h("section", { class: "card" }, h("h3", {}, "Loss per epoch"), h("div", { class: "chart-box", id: "loss-chart" }, state.chart.el), resultsBox),
      h("section", { class: "card" }, h("h3", {}, "Data set"), dataset, h("h3", {}, "Network"), spec)));

  function renderHead() {
    const job = state.job, p = job.progress;
    const running = !TERMINAL.has(job.status);
    const actions = [];
    if (running) actions.push(h("button", { class: "quiet", type: "button", onclick: cancel }, "Cancel"));
    if (job.model_id) actions.push(h("a", { class: "button", href: `#/models/${job.model_id}`, id: "open-model" }, "Open model"));
    if (!running) actions.push(deleteJob(job));
    replace(head,
      h("div", { class: "row spread" },
        h("h2", {}, "Job ", h("code", {}, shortId(job.id)), " ", statusBadge(job.status)),
        h("div", { class: "row actions" }, actions)),
      h("div", { class: "row" }, progressBar(p, job.status),
        h("span", { class: "muted", id: "job-progress" }, progressLine(job))),
      job.error ? h("p", { class: "error" }, job.error) : null,
      facts([["created", h("span", { title: exactly(job.created_at) }, when(job.created_at))],
        ["ran for", duration(job)], ["attempt", num(job.attempt)]], { class: "facts inline" }));
    renderResults();
  }

  function renderResults() {
    replace(resultsBox, results(state.job.metrics, TERMINAL.has(state.job.status), { id: "job-metrics" }));
  }

  function deleteJob(job) {
    const withModel = job.model_id ? h("label", { class: "check" },
      h("input", { type: "checkbox", id: "delete-model" }), " and its model") : null;
    const alsoModel = () => withModel && withModel.querySelector("input").checked;
    return deleteButton({ label: "Delete job", question: "Delete this job and its history?",
      path: () => `/v1/jobs/${id}${alsoModel() ? "?delete_model=true" : ""}`, back: "#/", onError, extra: withModel });
  }

  async function cancel() {
    try {
      state.job = { ...state.job, ...(await api(`/v1/jobs/${id}/cancel`, { method: "POST" })) };
      renderHead();
    } catch (err) { onError(err); }
  }

  async function finish() {
    state.job = await api(`/v1/jobs/${id}`, { signal: abort.signal });
    const m = state.job.metrics || {};
    if (m.epochs_run && m.epoch < m.epochs_run) state.chart.mark(m.epoch, `best epoch ${num(m.epoch)}, restored`);
    else state.chart.mark(bestEpoch(state.chart.points), `lowest loss: epoch ${num(bestEpoch(state.chart.points))}`);
    renderHead();
  }

  function onEvent(message) {
    const data = message.data;
    if (message.event === "epoch") {
      state.lastEventId = message.id;
      state.chart.add(data);
      if (!TERMINAL.has(state.job.status)) {
        state.job.metrics = { epoch: data.epoch, loss: data.loss, val_loss: data.val_loss, ...data.metrics };
        renderHead();
      }
    } else if (message.event === "progress") {
      state.job.progress = data;
      renderHead();
    } else if (message.event === "status") {
      Object.assign(state.job, data);
      renderHead();
    } else if (message.event === "end") {
      state.ended = true;
      finish().catch((err) => { if (!abort.signal.aborted) onError(err); });
    }
  }

  async function follow() {
    while (!state.ended && !abort.signal.aborted) {
      try {
        await readEvents(id, { lastEventId: state.lastEventId, signal: abort.signal, onEvent });
      } catch (err) {
        if (abort.signal.aborted) return;
        if (err.status && err.status < 500) { onError(err); return; }
      }
      if (!state.ended) await new Promise((r) => setTimeout(r, 1500));
    }
  }

  (async () => {
    try {
      state.job = await api(`/v1/jobs/${id}`, { signal: abort.signal });
    } catch (err) {
      if (!abort.signal.aborted) onError(err);
      return;
    }
    renderHead();
    replace(spec, networkTable(state.job.network, { id: "network-table" }), h("h3", {}, "Training"), trainingFacts(state.job.training));
    showDataset(dataset, state.job.dataset_id, abort.signal);
    follow();
  })();

  return () => abort.abort();
}

// The epoch with the lowest validation loss (training loss when nothing was held out).
function bestEpoch(points) {
  const key = points.some((p) => p.val_loss != null) ? "val_loss" : "loss";
  const scored = points.filter((p) => p[key] != null);
  return scored.length ? scored.reduce((a, b) => (b[key] < a[key] ? b : a)).epoch : null;
}

function progressLine(job) {
  const p = job.progress;
  if (!p) return job.status === "queued" ? "waiting for a worker" : "";
  const parts = [];
  if (p.samples_per_second) parts.push(`${num(p.samples_per_second)} samples/s`);
  if (!TERMINAL.has(job.status) && p.eta_seconds != null) parts.push(`about ${seconds(p.eta_seconds)} left`);
  return parts.join(" · ");
}

async function showDataset(box, datasetId, signal) {
  try {
    const d = await api(`/v1/datasets/${datasetId}`, { signal });
    replace(box, facts([
      ["name", h("a", { href: `#/datasets/${d.id}` }, d.name)],
      ["task", d.task], ["rows", num(d.rows)], ["features", num(d.features)],
      ["target", h("code", {}, d.target)],
      d.classes ? ["classes", d.classes.map((c) => h("code", { class: "tag" }, String(c)))] : null,
    ].filter(Boolean), { id: "job-dataset-facts" }));
  } catch (err) {
    if (signal.aborted) return;
    replace(box, h("p", { class: "muted" }, err.status === 404
      ? `The data set ${shortId(datasetId)} has been deleted.` : err.message));
  }
}

// Jobs page: the tenant's jobs with live status and progress, and the selected job's
// loss curves fed by the events stream.

import { api, readEvents } from "./api.js";
import { LossChart } from "./chart.js";
import { h, num, progressBar, replace, seconds, shortId, shortWhen, statusBadge, when } from "./dom.js";

const TERMINAL = new Set(["succeeded", "failed", "cancelled"]);
const LIST_EVERY_MS = 2000;

export function jobsView(root, selectedId, onError) {
  const list = h("section", { class: "card jobs-list" }, h("h2", {}, "Jobs"), h("p", {}, "loading…"));
  const detail = h("section", { class: "card job-detail", id: "job-detail" });
  replace(root, h("div", { class: "split" }, list, detail));
  let current = null; // { id, stop() }
  let stopped = false;

  async function refreshList() {
    try {
      const page = await api("/v1/jobs?limit=50");
      renderList(page.items);
      const want = selectedId || (current && current.id) || (page.items[0] && page.items[0].id);
      if (want && (!current || current.id !== want)) select(want);
      if (!want) replace(detail, h("p", { class: "muted" }, "No jobs yet. Submit one with backprop jobs submit (see the README) or POST /v1/jobs."));
    } catch (err) {
      onError(err);
    }
  }

  function renderList(jobs) {
    const rows = jobs.map((job) => h("tr", {
      class: current && current.id === job.id ? "selected" : "",
      "data-job-id": job.id,
      onclick: () => { location.hash = `#/jobs/${job.id}`; },
    },
      h("td", {}, h("a", { href: `#/jobs/${job.id}` }, shortId(job.id))),
      h("td", {}, statusBadge(job.status)),
      h("td", {}, progressBar(job.progress, job.status)),
      h("td", { class: "num" }, num(job.metrics && job.metrics.loss)),
      h("td", { class: "num" }, num(job.metrics && job.metrics.val_loss)),
      h("td", { title: when(job.created_at) }, shortWhen(job.created_at)),
    ));
    replace(list, h("h2", {}, "Jobs"), h("table", { class: "table", id: "jobs-table" },
      h("thead", {}, h("tr", {}, ["job", "status", "progress", "loss", "val loss", "created"].map((t) => h("th", {}, t)))),
      h("tbody", {}, rows.length ? rows : h("tr", {}, h("td", { colspan: 6, class: "muted" }, "no jobs yet")))));
  }

  function select(id) {
    if (current) current.stop();
    current = showJob(detail, id, onError, refreshList);
  }

  refreshList();
  const timer = setInterval(() => { if (!stopped) refreshList(); }, LIST_EVERY_MS);
  return () => {
    stopped = true;
    clearInterval(timer);
    if (current) current.stop();
  };
}

function showJob(root, id, onError, onEnd) {
  const abort = new AbortController();
  const state = { id, lastEventId: null, ended: false, job: null, chart: null };
  const header = h("div", { class: "job-head" });
  const facts = h("dl", { class: "facts" });
  const chartBox = h("div", { class: "chart-box", id: "loss-chart" });
  replace(root, header, chartBox, facts);

  function renderHead() {
    const job = state.job;
    const p = job.progress;
    const actions = [];
    if (!TERMINAL.has(job.status)) {
      actions.push(h("button", { class: "quiet", type: "button", onclick: cancel }, "Cancel"));
    }
    if (job.model_id) actions.push(h("a", { class: "button", href: `#/models/${job.model_id}`, id: "open-model" }, "Open model"));
    replace(header,
      h("h2", {}, "Job ", h("code", {}, shortId(job.id)), " ", statusBadge(job.status)),
      h("div", { class: "row" }, progressBar(p, job.status),
        h("span", { class: "muted" }, p ? ` epoch ${p.epoch} of ${p.epochs}` : "",
          p && p.samples_per_second ? ` · ${num(p.samples_per_second, 3)} samples/s` : "",
          p && !TERMINAL.has(job.status) && p.eta_seconds != null ? ` · ETA ${seconds(p.eta_seconds)}` : "")),
      job.error ? h("p", { class: "error" }, job.error) : null,
      h("div", { class: "row" }, actions));
    const m = job.metrics || {};
    replace(facts, ...Object.entries(m).flatMap(([k, v]) => [h("dt", {}, k), h("dd", {}, num(v))]));
  }

  async function cancel() {
    try {
      state.job = { ...state.job, ...(await api(`/v1/jobs/${id}/cancel`, { method: "POST" })) };
      renderHead();
    } catch (err) { onError(err); }
  }

  function onEvent(message) {
    const data = message.data;
    if (message.event === "epoch") {
      state.lastEventId = message.id;
      state.chart.add(data);
      state.job.metrics = { loss: data.loss, val_loss: data.val_loss, ...data.metrics };
      renderHead();
    } else if (message.event === "progress") {
      state.job.progress = data;
      renderHead();
    } else if (message.event === "status" || message.event === "end") {
      Object.assign(state.job, data);
      if (message.event === "end") {
        state.ended = true;
        onEnd();
      }
      renderHead();
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
    state.chart = new LossChart(state.job.training && state.job.training.epochs);
    replace(chartBox, state.chart.el);
    renderHead();
    follow();
  })();

  return { id, stop: () => abort.abort() };
}

// Jobs page: the tenant's jobs with live status and progress, refreshed every 2 s.

import { api } from "./api.js";
import { h, progressBar, replace, statusBadge } from "./dom.js";
import { duration, exactly, num, shortId, when } from "./format.js";
import { networkSummary } from "./jobspec.js";

const LIST_EVERY_MS = 2000;
const COLUMNS = ["job", "status", "progress", "data set", "network", "training loss",
  "validation loss", "created", "ran for"];

export function jobsView(root, onError) {
  const list = h("section", { class: "card jobs-list" }, h("h2", {}, "Jobs"), h("p", {}, "loading…"));
  replace(root, list);
  const names = new Map(); // dataset id -> name (null: not among the newest 100, or deleted)
  let stopped = false;

  async function refresh() {
    try {
      const page = await api("/v1/jobs?limit=50");
      if (page.items.some((job) => !names.has(job.dataset_id))) {
        const sets = await api("/v1/datasets?limit=100");
        for (const d of sets.items) names.set(d.id, d.name);
        for (const job of page.items) if (!names.has(job.dataset_id)) names.set(job.dataset_id, null);
      }
      if (!stopped) render(page);
    } catch (err) {
      onError(err);
    }
  }

  function render(page) {
    const rows = page.items.map((job) => h("tr", { "data-job-id": job.id },
      h("td", {}, h("a", { href: `#/jobs/${job.id}` }, h("code", {}, shortId(job.id)))),
      h("td", {}, statusBadge(job.status)),
      h("td", {}, progressBar(job.progress, job.status)),
      h("td", { class: "clip" }, h("a", { href: `#/datasets/${job.dataset_id}` },
        names.get(job.dataset_id) || h("code", {}, shortId(job.dataset_id)))),
      h("td", { class: "clip network", title: networkSummary(job.network) }, networkSummary(job.network)),
      h("td", { class: "num" }, num(job.metrics && job.metrics.loss)),
      h("td", { class: "num" }, num(job.metrics && job.metrics.val_loss)),
      h("td", { class: "time", title: exactly(job.created_at) }, when(job.created_at)),
      h("td", { class: "time" }, duration(job)),
    ));
    const empty = h("tr", {}, h("td", { colspan: COLUMNS.length, class: "muted" },
      "No jobs yet: ", h("a", { href: "#/datasets" }, "upload a data set"), ", then ",
      h("a", { href: "#/new" }, "train a network"), " on it."));
    replace(list,
      h("div", { class: "row spread" }, h("h2", {}, "Jobs"),
        h("a", { class: "button", href: "#/new", id: "new-job" }, "New job")),
      h("table", { class: "table", id: "jobs-table" },
        rows.length ? h("thead", {}, h("tr", {}, COLUMNS.map((t) => h("th", { class: t.endsWith("loss") ? "num" : t === "network" ? "network" : "" }, t)))) : null,
        h("tbody", {}, rows.length ? rows : empty)),
      page.total > page.items.length ? h("p", { class: "muted" }, `the newest ${page.items.length} of ${num(page.total)} jobs`) : null);
  }

  refresh();
  const timer = setInterval(() => { if (!stopped) refresh(); }, LIST_EVERY_MS);
  return () => {
    stopped = true;
    clearInterval(timer);
  };
}

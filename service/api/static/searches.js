// Searches: the tenant's searches (#/searches) and one search (#/searches/{id}) with its
// sortable trials table, every trial's validation curve overlaid, and the objective against
// each parameter; refreshed every 2 s until the search ends.

import { api } from "./api.js";
import { facts, h, progressBar, replace, statusBadge } from "./dom.js";
import { exactly, metricName, num, seconds, shortId, when } from "./format.js";
import { curvesChart, epochValue, paramChart } from "./searchplots.js";

const EVERY_MS = 2000;
const ENDED = ["succeeded", "failed", "cancelled"];

function searchProgress(search) {
  const done = Math.round(search.progress * search.total_trials * 10) / 10;
  return progressBar({ fraction: search.progress, epoch: done, epochs: search.total_trials }, search.status);
}

function counts(search) {
  return Object.entries(search.trials).filter(([, n]) => n).map(([s, n]) => `${n} ${s}`).join(", ");
}

// Calls refresh() now and every EVERY_MS until it returns true (done) or the view closes.
function poll(refresh) {
  let stopped = false, timer = null;
  const tick = async () => {
    const done = await refresh(() => stopped);
    if (!stopped && !done) timer = setTimeout(tick, EVERY_MS);
  };
  tick();
  return () => { stopped = true; clearTimeout(timer); };
}

export function searchesView(root, onError) {
  const card = h("section", { class: "card" }, h("h2", {}, "Searches"), h("p", {}, "loading…"));
  replace(root, card);
  return poll(async (stopped) => {
    try {
      const page = await api("/v1/searches?limit=50");
      if (stopped()) return true;
      const rows = page.items.map((s) => h("tr", { "data-search-id": s.id },
        h("td", {}, h("a", { href: `#/searches/${s.id}` }, h("code", {}, shortId(s.id)))),
        h("td", {}, statusBadge(s.status)),
        h("td", {}, searchProgress(s)),
        h("td", {}, counts(s)),
        h("td", {}, `${s.strategy.type}, ${metricName(s.objective.metric)}`),
        h("td", { class: "num" }, num(s.best && s.best.value)),
        h("td", { class: "time", title: exactly(s.created_at) }, when(s.created_at))));
      const empty = h("tr", {}, h("td", { colspan: 7, class: "muted" },
        "No searches yet: submit one with POST /v1/searches or `backprop searches submit`."));
      replace(card, h("h2", {}, "Searches"), h("table", { class: "table", id: "searches-table" },
        h("thead", {}, h("tr", {}, ["search", "status", "progress", "trials", "strategy", "best"].map(
          (t) => h("th", { class: t === "best" ? "num" : "" }, t)), h("th", {}, "created"))),
        h("tbody", {}, rows.length ? rows : empty)));
    } catch (err) { onError(err); }
    return false;
  });
}

const COLUMNS = [ // [header, key of the sort, cell]
  ["trial", (t) => t.trial, (t) => num(t.trial)],
  ["status", (t) => t.status, (t) => statusBadge(t.status)],
  ["value", (t) => t.value, (t) => num(t.value)],
  ["epochs", (t) => t.epochs_run, (t) => num(t.epochs_run)],
];

export function searchView(root, id, onError) {
  const head = h("section", { class: "card", id: "search-facts" }, h("p", {}, "loading…"));
  const table = h("section", { class: "card" });
  const charts = h("section", { class: "card", id: "search-charts" });
  replace(root, h("p", { class: "crumbs" }, h("a", { href: "#/searches" }, "Searches"), " / ",
    h("code", {}, shortId(id))), head, table, charts);
  const histories = new Map(); // trial -> {epochs: [{epoch, value}], final: bool}
  let sort = { column: 2, down: false };
  let last = null;

  async function load(trials, metric) {
    await Promise.all(trials.filter((t) => !(histories.get(t.trial) || {}).final).map(async (t) => {
      const rows = (await api(`/v1/jobs/${t.job_id}/history`)).epochs;
      const epochs = rows.map((e) => ({ epoch: e.epoch, value: epochValue(e, metric) }))
        .filter((p) => p.value !== null);
      histories.set(t.trial, { epochs, final: !["queued", "running"].includes(t.status) });
    }));
  }

  function drawTable() {
    const { search, trials } = last;
    const params = Object.keys(search.space);
    const key = [...COLUMNS.map((c) => c[1]), ...params.map((p) => (t) => t.params[p])][sort.column];
    const sign = sort.down ? -1 : 1;
    const rows = [...trials].sort((a, b) => {
      const [x, y] = [key(a), key(b)];
      if (x === y) return a.trial - b.trial;
      if (x === null || x === undefined) return 1;
      if (y === null || y === undefined) return -1;
      return (typeof x === "number" && typeof y === "number" ? x - y : String(JSON.stringify(x)).localeCompare(JSON.stringify(y))) * sign;
    });
    const headers = [...COLUMNS.map((c) => c[0]), ...params];
    const th = headers.map((name, i) => h("th", {
      class: `sortable${i >= 2 ? " num" : ""}`, "data-sort": i,
      "aria-sort": i === sort.column ? (sort.down ? "descending" : "ascending") : "none",
      onclick: () => { sort = { column: i, down: i === sort.column ? !sort.down : false }; drawTable(); },
    }, name, i === sort.column ? (sort.down ? " ▼" : " ▲") : ""));
    const best = search.best && search.best.trial;
    replace(table, h("h2", {}, "Trials"), h("table", { class: "table", id: "trials-table" },
      h("thead", {}, h("tr", {}, th, h("th", {}, "job"))),
      h("tbody", {}, rows.map((t) => h("tr", { "data-trial": t.trial, class: t.trial === best ? "best" : "" },
        COLUMNS.map(([name, , cell]) => h("td", { class: name === "status" || name === "trial" ? "" : "num" }, cell(t))),
        params.map((p) => h("td", { class: "num" }, typeof t.params[p] === "object" ? JSON.stringify(t.params[p]) : num(t.params[p]))),
        h("td", {}, h("a", { href: `#/jobs/${t.job_id}` }, h("code", {}, shortId(t.job_id)))))))));
  }

  function draw() {
    const { search, trials } = last;
    const metric = search.objective.metric, best = search.best ? search.best.trial : null;
    const b = search.best;
    replace(head, h("div", { class: "row spread" }, h("h2", {}, `Search ${shortId(search.id)}`), statusBadge(search.status)),
      facts([
        ["progress", searchProgress(search)],
        ["trials", counts(search) || "none yet"],
        ["time left", ENDED.includes(search.status) ? "–" : seconds(search.eta_seconds)],
        ["strategy", `${search.strategy.type}, ${search.strategy.max_trials} trials, ${search.strategy.parallelism} at once`],
        ["objective", `${search.objective.direction} ${metricName(metric)}`],
        ["pruning", search.pruning ? search.pruning.type : "none"],
        ["best", b ? h("span", {}, `trial ${b.trial}: ${num(b.value)} `,
          b.model_id ? h("a", { href: `#/models/${b.model_id}` }, "model") : null) : "–"],
      ], { id: "search-summary" }),
      search.error ? h("p", { class: "error" }, search.error) : null,
      ENDED.includes(search.status) ? null : h("button", { type: "button", class: "quiet", id: "cancel-search",
        onclick: () => api(`/v1/searches/${id}/cancel`, { method: "POST" }).catch(onError) }, "Cancel search"));
    drawTable();
    const curves = new Map([...histories].map(([t, v]) => [t, v.epochs]));
    replace(charts, h("h2", {}, `${metricName(metric)} per epoch, every trial`),
      curvesChart(curves, metric, best),
      h("h2", {}, `${metricName(metric)} against each parameter`),
      h("div", { class: "param-charts" }, Object.entries(search.space).map(
        ([path, range]) => paramChart(path, range, trials, metric, best))));
  }

  return poll(async (stopped) => {
    try {
      const [search, page] = await Promise.all([api(`/v1/searches/${id}`), api(`/v1/searches/${id}/trials`)]);
      await load(page.trials, search.objective.metric);
      if (stopped()) return true;
      last = { search, trials: page.trials };
      draw();
      return ENDED.includes(search.status) && page.trials.every((t) => (histories.get(t.trial) || {}).final);
    } catch (err) { onError(err); return false; }
  });
}

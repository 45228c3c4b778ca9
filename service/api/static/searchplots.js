// A search's charts as inline SVG: every trial's objective per epoch overlaid (redrawn as
// epochs arrive, the best trial drawn on top), and the objective against each parameter.

import { niceTicks, svg } from "./chart.js";
import { metricName, num } from "./format.js";

const PAD = { left: 56, right: 16, top: 24, bottom: 36 };

// The objective of one history epoch ({epoch, loss, val_loss, metrics}); null when absent.
export function epochValue(epoch, metric) {
  const v = epoch[metric] ?? (epoch.metrics || {})[metric];
  return typeof v === "number" && Number.isFinite(v) ? v : null;
}

// A chart frame: grid, ticks and axis names for x in [xTicks] and y in [yTicks], log x
// when asked; returns the svg element and the two scales.
function frame([W, H], cls, label, xTicks, yTicks, xName, yName, logX = false) {
  const el = svg("svg", { class: `loss-chart ${cls}`, viewBox: `0 0 ${W} ${H}`, role: "img", "aria-label": label });
  const f = logX ? Math.log10 : (v) => v;
  const [xLo, xHi] = [f(xTicks[0]), f(xTicks[xTicks.length - 1])];
  const [yLo, yHi] = [yTicks[0], yTicks[yTicks.length - 1]];
  const x = (v) => PAD.left + ((f(v) - xLo) / (xHi - xLo || 1)) * (W - PAD.left - PAD.right);
  const y = (v) => PAD.top + (1 - (v - yLo) / (yHi - yLo || 1)) * (H - PAD.top - PAD.bottom);
  for (const v of yTicks) {
    el.append(svg("line", { class: "grid", x1: PAD.left, x2: W - PAD.right, y1: y(v), y2: y(v) }));
    el.append(svg("text", { class: "tick y", x: PAD.left - 6, y: y(v) + 4, "text-anchor": "end" }, num(v)));
  }
  for (const v of xTicks) {
    el.append(svg("text", { class: "tick x", x: x(v), y: H - PAD.bottom + 16, "text-anchor": "middle" }, num(v)));
  }
  el.append(svg("text", { class: "axis", x: (W + PAD.left) / 2, y: H - 4, "text-anchor": "middle" }, xName));
  el.append(svg("text", { class: "axis", x: PAD.left + 6, y: PAD.top - 10, "text-anchor": "start" }, yName));
  el.append(svg("line", { class: "axisline", x1: PAD.left, x2: PAD.left, y1: PAD.top, y2: H - PAD.bottom }));
  el.append(svg("line", { class: "axisline", x1: PAD.left, x2: W - PAD.right, y1: H - PAD.bottom, y2: H - PAD.bottom }));
  return { el, x, y };
}

function yTicksOf(values) {
  return values.length ? niceTicks(Math.min(...values), Math.max(...values)) : [0, 1];
}

// histories: Map trial number -> [{epoch, value}]; best: the best trial's number or null.
export function curvesChart(histories, metric, best) {
  const all = [...histories.values()].flat();
  const lastEpoch = Math.max(2, ...all.map((p) => p.epoch));
  const xTicks = niceTicks(1, lastEpoch, 8, true);
  const { el, x, y } = frame([900, 320], "search-curves", `${metricName(metric)} of every trial per epoch`,
    xTicks, yTicksOf(all.map((p) => p.value)), "epoch", metricName(metric));
  const order = [...histories.keys()].sort((a, b) => (a === best) - (b === best) || a - b);
  for (const trial of order) {
    const pts = histories.get(trial);
    if (!pts.length) continue;
    const points = pts.map((p) => `${x(p.epoch).toFixed(1)},${y(p.value).toFixed(1)}`).join(" ");
    const line = svg("polyline", { class: `curve trial${trial === best ? " best" : ""}`, points,
      "data-trial": trial, "data-count": pts.length });
    line.append(svg("title", {}, `trial ${trial}: ${num(pts[pts.length - 1].value)} at epoch ${pts[pts.length - 1].epoch}`));
    el.append(line);
  }
  return el;
}

// One scatter per parameter: x the trial's value of it (log scale for loguniform ranges,
// categories spread evenly for choices of non-numbers), y the objective.
export function paramChart(path, range, trials, metric, best) {
  const scored = trials.filter((t) => typeof t.value === "number" && t.params && path in t.params);
  const raw = scored.map((t) => t.params[path]);
  const numeric = raw.every((v) => typeof v === "number");
  const log = numeric && range && "loguniform" in range;
  const labels = numeric ? null : [...new Set(raw.map((v) => JSON.stringify(v)))];
  const xOf = (v) => (numeric ? v : labels.indexOf(JSON.stringify(v)) + 1);
  let xTicks;
  if (!numeric) xTicks = labels.length ? labels.map((_, i) => i + 1) : [0, 1];
  else if (log && raw.length) xTicks = logTicks(Math.min(...raw), Math.max(...raw));
  else xTicks = raw.length ? niceTicks(Math.min(...raw), Math.max(...raw)) : [0, 1];
  if (!numeric) xTicks = [0, ...xTicks, xTicks.length + 1];
  const { el, x, y } = frame([560, 270], "search-param", `${metricName(metric)} against ${path}`,
    xTicks, yTicksOf(scored.map((t) => t.value)), path, metricName(metric), log);
  el.setAttribute("data-path", path);
  if (!numeric) {
    for (const t of el.querySelectorAll(".tick.x")) {
      const i = Number(t.textContent) - 1;
      t.textContent = labels[i] !== undefined ? short(JSON.parse(labels[i])) : "";
    }
  }
  for (const t of scored) {
    const dot = svg("circle", { class: `point${t.trial === best ? " best" : ""}`, cx: x(xOf(t.params[path])),
      cy: y(t.value), r: t.trial === best ? 5 : 4, "data-trial": t.trial });
    dot.append(svg("title", {}, `trial ${t.trial}: ${short(t.params[path])} → ${num(t.value)}`));
    el.append(dot);
  }
  return el;
}

function logTicks(lo, hi) {
  const ticks = [];
  for (let p = Math.floor(Math.log10(lo)); p <= Math.ceil(Math.log10(hi)); p += 1) ticks.push(10 ** p);
  return ticks.length > 1 ? ticks : [ticks[0], ticks[0] * 10];
}

function short(value) {
  if (typeof value === "number") return num(value);
  if (value && typeof value === "object" && value.type) return value.type;
  return String(JSON.stringify(value)).slice(0, 16);
}

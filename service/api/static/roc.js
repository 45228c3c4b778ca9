// ROC curves as inline SVG: the binary curve, or one one-vs-rest curve per class.

import { svg } from "./chart.js";

const S = 300, PAD = 40, COLOURS = ["#2f6fde", "#e0762b", "#2e8b57", "#8e44ad", "#c8372d", "#16a085", "#7f8c8d"];

function curvesOf(roc) {
  if (roc.curves) return Object.entries(roc.curves);
  return roc.fpr && roc.fpr.length ? [[`${roc.positive} (positive)`, roc]] : [];
}

export function rocChart(roc, auc) {
  const curves = curvesOf(roc || {});
  const el = svg("svg", {
    class: "roc-chart", id: "roc-chart", viewBox: `0 0 ${S + 150} ${S + 10}`, role: "img",
    "aria-label": "ROC curves", "data-curves": curves.length,
  });
  const x = (v) => PAD + v * (S - PAD - 10), y = (v) => S - PAD - v * (S - PAD - 10) + 10;
  el.append(svg("rect", { class: "frame", x: x(0), y: y(1), width: x(1) - x(0), height: y(0) - y(1) }));
  el.append(svg("line", { class: "chance", x1: x(0), y1: y(0), x2: x(1), y2: y(1) }));
  for (const v of [0, 0.5, 1]) {
    el.append(svg("text", { class: "tick", x: x(v), y: y(0) + 14, "text-anchor": "middle" }, v));
    el.append(svg("text", { class: "tick", x: x(0) - 6, y: y(v) + 4, "text-anchor": "end" }, v));
  }
  el.append(svg("text", { class: "axis", x: x(0.5), y: S + 6, "text-anchor": "middle" }, "false positive rate"));
  el.append(svg("text", { class: "axis", x: 12, y: y(0.5), transform: `rotate(-90 12 ${y(0.5)})`, "text-anchor": "middle" }, "true positive rate"));
  curves.forEach(([label, c], k) => {
    const colour = COLOURS[k % COLOURS.length];
    const points = c.fpr.map((f, i) => `${x(f).toFixed(1)},${y(c.tpr[i]).toFixed(1)}`).join(" ");
    el.append(svg("polyline", { class: "roc", points, stroke: colour, "data-label": label }));
    el.append(svg("rect", { x: S + 4, y: 14 + 18 * k, width: 12, height: 4, fill: colour }));
    el.append(svg("text", { class: "tick", x: S + 20, y: 20 + 18 * k }, label));
  });
  if (typeof auc === "number") {
    el.append(svg("text", { class: "tick", x: S + 4, y: 26 + 18 * curves.length }, `AUC ${auc.toFixed(3)}${curves.length > 1 ? " (macro)" : ""}`));
  }
  return el;
}

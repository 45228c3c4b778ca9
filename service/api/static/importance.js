// Permutation importance as horizontal bars: each column's drop in the objective metric.

import { svg } from "./chart.js";

const W = 520, BAR = 18, LEFT = 150;

export function importanceBars(importance) {
  const cols = importance.columns;
  const top = Math.max(1e-9, ...cols.map((c) => Math.abs(c.importance)));
  const height = cols.length * (BAR + 6) + 30;
  const el = svg("svg", {
    class: "importance-chart", id: "importance-chart", viewBox: `0 0 ${W} ${height}`, role: "img",
    "aria-label": `permutation importance: drop in ${importance.metric}`, "data-bars": cols.length,
  });
  const span = W - LEFT - 70;
  cols.forEach((c, i) => {
    const yTop = 6 + i * (BAR + 6);
    const width = (Math.abs(c.importance) / top) * span;
    el.append(svg("text", { class: "tick", x: LEFT - 8, y: yTop + BAR - 5, "text-anchor": "end" }, c.column));
    el.append(svg("rect", {
      class: c.importance >= 0 ? "bar" : "bar negative", x: LEFT, y: yTop, width: width.toFixed(1),
      height: BAR, "data-column": c.column, "data-importance": c.importance,
    }));
    el.append(svg("text", { class: "tick", x: LEFT + width + 6, y: yTop + BAR - 5 }, c.importance.toFixed(3)));
  });
  el.append(svg("text", { class: "axis", x: 8, y: height - 6 },
    `drop in ${importance.metric} when a column is shuffled · ${importance.rows} rows · ${importance.repeats} shuffles`));
  return el;
}

// The confusion matrix as a heatmap table: rows are true labels, columns predicted; a cell's
// shade is its share of its row (the recall of the diagonal).

import { h } from "./dom.js";

export function confusionHeatmap(cm) {
  const labels = cm.labels.map(String);
  const head = h("tr", {}, h("th", { class: "corner" }, "true \\ predicted"),
    labels.map((label) => h("th", { scope: "col" }, label)));
  const rows = cm.matrix.map((counts, i) => {
    const total = counts.reduce((a, b) => a + b, 0) || 1;
    return h("tr", {}, h("th", { scope: "row" }, labels[i]), counts.map((count, j) => {
      const share = count / total;
      const cell = h("td", {
        class: i === j ? "hit" : "miss", "data-count": count, "data-true": labels[i],
        "data-predicted": labels[j], title: `${labels[i]} → ${labels[j]}: ${count} (${(share * 100).toFixed(1)}% of the row)`,
      }, count);
      cell.style.background = `rgba(${i === j ? "47, 111, 222" : "200, 55, 45"}, ${(0.08 + 0.82 * share).toFixed(3)})`;
      if (share > 0.55) cell.style.color = "#fff";
      return cell;
    }));
  });
  return h("table", { class: "heatmap", id: "confusion-matrix" },
    h("caption", { class: "muted" }, "confusion matrix (rows: true, columns: predicted)"),
    h("thead", {}, head), h("tbody", {}, rows));
}

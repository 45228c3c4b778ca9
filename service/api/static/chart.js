// Loss curves as inline SVG: training and validation loss per epoch, redrawn as epochs
// arrive. The x-axis runs to the last epoch run; y ticks are round numbers; the epoch whose
// weights were kept (early stopping's restored best) is marked.

import { num } from "./format.js";

const NS = "http://www.w3.org/2000/svg";
const W = 560, H = 270, PAD = { left: 56, right: 16, top: 28, bottom: 36 };

export function svg(tag, attrs = {}, text) {
  const el = document.createElementNS(NS, tag);
  for (const [k, v] of Object.entries(attrs)) el.setAttribute(k, String(v));
  if (text !== undefined) el.textContent = text;
  return el;
}

// Round tick values covering [lo, hi]: steps of 1, 2 or 5 times a power of ten.
export function niceTicks(lo, hi, target = 5, integer = false) {
  const raw = (hi - lo) / Math.max(1, target - 1) || Math.abs(hi) || 1;
  const power = 10 ** Math.floor(Math.log10(raw));
  const ratio = raw / power;
  let step = (ratio < 1.5 ? 1 : ratio < 3 ? 2 : ratio < 7 ? 5 : 10) * power;
  if (integer) step = Math.max(1, Math.round(step));
  const first = Math.floor(lo / step + 1e-9) * step, last = Math.ceil(hi / step - 1e-9) * step;
  const out = [];
  for (let v = first; v <= last + step / 2; v += step) out.push(Number(v.toPrecision(12)));
  return out.length > 1 ? out : [first, first + step];
}

export class LossChart {
  constructor() {
    this.points = [];
    this.kept = null; // { epoch, label }
    this.el = svg("svg", {
      class: "loss-chart", viewBox: `0 0 ${W} ${H}`, role: "img",
      "aria-label": "training and validation loss per epoch", "data-points": 0,
    });
    this.draw();
  }

  add(record) {
    if (this.points.length && record.epoch <= this.points[this.points.length - 1].epoch) return;
    this.points.push(record);
    this.draw();
  }

  // Mark the epoch whose weights the model kept, e.g. mark(13, "best epoch 13, restored").
  mark(epoch, label) {
    this.kept = epoch ? { epoch, label } : null;
    this.draw();
  }

  draw() {
    const el = this.el;
    el.replaceChildren();
    el.setAttribute("data-points", this.points.length);
    const values = this.points.flatMap((p) => [p.loss, p.val_loss])
      .filter((v) => typeof v === "number" && Number.isFinite(v));
    const lastEpoch = this.points.length ? this.points[this.points.length - 1].epoch : 1;
    const xTicks = niceTicks(1, Math.max(lastEpoch, 2), 8, true).filter((e) => e >= 1);
    const xLo = 1, xHi = Math.max(lastEpoch, 2);
    el.setAttribute("data-x-max", xHi);
    const yTicks = values.length ? niceTicks(Math.min(...values), Math.max(...values)) : [0, 1];
    const lo = yTicks[0], hi = yTicks[yTicks.length - 1];
    const x = (e) => PAD.left + ((e - xLo) / (xHi - xLo)) * (W - PAD.left - PAD.right);
    const y = (v) => PAD.top + (1 - (v - lo) / (hi - lo)) * (H - PAD.top - PAD.bottom);

    for (const v of yTicks) {
      el.append(svg("line", { class: "grid", x1: PAD.left, x2: W - PAD.right, y1: y(v), y2: y(v) }));
      el.append(svg("text", { class: "tick y", x: PAD.left - 6, y: y(v) + 4, "text-anchor": "end" }, num(v)));
    }
    for (const e of xTicks.filter((t) => t <= xHi)) {
      el.append(svg("text", { class: "tick x", x: x(e), y: H - PAD.bottom + 16, "text-anchor": "middle" }, num(e)));
    }
    el.append(svg("text", { class: "axis", x: (W + PAD.left) / 2, y: H - 4, "text-anchor": "middle" }, "epoch"));
    el.append(svg("text", { class: "axis", x: PAD.left - 6, y: PAD.top - 12, "text-anchor": "end" }, "loss"));
    el.append(svg("line", { class: "axisline", x1: PAD.left, x2: PAD.left, y1: PAD.top, y2: H - PAD.bottom }));
    el.append(svg("line", { class: "axisline", x1: PAD.left, x2: W - PAD.right, y1: H - PAD.bottom, y2: H - PAD.bottom }));

    if (this.kept && this.kept.epoch <= xHi) this.marker(x(this.kept.epoch));
    this.series(x, y, "loss", "train");
    this.series(x, y, "val_loss", "val");
    const legend = svg("g", { class: "legend" });
    legend.append(svg("rect", { class: "swatch train", x: W - 250, y: 8, width: 14, height: 4 }));
    legend.append(svg("text", { x: W - 230, y: 14 }, "training loss"));
    legend.append(svg("rect", { class: "swatch val", x: W - 135, y: 8, width: 14, height: 4 }));
    legend.append(svg("text", { x: W - 115, y: 14 }, "validation loss"));
    el.append(legend);
  }

  marker(at) {
    const g = svg("g", { class: "kept", "data-epoch": this.kept.epoch });
    g.append(svg("line", { x1: at, x2: at, y1: PAD.top, y2: H - PAD.bottom }));
    const right = at > W - 170;
    g.append(svg("text", { x: right ? at - 5 : at + 5, y: PAD.top + 12, "text-anchor": right ? "end" : "start" }, this.kept.label));
    this.el.append(g);
  }

  series(x, y, field, cls) {
    const pts = this.points.filter((p) => typeof p[field] === "number" && Number.isFinite(p[field]));
    if (!pts.length) return;
    const coords = pts.map((p) => `${x(p.epoch).toFixed(1)},${y(p[field]).toFixed(1)}`).join(" ");
    this.el.append(svg("polyline", { class: `curve ${cls}`, points: coords, "data-count": pts.length }));
    if (pts.length === 1) {
      const p = pts[0];
      this.el.append(svg("circle", { class: `dot ${cls}`, cx: x(p.epoch), cy: y(p[field]), r: 3 }));
    }
  }
}

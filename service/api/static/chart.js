// Loss curves as inline SVG: train and validation loss per epoch, redrawn as epochs arrive.

const NS = "http://www.w3.org/2000/svg";
const W = 640, H = 280, PAD = { left: 56, right: 16, top: 16, bottom: 36 };

function svg(tag, attrs = {}, text) {
  const el = document.createElementNS(NS, tag);
  for (const [k, v] of Object.entries(attrs)) el.setAttribute(k, String(v));
  if (text !== undefined) el.textContent = text;
  return el;
}

function ticks(lo, hi, count) {
  if (hi === lo) return [lo];
  const step = (hi - lo) / (count - 1);
  return Array.from({ length: count }, (_, i) => lo + i * step);
}

function label(value) {
  const a = Math.abs(value);
  if (a !== 0 && (a < 0.001 || a >= 10000)) return value.toExponential(1);
  return Number(value.toPrecision(3)).toString();
}

export class LossChart {
  constructor(totalEpochs) {
    this.totalEpochs = totalEpochs || 1;
    this.points = [];
    this.el = svg("svg", {
      class: "loss-chart", viewBox: `0 0 ${W} ${H}`, role: "img",
      "aria-label": "train and validation loss per epoch", "data-points": 0,
    });
    this.draw();
  }

  add(record) {
    if (this.points.length && record.epoch <= this.points[this.points.length - 1].epoch) return;
    this.points.push(record);
    this.draw();
  }

  draw() {
    const el = this.el;
    el.replaceChildren();
    el.setAttribute("data-points", this.points.length);
    const values = this.points.flatMap((p) => [p.loss, p.val_loss])
      .filter((v) => typeof v === "number" && Number.isFinite(v));
    const lastEpoch = this.points.length ? this.points[this.points.length - 1].epoch : 1;
    const xMax = Math.max(this.totalEpochs, lastEpoch, 2);
    let lo = values.length ? Math.min(...values) : 0, hi = values.length ? Math.max(...values) : 1;
    if (hi - lo < 1e-12) { hi += 0.5; lo = Math.max(0, lo - 0.5); }
    const pad = (hi - lo) * 0.05;
    lo = Math.max(0, lo - pad); hi += pad;
    const x = (epoch) => PAD.left + ((epoch - 1) / (xMax - 1)) * (W - PAD.left - PAD.right);
    const y = (v) => PAD.top + (1 - (v - lo) / (hi - lo)) * (H - PAD.top - PAD.bottom);

    for (const v of ticks(lo, hi, 5)) {
      el.append(svg("line", { class: "grid", x1: PAD.left, x2: W - PAD.right, y1: y(v), y2: y(v) }));
      el.append(svg("text", { class: "tick", x: PAD.left - 6, y: y(v) + 4, "text-anchor": "end" }, label(v)));
    }
    for (const e of ticks(1, xMax, Math.min(6, xMax))) {
      const epoch = Math.round(e);
      el.append(svg("text", { class: "tick", x: x(epoch), y: H - PAD.bottom + 16, "text-anchor": "middle" }, epoch));
    }
    el.append(svg("text", { class: "axis", x: (W + PAD.left) / 2, y: H - 4, "text-anchor": "middle" }, "epoch"));
    el.append(svg("line", { class: "axisline", x1: PAD.left, x2: PAD.left, y1: PAD.top, y2: H - PAD.bottom }));
    el.append(svg("line", { class: "axisline", x1: PAD.left, x2: W - PAD.right, y1: H - PAD.bottom, y2: H - PAD.bottom }));

    this.series(x, y, "loss", "train");
    this.series(x, y, "val_loss", "val");
    const legend = svg("g", { class: "legend" });
    legend.append(svg("rect", { class: "swatch train", x: W - 190, y: 8, width: 14, height: 4 }));
    legend.append(svg("text", { x: W - 170, y: 14 }, "train loss"));
    legend.append(svg("rect", { class: "swatch val", x: W - 100, y: 8, width: 14, height: 4 }));
    legend.append(svg("text", { x: W - 80, y: 14 }, "val loss"));
    el.append(legend);
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

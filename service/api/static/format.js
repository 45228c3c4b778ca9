// One way to write numbers, metric names, sizes and times on every page.

const DASH = "–";
const WORDS = {
  loss: "loss", accuracy: "accuracy", mae: "mean absolute error", r2: "R²",
  epoch: "epoch", epochs_run: "epochs run",
};

// Up to 4 significant digits without trailing zeros; integers whole with thousands
// separators; very small or very large values in scientific notation (6.5e-5).
export function num(value) {
  if (value === null || value === undefined || Number.isNaN(value)) return DASH;
  if (typeof value !== "number") return String(value);
  if (!Number.isFinite(value)) return value > 0 ? "∞" : "−∞";
  if (Number.isInteger(value) && Math.abs(value) < 1e15) return value.toLocaleString("en-US");
  const a = Math.abs(value);
  if (a < 1e-3 || a >= 1e15) return value.toExponential(1).replace(/\.0e/, "e").replace("e+", "e");
  if (a >= 1000) return Math.round(value).toLocaleString("en-US");
  return String(Number(value.toPrecision(4)));
}

// A fraction as a percentage with the same digits rule: 0.97222 -> "97.22%".
export function percent(fraction) {
  return fraction === null || fraction === undefined ? DASH : `${num(fraction * 100)}%`;
}

// "val_accuracy" -> "validation accuracy", "loss" -> "training loss", "epochs_run" -> "epochs run".
export function metricName(key) {
  if (key.startsWith("val_")) return `validation ${WORDS[key.slice(4)] || key.slice(4).replace(/_/g, " ")}`;
  if (key === "epoch" || key === "epochs_run") return WORDS[key];
  return `training ${WORDS[key] || key.replace(/_/g, " ")}`;
}

export function bytes(n) {
  if (n === null || n === undefined) return DASH;
  const units = ["B", "kB", "MB", "GB"];
  let i = 0;
  while (n >= 1000 && i < units.length - 1) { n /= 1000; i += 1; }
  return `${num(i ? Number(n.toPrecision(3)) : n)} ${units[i]}`;
}

export function seconds(value) {
  if (value === null || value === undefined) return DASH;
  if (value < 60) return `${num(Number(value.toFixed(value < 10 ? 1 : 0)))} s`;
  const m = Math.floor(value / 60);
  return m < 60 ? `${m} min ${Math.round(value % 60)} s` : `${Math.floor(m / 60)} h ${m % 60} min`;
}

const TIME = { hour: "2-digit", minute: "2-digit", hourCycle: "h23" };

// "today 14:05", "yesterday 09:12", "2 Dec 14:05" (with the year when not this year).
export function when(iso) {
  if (!iso) return DASH;
  const d = new Date(iso), now = new Date();
  const time = d.toLocaleTimeString("en-GB", TIME);
  const days = Math.round((startOfDay(now) - startOfDay(d)) / 86400000);
  if (days === 0) return `today ${time}`;
  if (days === 1) return `yesterday ${time}`;
  const date = d.toLocaleDateString("en-GB", {
    day: "numeric", month: "short", year: d.getFullYear() === now.getFullYear() ? undefined : "numeric",
  });
  return `${date} ${time}`;
}

// The full local time for tooltips: "2 Dec 2026, 14:05:12".
export function exactly(iso) {
  return iso ? new Date(iso).toLocaleString("en-GB", { dateStyle: "medium", timeStyle: "medium" }) : DASH;
}

function startOfDay(d) {
  return new Date(d.getFullYear(), d.getMonth(), d.getDate()).getTime();
}

// How long a job ran: finished (or now, while running) minus started.
export function duration(job) {
  if (!job.started_at) return DASH;
  const end = job.finished_at ? new Date(job.finished_at) : new Date();
  return seconds(Math.max(0, (end - new Date(job.started_at)) / 1000));
}

export function shortId(id) {
  return id ? id.slice(0, 8) : DASH;
}

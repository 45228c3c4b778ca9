// Data sets page: upload a CSV or NPZ (target column, task, imputation) and the list.

import { api } from "./api.js";
import { h, replace } from "./dom.js";
import { bytes, exactly, num, when } from "./format.js";
import { clearErrors, field, showErrors } from "./forms.js";

export function datasetsView(root, onError) {
  const list = h("section", { class: "card", id: "datasets-list" }, h("h2", {}, "Data sets"), h("p", {}, "loading…"));
  replace(root, h("div", { class: "split wide-first" }, list, uploadCard(onError)));
  api("/v1/datasets?limit=100").then((page) => {
    const rows = page.items.map((d) => h("tr", { "data-dataset-id": d.id },
      h("td", { class: "clip" }, h("a", { href: `#/datasets/${d.id}` }, d.name)),
      h("td", {}, d.task),
      h("td", { class: "num" }, num(d.rows)),
      h("td", { class: "num" }, num(d.features)),
      h("td", { class: "num" }, d.classes ? num(d.classes.length) : "–"),
      h("td", { class: "num" }, bytes(d.size_bytes)),
      h("td", { class: "time", title: exactly(d.created_at) }, when(d.created_at))));
    replace(list, h("h2", {}, "Data sets"), h("table", { class: "table", id: "datasets-table" },
      h("thead", {}, h("tr", {}, ["name", "task", "rows", "features", "classes", "size", "uploaded"]
        .map((t, i) => h("th", { class: i >= 2 && i <= 5 ? "num" : "" }, t)))),
      h("tbody", {}, rows.length ? rows : h("tr", {}, h("td", { colspan: 7, class: "muted" }, "none yet: upload one")))));
  }).catch(onError);
  return () => {};
}

function uploadCard(onError) {
  const file = h("input", { type: "file", name: "file", accept: ".csv,.npz,text/csv", required: true });
  const target = h("select", { name: "target", disabled: true }, h("option", { value: "" }, "choose a file first"));
  const task = h("select", { name: "task" }, h("option", { value: "" }, "from the labels"),
    h("option", { value: "classification" }, "classification"), h("option", { value: "regression" }, "regression"));
  const impute = h("select", { name: "impute" }, h("option", { value: "" }, "refuse them"),
    h("option", { value: "mean" }, "fill with the mean"), h("option", { value: "median" }, "fill with the median"));
  const name = h("input", { type: "text", name: "name", placeholder: "the file's name" });
  const categorical = h("input", { type: "text", name: "categorical", placeholder: "e.g. zip, store_id" });
  const ignore = h("input", { type: "text", name: "ignore", placeholder: "e.g. id, notes" });
  const csvOnly = [target, impute, categorical, ignore];
  const status = h("p", { class: "muted", "aria-live": "polite" });

  file.addEventListener("change", async () => {
    const chosen = file.files[0];
    const csv = chosen && !chosen.name.toLowerCase().endsWith(".npz");
    for (const control of csvOnly) control.disabled = !csv;
    if (!csv) return replace(target, h("option", { value: "" }, chosen ? "NPZ: the array y" : "choose a file first"));
    const columns = headerColumns(await chosen.slice(0, 65536).text());
    replace(target, columns.map((c) => h("option", { value: c }, c)));
    target.value = columns[columns.length - 1] || "";
  });

  async function submit(event) {
    event.preventDefault();
    clearErrors(form);
    const body = new FormData();
    if (file.files[0]) body.append("file", file.files[0]);
    for (const control of [name, task, ...csvOnly]) {
      if (!control.disabled && control.value) body.append(control.name, control.value);
    }
    replace(status, "uploading…");
    try {
      const d = await api("/v1/datasets", { method: "POST", form: body });
      location.hash = `#/datasets/${d.id}`;
    } catch (err) {
      replace(status);
      if (err.status === 401) return onError(err);
      showErrors(form, err, uploadFieldFor);
    }
  }

  const form = h("form", { id: "upload-form", onsubmit: submit },
    field("file", "CSV with a header row, or NPZ with arrays X and y", file),
    field("target", "label column", target, "the rest are the features"),
    h("div", { class: "fields two" }, field("task", "task", task), field("impute", "missing numbers", impute),
      field("categorical", "read as categories", categorical, "numeric columns that are labels"),
      field("ignore", "leave out", ignore, "columns the network should not see")),
    field("name", "name (optional)", name),
    h("div", { class: "row" }, h("button", { type: "submit" }, "Upload"), status),
    h("p", { class: "error", "data-error-for": "", role: "alert" }));
  return h("section", { class: "card", id: "upload" }, h("h2", {}, "Upload a data set"), form);
}

// The upload field a 422 is about: the field it names ("ignore: ...", "field 'x' ...") or
// suggests ("upload with ignore=id"), else a bad cell -> the missing-numbers choice and a
// column alone -> the label column.
const UPLOAD_FIELDS = ["file", "name", "target", "task", "impute", "categorical", "ignore"];

function uploadFieldFor(e) {
  const text = e.message || "";
  const named = /^(?:field '(\w+)'|(\w+):)/.exec(text) || /upload with (\w+)=/i.exec(text);
  const name = named && named.slice(1).find(Boolean);
  if (UPLOAD_FIELDS.includes(name)) return name;
  if (e.row !== undefined) return "impute";
  return e.column !== undefined ? "target" : null;
}

// The first line of a CSV as column names (quotes removed; commas inside quotes respected).
function headerColumns(text) {
  const line = text.split(/\r?\n/, 1)[0].replace(/^\uFEFF/, "");
  const out = [];
  let cell = "", quoted = false;
  for (const ch of line) {
    if (ch === '"') quoted = !quoted;
    else if (ch === "," && !quoted) { out.push(cell.trim()); cell = ""; }
    else cell += ch;
  }
  out.push(cell.trim());
  return out.filter(Boolean);
}

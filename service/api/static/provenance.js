// A model's provenance for its page: the registry names and aliases it is, and its lineage.

import { facts, h } from "./dom.js";
import { num, seconds, shortId } from "./format.js";

export function registryTags(model) {
  return (model.registered_as || []).flatMap((r) => [`${r.name}@${r.version}`, ...r.aliases.map((a) => `${r.name}@${a}`)]);
}

export function lineageFacts(model) {
  const l = model.lineage;
  if (!l) return [];
  return [
    ["data set", h("code", { title: l.dataset_id }, shortId(l.dataset_id))],
    ["data SHA-256", h("code", { title: l.dataset_sha256 || "" }, l.dataset_sha256 ? l.dataset_sha256.slice(0, 16) + "…" : "–")],
    ["job", h("a", { href: `#/jobs/${l.job_id}` }, shortId(l.job_id))],
    ["seed", num(l.seed)],
    ["attempts", num(l.attempts)],
    ["training time", seconds(l.training_seconds)],
    ["search / trial", l.search_id ? `${shortId(l.search_id)} / trial ${num(l.trial)}` : "–"],
    ["service version", l.service_version || "–"],
  ];
}

export function provenance(model) {
  const tags = registryTags(model);
  return [
    h("h3", {}, "Registry"),
    h("p", { id: "model-registry" }, tags.length ? tags.map((t) => h("code", { class: "tag" }, t)) : h("span", { class: "muted" }, "not registered")),
    h("h3", {}, "Lineage"),
    facts(lineageFacts(model), { id: "model-lineage" }),
  ];
}

"""The model page's provenance: registry names and aliases, and the lineage facts."""

from __future__ import annotations

import json
import shutil
import subprocess

import pytest

from service.api.routers.dashboard import STATIC_DIR

NODE = shutil.which("node")
SCRIPT = """
globalThis.Node = class {};
const el = (tag) => ({tag, kids: [], attrs: {}, append(c) { this.kids.push(c); },
  setAttribute(k, v) { this.attrs[k] = v; }, addEventListener() {}});
globalThis.document = {createElement: el, createTextNode: (text) => text};
const text = (n) => (typeof n === "string" ? n : n.kids.map(text).join(""));
const {registryTags, lineageFacts} = await import(process.argv[1]);
const model = JSON.parse(process.argv[2]);
console.log(JSON.stringify({tags: registryTags(model),
  facts: Object.fromEntries(lineageFacts(model).map(([k, v]) => [k, text(v)]))}));
"""
MODEL = {
    "registered_as": [
        {"name": "wine", "version": 2, "aliases": ["production", "staging"]},
        {"name": "red", "version": 1, "aliases": []},
    ],
    "lineage": {
        "dataset_id": "6f1c1a8e-1f7e-4c1e-9a55-2b0b7c0c1d2e",
        "dataset_sha256": "ab" * 32,
        "job_id": "0b6e7c1d-52a4-4c39-8f53-8f0d3f6f2a11",
        "spec": {},
        "seed": 7,
        "attempts": 2,
        "training_seconds": 75.0,
        "search_id": None,
        "trial": None,
        "service_version": "0.1.0",
    },
}


def run(model: dict) -> dict:
    out = subprocess.run(
        [NODE, "--experimental-default-type=module", "--input-type=module", "-e", SCRIPT,
         "--", (STATIC_DIR / "provenance.js").as_uri(), json.dumps(model)],
        capture_output=True, text=True, timeout=60, check=True,
    )  # fmt: skip
    return json.loads(out.stdout)


@pytest.mark.skipif(NODE is None, reason="needs node to run the dashboard's JavaScript")
def test_provenance_lists_registry_refs_and_lineage():
    shown = run(MODEL)
    assert shown["tags"] == ["wine@2", "wine@production", "wine@staging", "red@1"]
    facts = shown["facts"]
    assert facts["data SHA-256"] == "ab" * 8 + "…" and facts["seed"] == "7"
    assert facts["attempts"] == "2" and facts["training time"] == "1 min 15 s"
    assert facts["service version"] == "0.1.0" and facts["search / trial"] == "–"


@pytest.mark.skipif(NODE is None, reason="needs node to run the dashboard's JavaScript")
def test_a_model_without_registry_or_lineage_shows_nothing_made_up():
    assert run({"registered_as": [], "lineage": None}) == {"tags": [], "facts": {}}

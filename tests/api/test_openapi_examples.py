"""OpenAPI: every request body documents an example, so /docs can be tried as is, and every
$ref in the document points to something that exists."""

from __future__ import annotations

from typing import Any


def _resolve(doc: dict[str, Any], schema: dict[str, Any]) -> dict[str, Any]:
    """Follow $ref; a dangling one resolves to {} (no example, and /docs cannot show it)."""
    while "$ref" in schema:
        name = schema["$ref"].rsplit("/", 1)[-1]
        schema = doc.get("components", {}).get("schemas", {}).get(name, {})
    return schema


def has_example(doc: dict[str, Any], schema: dict[str, Any] | None, depth: int = 0) -> bool:
    """An example on the schema, its $ref target, or every non-null branch of anyOf/oneOf."""
    if not schema or depth > 5:
        return False
    schema = _resolve(doc, schema)
    if "example" in schema or schema.get("examples"):
        return True
    branches = [b for b in schema.get("anyOf", schema.get("oneOf", [])) if b.get("type") != "null"]
    return bool(branches) and all(has_example(doc, b, depth + 1) for b in branches)


def test_every_request_body_has_an_example(app_client):
    doc = app_client.get("/openapi.json").json()
    missing = []
    for path, operations in doc["paths"].items():
        for verb, operation in operations.items():
            body = operation.get("requestBody")
            if not body:
                continue
            for media, content in body["content"].items():
                if "example" in content or content.get("examples"):
                    continue
                if not has_example(doc, content.get("schema")):
                    missing.append(f"{verb.upper()} {path} ({media})")
    assert not missing, f"request bodies without an example: {missing}"


def _refs(node: Any) -> list[str]:
    """Every $ref value anywhere in `node`."""
    if isinstance(node, dict):
        own = [node["$ref"]] if isinstance(node.get("$ref"), str) else []
        return own + [ref for value in node.values() for ref in _refs(value)]
    if isinstance(node, list):
        return [ref for value in node for ref in _refs(value)]
    return []


def _points_to_something(doc: dict[str, Any], ref: str) -> bool:
    """True when `ref` is a local JSON pointer ("#/a/b") naming a part of `doc`."""
    if not ref.startswith("#/"):
        return False
    node: Any = doc
    for part in ref[2:].split("/"):
        part = part.replace("~1", "/").replace("~0", "~")
        if not isinstance(node, dict) or part not in node:
            return False
        node = node[part]
    return True


def test_every_ref_resolves(app_client):
    doc = app_client.get("/openapi.json").json()
    refs = _refs(doc)
    assert refs, "the document has no $ref at all; the walk is broken"
    dangling = sorted({ref for ref in refs if not _points_to_something(doc, ref)})
    assert not dangling, f"$ref targets missing from /openapi.json: {dangling}"


def test_ref_check_sees_a_dangling_ref():
    doc = {"components": {"schemas": {"A": {}}}, "x": [{"$ref": "#/components/schemas/B"}]}
    assert [r for r in _refs(doc) if not _points_to_something(doc, r)] == ["#/components/schemas/B"]
    assert _points_to_something(doc, "#/components/schemas/A")


def test_dataset_upload_json_body_is_documented(app_client):
    doc = app_client.get("/openapi.json").json()
    body = doc["paths"]["/v1/datasets"]["post"]["requestBody"]["content"]["application/json"]
    schema = _resolve(doc, body["schema"])
    assert {"X", "y"} <= set(schema["required"]) and "feature_names" in schema["properties"]


def test_events_route_is_documented(app_client):
    doc = app_client.get("/openapi.json").json()
    op = doc["paths"]["/v1/jobs/{job_id}/events"]["get"]
    assert "text/event-stream" in op["responses"]["200"]["content"]
    assert "/" not in doc["paths"]  # the dashboard page is not an API route

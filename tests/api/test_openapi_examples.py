"""OpenAPI: every request body documents an example, so /docs can be tried as is."""

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


def test_events_route_is_documented(app_client):
    doc = app_client.get("/openapi.json").json()
    op = doc["paths"]["/v1/jobs/{job_id}/events"]["get"]
    assert "text/event-stream" in op["responses"]["200"]["content"]
    assert "/" not in doc["paths"]  # the dashboard page is not an API route

"""Every /v1 operation has a `backprop` command, and every request field of it an option.

The fields come from the service's own OpenAPI schema: path parameters, query parameters,
headers, multipart form fields and the top-level fields of JSON bodies. A new route or a new
field fails this test until the CLI (and this mapping) gains it.
"""

from __future__ import annotations

from typing import Any

import typer

from service.api.app import create_app
from service.cli import app as cli_app

SPEC_FILE = "spec_file"
"""`jobs submit SPEC.json` and `searches submit SPEC.json`: the nested bodies (network,
training; a search's space, strategy, objective and pruning) are read from this file
(dataset_id may be in it too; --dataset overrides it)."""

DATA_FILE = "path"
"""`datasets upload FILE`: the multipart file, or for a .json file its X, y and
feature_names, which are sent as they are in the file."""

AUTOMATIC = "automatic"
"""Sent by the client itself, with the reason in the mapping."""

# (method, path) -> (command words, {field: option, argument name or AUTOMATIC note}).
# A field not named here needs the option --field-name (underscores as dashes), a path
# parameter an argument of its name.
COMMANDS: dict[tuple[str, str], tuple[tuple[str, ...], dict[str, str]]] = {
    ("post", "/v1/datasets"): (
        ("datasets", "upload"),
        {"file": DATA_FILE, "X": DATA_FILE, "y": DATA_FILE, "feature_names": DATA_FILE},
    ),
    ("get", "/v1/datasets"): (("datasets", "list"), {}),
    ("get", "/v1/datasets/{dataset_id}"): (("datasets", "show"), {}),
    ("delete", "/v1/datasets/{dataset_id}"): (("datasets", "delete"), {}),
    ("post", "/v1/jobs"): (
        ("jobs", "submit"),
        {"dataset_id": "--dataset", "network": SPEC_FILE, "training": SPEC_FILE},
    ),
    ("get", "/v1/jobs"): (("jobs", "list"), {}),
    ("get", "/v1/jobs/{job_id}"): (("jobs", "show"), {}),
    ("get", "/v1/jobs/{job_id}/history"): (("jobs", "history"), {}),
    ("post", "/v1/jobs/{job_id}/cancel"): (("jobs", "cancel"), {}),
    ("get", "/v1/jobs/{job_id}/events"): (
        ("jobs", "follow"),
        {"last-event-id": AUTOMATIC + ": the client resumes after its last epoch on reconnect"},
    ),
    ("get", "/v1/models"): (("models", "list"), {}),
    ("get", "/v1/models/{model_id}"): (("models", "show"), {}),
    ("delete", "/v1/models/{model_id}"): (("models", "delete"), {}),
    ("get", "/v1/models/{model_id}/weights"): (("models", "download"), {}),
    ("get", "/v1/models/{model_id}/export"): (("models", "export"), {}),
    ("post", "/v1/models/{model_id}/predict"): (("models", "predict"), {}),
    ("post", "/v1/models/{model_id}/evaluate"): (
        ("models", "evaluate"),
        {"dataset_id": "--dataset"},
    ),
    ("delete", "/v1/jobs/{job_id}"): (("jobs", "delete"), {}),
    ("post", "/v1/models/{model_id}/predictions"): (
        ("models", "score"),
        {"dataset_id": "--dataset"},
    ),
    ("get", "/v1/models/{model_id}/predictions/{run_id}"): (("models", "scoring"), {}),
    ("delete", "/v1/models/{model_id}/predictions/{run_id}"): (("models", "scoring-delete"), {}),
    ("get", "/v1/models/{model_id}/predictions/{run_id}/download"): (
        ("models", "scoring-download"),
        {},
    ),
    ("post", "/v1/models/{model_id}/predictions/{run_id}/cancel"): (
        ("models", "scoring-cancel"),
        {},
    ),
    ("post", "/v1/registry/{name}/versions"): (("registry", "register"), {"model_id": "model_id"}),
    ("get", "/v1/registry"): (("registry", "list"), {}),
    ("get", "/v1/registry/{name}"): (("registry", "show"), {}),
    ("put", "/v1/registry/{name}/aliases/{alias}"): (
        ("registry", "alias"),
        {"alias": "alias_name", "version": "version"},
    ),
    ("delete", "/v1/registry/{name}/aliases/{alias}"): (
        ("registry", "delete-alias"),
        {"alias": "alias_name"},
    ),
    ("delete", "/v1/registry/{name}/versions/{version}"): (("registry", "delete-version"), {}),
    ("post", "/v1/webhooks"): (("webhooks", "create"), {"url": "target", "events": "--event"}),
    ("get", "/v1/webhooks"): (("webhooks", "list"), {}),
    ("get", "/v1/webhooks/{webhook_id}"): (("webhooks", "show"), {}),
    ("delete", "/v1/webhooks/{webhook_id}"): (("webhooks", "delete"), {}),
    ("get", "/v1/webhooks/{webhook_id}/deliveries"): (("webhooks", "deliveries"), {}),
    ("post", "/v1/searches"): (
        ("searches", "submit"),
        {
            "dataset_id": "--dataset",
            **dict.fromkeys(
                (
                    "network",
                    "training",
                    "max_runtime_seconds",
                    "space",
                    "strategy",
                    "objective",
                    "pruning",
                ),
                SPEC_FILE,
            ),
        },
    ),  # fmt: skip
    ("get", "/v1/searches"): (("searches", "list"), {}),
    ("get", "/v1/searches/{search_id}"): (("searches", "show"), {}),
    ("delete", "/v1/searches/{search_id}"): (("searches", "delete"), {}),
    ("get", "/v1/searches/{search_id}/trials"): (("searches", "trials"), {}),
    ("post", "/v1/searches/{search_id}/cancel"): (("searches", "cancel"), {}),
    ("get", "/v1/searches/{search_id}/events"): (("searches", "follow"), {}),
    # the keys commands act on the database directly, as the admin routes do over HTTP
    ("get", "/v1/admin/tenants"): (("keys", "tenants"), {}),
    ("get", "/v1/admin/keys"): (("keys", "list"), {}),
    ("post", "/v1/admin/keys"): (("keys", "create"), {}),
    ("delete", "/v1/admin/keys/{key_id}"): (("keys", "revoke"), {"key_id": "key"}),
}


def request_fields(schema: dict[str, Any], operation: dict[str, Any]) -> dict[str, str]:
    """An operation's parameters, form fields and top-level JSON body fields, each with what
    the CLI needs by default: an argument of the same name for a path parameter, else an
    option --field-name."""
    fields = {}
    for param in operation.get("parameters", []):
        name = param["name"].lower() if param["in"] == "header" else param["name"]
        fields[name] = name if param["in"] == "path" else "--" + name.replace("_", "-")
    for media in operation.get("requestBody", {}).get("content", {}).values():
        for name in _properties(schema, media.get("schema") or {}):
            fields[name] = "--" + name.replace("_", "-")
    return fields


def _properties(schema: dict[str, Any], node: dict[str, Any]) -> dict[str, Any]:
    """The properties of an object schema, through $ref and anyOf [X, null]."""
    if "$ref" in node:
        name = node["$ref"].rsplit("/", 1)[-1]
        return _properties(schema, schema["components"]["schemas"][name])
    for choice in node.get("anyOf", []):
        if choice.get("type") != "null":
            return _properties(schema, choice)
    return node.get("properties", {})


def command(words: tuple[str, ...]) -> Any:
    """The (click) command `backprop <words>`, or None."""
    found = typer.main.get_command(cli_app)
    for word in words:
        found = getattr(found, "commands", {}).get(word)
    return found


def params(cmd: Any, kind: str) -> set[str]:
    """Option flags (kind "option") or argument names (kind "argument") of a command."""
    found = [p for p in cmd.params if p.param_type_name == kind]
    return {o for p in found for o in p.opts} if kind == "option" else {p.name for p in found}


def missing_options(schema: dict[str, Any]) -> list[str]:
    """One line per /v1 operation without a command and per request field without an option."""
    problems = []
    seen = set()
    for path, operations in schema["paths"].items():
        if not path.startswith("/v1/"):
            continue
        for method, operation in operations.items():
            seen.add((method, path))
            if (method, path) not in COMMANDS:
                problems.append(f"{method.upper()} {path}: no command in COMMANDS")
                continue
            words, named = COMMANDS[(method, path)]
            cmd = command(words)
            if cmd is None:
                problems.append(f"{method.upper()} {path}: `backprop {' '.join(words)}` missing")
                continue
            options, arguments = params(cmd, "option"), params(cmd, "argument")
            for field, default in sorted(request_fields(schema, operation).items()):
                want = named.get(field, default)
                if want.startswith(AUTOMATIC):
                    continue
                if want not in (options if want.startswith("--") else arguments):
                    problems.append(
                        f"{method.upper()} {path}: field {field!r} has no {want} in "
                        f"`backprop {' '.join(words)}`"
                    )
    problems += [f"{m.upper()} {p}: in COMMANDS but not in the API" for m, p in COMMANDS
                 if (m, p) not in seen]  # fmt: skip
    return problems


def test_every_request_field_of_every_route_has_a_cli_option(settings):
    schema = create_app(settings).openapi()
    assert missing_options(schema) == []


def test_a_new_field_or_route_without_a_cli_option_is_reported(settings):
    schema = create_app(settings).openapi()
    cancel = schema["paths"]["/v1/jobs/{job_id}/cancel"]["post"]
    cancel["parameters"].append({"name": "reason", "in": "query"})
    schema["paths"]["/v1/jobs/{job_id}"]["patch"] = {"parameters": []}
    form = schema["paths"]["/v1/datasets"]["post"]["requestBody"]["content"]
    form["multipart/form-data"]["schema"]["properties"]["delimiter"] = {"type": "string"}
    assert missing_options(schema) == [
        "POST /v1/datasets: field 'delimiter' has no --delimiter in `backprop datasets upload`",
        "PATCH /v1/jobs/{job_id}: no command in COMMANDS",
        "POST /v1/jobs/{job_id}/cancel: field 'reason' has no --reason in `backprop jobs cancel`",
    ]


def test_path_parameters_and_job_bodies_are_arguments_and_options():
    """Spot checks of the mapping's reading of the CLI (it must see what is there)."""
    submit = command(("jobs", "submit"))
    assert submit is not None
    names = {p.name for p in submit.params}
    assert {"spec_file", "dataset", "max_runtime_seconds", "idempotency_key"} <= names
    assert command(("jobs", "nope")) is None
    assert "--keep-model" in params(command(("jobs", "cancel")), "option")
    assert params(command(("keys", "revoke")), "argument") == {"key"}

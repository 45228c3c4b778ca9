"""`backprop registry register|list|show|alias|delete-alias|delete-version`."""

from __future__ import annotations

from typing import Annotated, Any

import typer

from service.cli.common import (
    JsonOpt,
    KeyOpt,
    LimitOpt,
    OffsetOpt,
    UrlOpt,
    console,
    facts,
    fetch,
    short_time,
    table,
)
from service.cli.verbs import delete_one, list_page, show_one

app = typer.Typer(
    help="Name models with numbered versions and moving aliases (use NAME@ALIAS or "
    "NAME@VERSION wherever a model id goes).",
    no_args_is_help=True,
)
NameArg = Annotated[str, typer.Argument(help="Registry name: 1-64 of a-z 0-9 . _ -")]
AliasArg = Annotated[str, typer.Argument(help="Alias, e.g. production (not only digits)")]
VersionArg = Annotated[int, typer.Argument(help="Version number of the name.")]


def _aliases(aliases: dict[str, int]) -> str:
    return ", ".join(f"{alias}->{version}" for alias, version in aliases.items())


@app.command("register")
def register(
    name: NameArg,
    model_id: Annotated[str, typer.Argument(help="Model id.")],
    json_out: JsonOpt = False,
    url: UrlOpt = None,
    key: KeyOpt = None,
) -> None:
    """Register a model as the next version of NAME (the name is created on first use)."""
    out = fetch(url, key, json_out, lambda bp: bp.register_model(name, model_id))
    if out is not None:
        console.print(f"{name}@{out['version']} is model {out['model_id']}", markup=False)


@app.command("list")
def list_(
    limit: LimitOpt = 50,
    offset: OffsetOpt = 0,
    json_out: JsonOpt = False,
    url: UrlOpt = None,
    key: KeyOpt = None,
) -> None:
    """Your registered names, newest first."""
    list_page(
        url, key, json_out, lambda bp: bp.list_registry(limit=limit, offset=offset),
        "registry", ("name", "latest", "versions", "aliases", "created"),
        lambda n: [n["name"], n["latest_version"], len(n["versions"]), _aliases(n["aliases"]),
                   short_time(n["created_at"])],
    )  # fmt: skip


@app.command("show")
def show(name: NameArg, json_out: JsonOpt = False, url: UrlOpt = None, key: KeyOpt = None) -> None:
    """A name's versions (with the aliases on each) and aliases."""
    show_one(url, key, json_out, lambda bp: bp.get_registered(name), _show)


def _show(entry: dict[str, Any]) -> None:
    facts(f"registry {entry['name']}", {"aliases": _aliases(entry["aliases"]) or None})
    on = {}
    for alias, version in entry["aliases"].items():
        on.setdefault(version, []).append(alias)
    rows = [
        [
            v["version"],
            v["model_id"],
            ", ".join(on.get(v["version"], [])),
            short_time(v["created_at"]),
        ]
        for v in entry["versions"]
    ]
    table("versions", ("version", "model", "aliases", "created"), rows)


@app.command("alias")
def alias(
    name: NameArg,
    alias_name: AliasArg,
    version: VersionArg,
    json_out: JsonOpt = False,
    url: UrlOpt = None,
    key: KeyOpt = None,
) -> None:
    """Point NAME@ALIAS at VERSION (create the alias or move it)."""
    out = fetch(url, key, json_out, lambda bp: bp.set_alias(name, alias_name, version))
    if out is not None:
        console.print(f"{name}@{alias_name} -> version {out['version']}", markup=False)


@app.command("delete-alias")
def delete_alias(
    name: NameArg, alias_name: AliasArg, url: UrlOpt = None, key: KeyOpt = None
) -> None:
    """Remove an alias (its version stays)."""
    call = lambda bp: bp.delete_alias(name, alias_name)  # noqa: E731
    delete_one(url, key, call, f"deleted alias {name}@{alias_name}")


@app.command("delete-version")
def delete_version(
    name: NameArg, version: VersionArg, url: UrlOpt = None, key: KeyOpt = None
) -> None:
    """Remove a version (refused while an alias points at it; the model stays)."""
    call = lambda bp: bp.delete_version(name, version)  # noqa: E731
    delete_one(url, key, call, f"deleted version {version} of {name}")

"""`backprop registry register|list|show|alias|delete-alias|delete-version`."""

from __future__ import annotations

from typing import Annotated, Any

import typer

from service.cli.commands import delete_command, list_command, show_command
from service.cli.common import console, facts, short_time, table
from service.cli.conn import Conn, with_conn
from service.cli.verbs import Listing
from service.client import BackpropClient

app = typer.Typer(
    help="Name models with numbered versions and moving aliases (use NAME@ALIAS or "
    "NAME@VERSION wherever a model id goes).",
    no_args_is_help=True,
)
NameArg = Annotated[str, typer.Argument(help="Registry name: 1-64 of a-z 0-9 . _ -")]
AliasArg = Annotated[str, typer.Argument(help="Alias, e.g. production (not only digits)")]
VersionArg = Annotated[int, typer.Argument(help="Version number of the name.")]
NAME, ALIAS, VERSION = ("name", NameArg), ("alias_name", AliasArg), ("version", VersionArg)


def _aliases(aliases: dict[str, int]) -> str:
    return ", ".join(f"{alias}->{version}" for alias, version in aliases.items())


@app.command("register")
@with_conn
def register(
    conn: Conn, name: NameArg, model_id: Annotated[str, typer.Argument(help="Model id.")]
) -> None:
    """Register a model as the next version of NAME (the name is created on first use)."""
    out = conn.fetch(lambda bp: bp.register_model(name, model_id))
    if out is not None:
        console.print(f"{name}@{out['version']} is model {out['model_id']}", markup=False)


list_command(
    app, "Your registered names, newest first.", BackpropClient.list_registry,
    Listing("registry", ("name", "latest", "versions", "aliases", "created"),
            lambda n: [n["name"], n["latest_version"], len(n["versions"]),
                       _aliases(n["aliases"]), short_time(n["created_at"])]),
)  # fmt: skip


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


show_command(app, "A name's versions (with the aliases on each) and aliases.",
             [NAME], BackpropClient.get_registered, _show)  # fmt: skip


@app.command("alias")
@with_conn
def alias(conn: Conn, name: NameArg, alias_name: AliasArg, version: VersionArg) -> None:
    """Point NAME@ALIAS at VERSION (create the alias or move it)."""
    out = conn.fetch(lambda bp: bp.set_alias(name, alias_name, version))
    if out is not None:
        console.print(f"{name}@{alias_name} -> version {out['version']}", markup=False)


delete_command(app, "Remove an alias (its version stays).", [NAME, ALIAS],
               BackpropClient.delete_alias, "deleted alias {name}@{alias_name}",
               name="delete-alias")  # fmt: skip
delete_command(app, "Remove a version (refused while an alias points at it; the model stays).",
               [NAME, VERSION], BackpropClient.delete_version,
               "deleted version {version} of {name}", name="delete-version")  # fmt: skip

"""The `backprop` command: server commands plus the client verbs, one module per group."""

from __future__ import annotations

import typer

from service.cli import server

app = typer.Typer(help="Backprop Service: train neural networks over HTTP.", no_args_is_help=True)
for command in server.app.registered_commands:
    app.registered_commands.append(command)
app.add_typer(server.keys_app, name="keys")

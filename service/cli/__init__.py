"""The `backprop` command: server commands plus the client verbs, one module per group."""

from __future__ import annotations

import typer

from service.cli import datasets, jobs, models, registry, searches, server, webhooks
from service.cli import evaluate as _evaluate  # noqa: F401  (adds `models evaluate`)
from service.cli import scoring as _scoring  # noqa: F401  (adds `models score`)

app = typer.Typer(help="Backprop Service: train neural networks over HTTP.", no_args_is_help=True)
for command in server.app.registered_commands:
    app.registered_commands.append(command)
app.add_typer(server.keys_app, name="keys")
app.add_typer(datasets.app, name="datasets")
app.add_typer(jobs.app, name="jobs")
app.add_typer(models.app, name="models")
app.add_typer(registry.app, name="registry")
app.add_typer(webhooks.app, name="webhooks")
app.add_typer(searches.app, name="searches")

"""`python -m service.cli` runs the `backprop` command."""

from service.cli import app

app()

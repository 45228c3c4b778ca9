"""`backprop webhooks create|list|delete|deliveries`."""

from __future__ import annotations

from typing import Annotated, Any

import typer
from rich.markup import escape

from service.cli.common import (
    JsonOpt,
    KeyOpt,
    LimitOpt,
    OffsetOpt,
    QuietOpt,
    UrlOpt,
    connect,
    console,
    facts,
    print_json,
    short_time,
)
from service.cli.verbs import delete_one, list_page, show_one

app = typer.Typer(help="Signed POSTs to your URL when jobs change state.", no_args_is_help=True)

WebhookId = Annotated[str, typer.Argument(help="Webhook id.")]


@app.command("create")
def create(
    target: Annotated[str, typer.Argument(metavar="URL", help="http(s) URL to POST events to.")],
    events: Annotated[
        list[str],
        typer.Option(
            "--event",
            "-e",
            help="Event to send (repeat): job.queued, job.running, job.succeeded, "
            "job.failed, job.cancelled, job.* or *.",
        ),
    ],
    secret: Annotated[
        str,
        typer.Option(
            envvar="BACKPROP_WEBHOOK_SECRET",
            prompt=True,
            hide_input=True,
            help="Key of the X-Backprop-Signature HMAC (8-256 characters); asked for when "
            "not given. It is never shown again.",
        ),
    ],
    quiet: QuietOpt = False,
    json_out: JsonOpt = False,
    url: UrlOpt = None,
    key: KeyOpt = None,
) -> None:
    """Subscribe a URL to events; prints the webhook's id."""
    with connect(url, key) as bp:
        hook = bp.create_webhook(target, events, secret)
    if quiet:
        typer.echo(hook["id"])
    elif json_out:
        print_json(hook)
    else:
        console.print(f"created webhook [bold]{escape(hook['id'])}[/]")
        console.print(f"{', '.join(hook['events'])} -> {hook['url']}", markup=False)


@app.command("list")
def list_(
    limit: LimitOpt = 50,
    offset: OffsetOpt = 0,
    json_out: JsonOpt = False,
    url: UrlOpt = None,
    key: KeyOpt = None,
) -> None:
    """Your webhooks, newest first."""
    list_page(
        url, key, json_out, lambda bp: bp.list_webhooks(limit=limit, offset=offset),
        "webhooks", ("id", "url", "events", "created"),
        lambda h: [h["id"], h["url"], ", ".join(h["events"]), short_time(h["created_at"])],
        optional=("created",),
    )  # fmt: skip


@app.command("show")
def show(
    webhook_id: WebhookId,
    json_out: JsonOpt = False,
    url: UrlOpt = None,
    key: KeyOpt = None,
) -> None:
    """One webhook: its URL, events and when it was created (never its secret)."""
    show_one(url, key, json_out, lambda bp: bp.get_webhook(webhook_id), _show)


def _show(hook: dict[str, Any]) -> None:
    facts(f"webhook {hook['id'][:8]}", {"id": hook["id"], "url": hook["url"],
          "events": ", ".join(hook["events"]), "created": hook["created_at"]})  # fmt: skip


@app.command("delete")
def delete(
    webhook_id: WebhookId,
    url: UrlOpt = None,
    key: KeyOpt = None,
) -> None:
    """Delete a webhook; events not yet delivered to it are dropped."""
    delete_one(url, key, lambda bp: bp.delete_webhook(webhook_id), f"deleted webhook {webhook_id}")


def _delivery_row(d: dict[str, Any]) -> list[Any]:
    answer = d["last_status_code"] if d["last_status_code"] is not None else d["last_error"]
    upcoming = short_time(d["next_attempt_at"]) if d["next_attempt_at"] else None
    return [d["event_id"], d["event"], d["status"], d["attempts"], answer, upcoming,
            short_time(d["created_at"])]  # fmt: skip


@app.command("deliveries")
def deliveries(
    webhook_id: WebhookId,
    status: Annotated[
        str | None, typer.Option(help="Only pending, delivered or failed ones.")
    ] = None,
    limit: LimitOpt = 50,
    offset: OffsetOpt = 0,
    json_out: JsonOpt = False,
    url: UrlOpt = None,
    key: KeyOpt = None,
) -> None:
    """Events sent to a webhook, newest first: status, attempts and the last answer."""
    columns = ("event id", "event", "status", "attempts", "last answer", "next try", "created")
    list_page(
        url, key, json_out,
        lambda bp: bp.list_deliveries(webhook_id, status=status, limit=limit, offset=offset),
        "deliveries", columns, _delivery_row, optional=("created", "next try"),
    )  # fmt: skip

"""`backprop webhooks create|list|delete|deliveries`."""

from __future__ import annotations

from typing import Annotated, Any

import typer

from service.cli.commands import delete_command, list_command, show_command
from service.cli.common import LimitOpt, OffsetOpt, QuietOpt, console, facts, short_time
from service.cli.conn import Conn, with_conn
from service.cli.verbs import Listing, list_page, report_new
from service.client import BackpropClient

app = typer.Typer(help="Signed POSTs to your URL when jobs change state.", no_args_is_help=True)

WebhookId = Annotated[str, typer.Argument(help="Webhook id.")]


@app.command("create")
@with_conn
def create(
    conn: Conn,
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
) -> None:
    """Subscribe a URL to events; prints the webhook's id."""
    with conn.client() as bp:
        hook = bp.create_webhook(target, events, secret)
    report_new(conn, hook, quiet, "created webhook", _subscribed)


def _subscribed(hook: dict[str, Any]) -> None:
    console.print(f"{', '.join(hook['events'])} -> {hook['url']}", markup=False)


list_command(
    app, "Your webhooks, newest first.", BackpropClient.list_webhooks,
    Listing("webhooks", ("id", "url", "events", "created"),
            lambda h: [h["id"], h["url"], ", ".join(h["events"]), short_time(h["created_at"])],
            optional=("created",)),
)  # fmt: skip


def _show(hook: dict[str, Any]) -> None:
    facts(f"webhook {hook['id'][:8]}", {"id": hook["id"], "url": hook["url"],
          "events": ", ".join(hook["events"]), "created": hook["created_at"]})  # fmt: skip


show_command(app, "One webhook: its URL, events and when it was created (never its secret).",
             [("webhook_id", WebhookId)], BackpropClient.get_webhook, _show)  # fmt: skip
delete_command(app, "Delete a webhook; events not yet delivered to it are dropped.",
               [("webhook_id", WebhookId)], BackpropClient.delete_webhook,
               "deleted webhook {webhook_id}")  # fmt: skip


def _delivery_row(d: dict[str, Any]) -> list[Any]:
    answer = d["last_status_code"] if d["last_status_code"] is not None else d["last_error"]
    upcoming = short_time(d["next_attempt_at"]) if d["next_attempt_at"] else None
    return [d["event_id"], d["event"], d["status"], d["attempts"], answer, upcoming,
            short_time(d["created_at"])]  # fmt: skip


DELIVERIES = Listing(
    "deliveries", ("event id", "event", "status", "attempts", "last answer", "next try", "created"),
    _delivery_row, optional=("created", "next try"),
)  # fmt: skip


@app.command("deliveries")
@with_conn
def deliveries(
    conn: Conn,
    webhook_id: WebhookId,
    status: Annotated[
        str | None, typer.Option(help="Only pending, delivered or failed ones.")
    ] = None,
    limit: LimitOpt = 50,
    offset: OffsetOpt = 0,
) -> None:
    """Events sent to a webhook, newest first: status, attempts and the last answer."""
    call = lambda bp: bp.list_deliveries(webhook_id, status=status, limit=limit, offset=offset)  # noqa: E731
    list_page(conn, call, DELIVERIES)

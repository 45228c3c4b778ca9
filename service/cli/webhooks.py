"""`backprop webhooks create|list|delete|deliveries`."""

from __future__ import annotations

from typing import Annotated, Any

import typer

from service.cli.commands import delete_command, list_command, show_command
from service.cli.common import QuietOpt, console, facts, short_time
from service.cli.conn import Conn, with_conn
from service.cli.verbs import Listing, report_new
from service.client import BackpropClient

app = typer.Typer(help="Signed POSTs to your URL when jobs change state.", no_args_is_help=True)

WEBHOOK_ID = ("webhook_id", Annotated[str, typer.Argument(help="Webhook id.")])


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
             [WEBHOOK_ID], BackpropClient.get_webhook, _show)  # fmt: skip
delete_command(app, "Delete a webhook; events not yet delivered to it are dropped.",
               [WEBHOOK_ID], BackpropClient.delete_webhook,
               "deleted webhook {webhook_id}")  # fmt: skip


def _delivery_row(d: dict[str, Any]) -> list[Any]:
    answer = d["last_status_code"] if d["last_status_code"] is not None else d["last_error"]
    upcoming = short_time(d["next_attempt_at"]) if d["next_attempt_at"] else None
    return [d["event_id"], d["event"], d["status"], d["attempts"], answer, upcoming,
            short_time(d["created_at"])]  # fmt: skip


list_command(
    app, "Events sent to a webhook, newest first: status, attempts and the last answer.",
    BackpropClient.list_deliveries,
    Listing("deliveries", ("event id", "event", "status", "attempts", "last answer",
                           "next try", "created"), _delivery_row, optional=("created", "next try")),
    idents=[WEBHOOK_ID], status="Only pending, delivered or failed ones.", name="deliveries",
)  # fmt: skip

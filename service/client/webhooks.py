"""Client methods for /v1/webhooks: subscribe a URL to events, list, delete, deliveries."""

from __future__ import annotations

from typing import Any

from service.client.base import ClientBase, delete_method, get_method, list_method


class WebhooksApi(ClientBase):
    """Signed event POSTs to your URLs (see README: Webhooks)."""

    def create_webhook(self, url: str, events: list[str], secret: str) -> dict[str, Any]:
        """Subscribe `url` to `events` (e.g. ["job.succeeded"], ["job.*"]); the secret signs
        each POST and is never shown again."""
        body = {"url": url, "events": events, "secret": secret}
        return self._json("POST", "/v1/webhooks", json=body)

    list_webhooks = list_method("/v1/webhooks")
    get_webhook = get_method("/v1/webhooks")
    delete_webhook = delete_method("/v1/webhooks")

    def list_deliveries(
        self, webhook_id: str, status: str | None = None, limit: int = 50, offset: int = 0
    ) -> dict[str, Any]:
        """The events sent to the webhook, newest first (status: pending, delivered, failed)."""
        path = f"/v1/webhooks/{webhook_id}/deliveries"
        return self._list(path, limit, offset, status=status)

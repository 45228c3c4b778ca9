"""Client methods for /v1/webhooks: subscribe a URL to events, list, delete, deliveries."""

from __future__ import annotations

from typing import Any

from service.client.base import ClientBase


class WebhooksApi(ClientBase):
    """Signed event POSTs to your URLs (see README: Webhooks)."""

    def create_webhook(self, url: str, events: list[str], secret: str) -> dict[str, Any]:
        """Subscribe `url` to `events` (e.g. ["job.succeeded"], ["job.*"]); the secret signs
        each POST and is never shown again."""
        body = {"url": url, "events": events, "secret": secret}
        return self._json("POST", "/v1/webhooks", json=body)

    def list_webhooks(self, limit: int = 50, offset: int = 0) -> dict[str, Any]:
        return self._list("/v1/webhooks", limit, offset)

    def get_webhook(self, webhook_id: str) -> dict[str, Any]:
        return self._get(f"/v1/webhooks/{webhook_id}")

    def delete_webhook(self, webhook_id: str) -> None:
        self._delete(f"/v1/webhooks/{webhook_id}")

    def list_deliveries(
        self, webhook_id: str, status: str | None = None, limit: int = 50, offset: int = 0
    ) -> dict[str, Any]:
        """The events sent to the webhook, newest first (status: pending, delivered, failed)."""
        path = f"/v1/webhooks/{webhook_id}/deliveries"
        return self._list(path, limit, offset, status=status)

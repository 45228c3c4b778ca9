"""POST/GET/DELETE /v1/webhooks and the deliveries of a webhook's events."""

from __future__ import annotations

from typing import Literal

from fastapi import APIRouter, HTTPException, Response

from service.api.deps import PageDep, SessionDep, SettingsDep, TenantDep
from service.api.ownership import get_owned
from service.api.pagination import paginate
from service.db import webhooks_repo
from service.db.webhook_models import Webhook, WebhookDelivery
from service.events.ssrf import UnsafeUrl, check_url
from service.schemas.common import Page
from service.schemas.webhooks import DeliveryOut, WebhookCreate, WebhookOut

router = APIRouter(prefix="/v1/webhooks", tags=["webhooks"])
MAX_WEBHOOKS = 20
"""Webhooks per tenant (each event is sent to each)."""


def get_owned_webhook(session: SessionDep, tenant_id: str, webhook_id: str) -> Webhook:
    """The webhook if it belongs to the tenant; 404 otherwise."""
    return get_owned(session, Webhook, tenant_id, webhook_id, "webhook")


def delivery_out(row: WebhookDelivery) -> DeliveryOut:
    out = DeliveryOut.model_validate(row)
    return out if row.status == "pending" else out.model_copy(update={"next_attempt_at": None})


@router.post("", status_code=201, response_model=WebhookOut)
def create_webhook(
    body: WebhookCreate,
    session: SessionDep,
    tenant: TenantDep,
    settings: SettingsDep,
    response: Response,
) -> WebhookOut:
    """Subscribe a URL to events; each is POSTed as JSON, signed with the secret.

    The URL must be http(s) and resolve to public addresses only (422 otherwise)."""
    try:
        check_url(body.url, allow_private=settings.webhook_allow_private)
    except UnsafeUrl as exc:
        raise HTTPException(422, str(exc)) from exc
    if webhooks_repo.count_webhooks(session, tenant.id) >= MAX_WEBHOOKS:
        raise HTTPException(409, f"a tenant has at most {MAX_WEBHOOKS} webhooks; delete one")
    hook = webhooks_repo.create_webhook(session, tenant.id, body.url, body.events, body.secret)
    session.commit()
    response.headers["Location"] = f"/v1/webhooks/{hook.id}"
    return WebhookOut.model_validate(hook)


@router.get("", response_model=Page[WebhookOut])
def list_webhooks(session: SessionDep, tenant: TenantDep, page: PageDep) -> Page[WebhookOut]:
    """The tenant's webhooks, newest first."""
    return paginate(
        session, Webhook, [Webhook.tenant_id == tenant.id], page, WebhookOut.model_validate
    )


@router.get("/{webhook_id}", response_model=WebhookOut)
def get_webhook(webhook_id: str, session: SessionDep, tenant: TenantDep) -> WebhookOut:
    """One webhook: its URL and events."""
    return WebhookOut.model_validate(get_owned_webhook(session, tenant.id, webhook_id))


@router.delete("/{webhook_id}", status_code=204)
def delete_webhook(webhook_id: str, session: SessionDep, tenant: TenantDep) -> Response:
    """Delete a webhook; its pending deliveries are dropped."""
    hook = get_owned_webhook(session, tenant.id, webhook_id)
    webhooks_repo.delete_webhook(session, hook.id)
    return Response(status_code=204)


@router.get("/{webhook_id}/deliveries", response_model=Page[DeliveryOut])
def list_deliveries(
    webhook_id: str,
    session: SessionDep,
    tenant: TenantDep,
    page: PageDep,
    status: Literal["pending", "delivered", "failed"] | None = None,
) -> Page[DeliveryOut]:
    """Events sent to this webhook, newest first: status, attempts and the latest answer."""
    hook = get_owned_webhook(session, tenant.id, webhook_id)
    where = [WebhookDelivery.webhook_id == hook.id]
    if status:
        where.append(WebhookDelivery.status == status)
    return paginate(session, WebhookDelivery, where, page, delivery_out)

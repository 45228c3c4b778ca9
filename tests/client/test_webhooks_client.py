"""BackpropClient's webhook methods against the app, and its package layout."""

from __future__ import annotations

import pytest
from support import csv_bytes, wait_for_job
from webhook_receiver import Receiver, settled

from service.client import BackpropClient, BackpropError


def test_webhooks_through_the_client(app_client):
    settings = app_client.app_settings
    key = app_client.headers["Authorization"].split()[1]
    bp = BackpropClient("http://testserver", key, http=app_client)
    with pytest.raises(BackpropError) as refused:
        bp.create_webhook("http://127.0.0.1:9/hook", ["job.*"], "client-secret")
    assert refused.value.status == 422 and "loopback" in refused.value.detail
    settings.webhook_allow_private = True
    settings.webhook_poll_seconds = 0.1
    with Receiver(lambda earlier: 204) as receiver:
        hook = bp.create_webhook(receiver.url, ["job.succeeded"], "client-secret")
        assert bp.get_webhook(hook["id"]) == hook and "secret" not in hook
        assert bp.list_webhooks(limit=1)["items"] == [hook]
        data = csv_bytes(["a", "t"], [[i, i % 2] for i in range(20)])
        ds = app_client.post("/v1/datasets", files={"file": ("d.csv", data)}, data={"target": "t"})
        network = {"layers": [{"type": "dense", "units": 2, "activation": "softmax"}]}
        job = bp.submit_job({"dataset_id": ds.json()["id"], "network": network})
        wait_for_job(app_client, job["id"])
        receiver.wait_until(lambda r: len(r.accepted()) == 1)
    assert receiver.accepted()[0].signed_with("client-secret")
    assert bp.list_deliveries(hook["id"], status="failed")["total"] == 0
    (delivery,) = settled(lambda: bp.list_deliveries(hook["id"])["items"])
    assert delivery["event"] == "job.succeeded" and delivery["last_status_code"] == 204
    bp.delete_webhook(hook["id"])
    assert bp.list_webhooks()["total"] == 0

"""The list/get/delete methods the resource classes take from service.client.base: each sends
its own collection's request (MockTransport, no server)."""

from __future__ import annotations

import httpx
import pytest

from service.client import BackpropClient, BackpropError

COLLECTIONS = [
    ("datasets", "list_datasets", "get_dataset", "delete_dataset"),
    ("models", "list_models", "get_model", "delete_model"),
    ("webhooks", "list_webhooks", "get_webhook", "delete_webhook"),
    ("searches", "list_searches", "get_search", "delete_search"),
    ("registry", "list_registry", "get_registered", None),
]


@pytest.fixture
def sent() -> tuple[BackpropClient, list[httpx.Request]]:
    requests: list[httpx.Request] = []

    def answer(request: httpx.Request) -> httpx.Response:
        requests.append(request)
        if request.method == "DELETE":
            return httpx.Response(204)
        return httpx.Response(200, json={"path": request.url.path})

    transport = httpx.MockTransport(answer)
    return BackpropClient("http://fake", "bp_test", transport=transport), requests


@pytest.mark.parametrize(("collection", "list_name", "get_name", "delete_name"), COLLECTIONS)
def test_each_collection_method_sends_its_request(sent, collection, list_name, get_name,
                                                  delete_name):  # fmt: skip
    bp, requests = sent
    assert getattr(bp, list_name)(5, offset=10) == {"path": f"/v1/{collection}"}
    assert dict(requests[-1].url.params) == {"limit": "5", "offset": "10"}
    assert getattr(bp, list_name)()["path"] == f"/v1/{collection}"
    assert dict(requests[-1].url.params) == {"limit": "50", "offset": "0"}
    assert getattr(bp, get_name)("abc") == {"path": f"/v1/{collection}/abc"}
    assert requests[-1].headers["Authorization"] == "Bearer bp_test"
    if delete_name is not None:
        assert getattr(bp, delete_name)("abc") is None
        assert (requests[-1].method, requests[-1].url.path) == ("DELETE", f"/v1/{collection}/abc")


def test_a_missing_object_raises_the_problem_detail():
    def answer(request: httpx.Request) -> httpx.Response:
        return httpx.Response(404, json={"detail": f"dataset {request.url.path[13:]} not found"})

    bp = BackpropClient("http://fake", "bp_test", transport=httpx.MockTransport(answer))
    with pytest.raises(BackpropError, match="dataset nope not found") as raised:
        bp.get_dataset("nope")
    assert raised.value.status == 404

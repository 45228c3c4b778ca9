"""A barrage of bad requests: every one is a clear 4xx, and nothing stored is harmed."""

from __future__ import annotations

import io
import zipfile

import numpy as np
from support import CORPUS_NETWORK as NETWORK
from support import GOOD_CSV, assert_problem, csv_bytes, wait_for_job


def npz(**arrays) -> bytes:
    buf = io.BytesIO()
    np.savez(buf, **arrays)
    return buf.getvalue()


def zip_bomb(uncompressed: int = 400 * 1024 * 1024) -> bytes:
    """An .npz whose X member inflates to `uncompressed` zero bytes (about 400 KB packed)."""
    header = np.lib.format.header_data_from_array_1_0(np.zeros(0, dtype=np.float32))
    header["shape"] = (uncompressed // 4 // 100, 100)
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        with zf.open("X.npy", "w", force_zip64=True) as member:
            np.lib.format.write_array_header_1_0(member, header)
            chunk = bytes(1 << 20)
            for _ in range(uncompressed // len(chunk)):
                member.write(chunk)
        zf.writestr("y.npy", npz_member(np.zeros(uncompressed // 400, dtype=np.int64)))
    return buf.getvalue()


def npz_member(array: np.ndarray) -> bytes:
    buf = io.BytesIO()
    np.lib.format.write_array(buf, array)
    return buf.getvalue()


MANY_LEVELS = b"a,c,t\n" + b"".join(b"%d,L%d,%d\n" % (i % 7, i, i % 2) for i in range(10**6))
MIXED = csv_bytes(
    ["a", "m", "t"], [[i % 3, "abc" if i == 150 else i * 1.5, i % 2] for i in range(300)]
)

UPLOADS = [
    ("empty file", b"", {"target": "t"}),
    ("binary garbage", bytes(range(256)) * 8, {"target": "t"}),
    ("ragged rows", b"a,b,t\n1,2,x\n3,y\n5,6,x\n", {"target": "t"}),
    ("missing target column", b"a,b,c\n1,2,3\n4,5,6\n", {"target": "t"}),
    ("nan feature", b"a,b,t\n1,nan,x\n3,4,y\n5,6,x\n", {"target": "t"}),
    ("infinite feature", b"a,b,t\n1,inf,x\n3,4,y\n5,6,x\n", {"target": "t"}),
    ("empty cell", b"a,b,t\n1,,x\n3,4,y\n5,6,x\n", {"target": "t"}),
    ("header only", b"a,b,t\n", {"target": "t"}),
    ("duplicate columns", b"a,a,t\n1,2,x\n3,4,y\n", {"target": "t"}),
    ("bad impute", GOOD_CSV, {"target": "t", "impute": "zero"}),
    ("10 kB category", b"a,c,t\n1," + b"x" * 10240 + b",p\n2,y,q\n3,y,p\n", {"target": "t"}),
    ("a million distinct levels", MANY_LEVELS, {"target": "t"}),
    ("numbers mixed with text", MIXED, {"target": "t"}),
    ("ignore the target", GOOD_CSV, {"target": "t", "ignore": "t"}),
    ("ignore a column that is not there", GOOD_CSV, {"target": "t", "ignore": "zz"}),
    ("categorical column that is not there", GOOD_CSV, {"target": "t", "categorical": "q"}),
    ("every feature ignored", GOOD_CSV, {"target": "t", "ignore": "a,b"}),
    ("bad task", GOOD_CSV, {"target": "t", "task": "clustering"}),
]
NPZ_UPLOADS = [
    (
        "object array (pickle)",
        npz(X=np.ones((3, 2)), y=np.array([{"a": 1}, None, 2], dtype=object)),
    ),
    ("missing y member", npz(X=np.ones((3, 2)))),
    ("different lengths", npz(X=np.ones((3, 2)), y=np.arange(4))),
    ("nan in X", npz(X=np.array([[1.0, np.nan], [2.0, 3.0], [4.0, 5.0]]), y=np.arange(3))),
    ("not a zip", b"PK\x03\x04garbage-that-is-not-a-zip"),
]


def test_barrage_of_bad_requests(app_client, stored):
    for name, data, fields in UPLOADS:
        r = app_client.post("/v1/datasets", files={"file": ("d.csv", data)}, data=fields)
        assert_problem(r, 422), name
    for name, data in NPZ_UPLOADS:
        r = app_client.post("/v1/datasets", files={"file": ("d.npz", data)})
        assert_problem(r, 422), name
    r = app_client.post("/v1/datasets", files={"file": ("bomb.npz", zip_bomb())})
    assert_problem(r, 413, 422)
    r = app_client.post(
        "/v1/datasets", content=b"{not json", headers={"content-type": "application/json"}
    )
    assert_problem(r, 400, 422)
    r = app_client.post("/v1/datasets", json={"X": [[1, 2], [3]], "y": [0, 1]})
    assert_problem(r, 422)

    ds, model = stored["dataset"], stored["model"]
    jobs = [
        {"dataset_id": ds, "network": NETWORK, "status": "succeeded"},
        {"dataset_id": ds, "network": NETWORK, "tenant_id": "someone-else"},
        {"dataset_id": ds, "network": NETWORK, "model_id": model},
        {"dataset_id": ds, "network": {"layers": []}},
        {"dataset_id": ds, "network": {"layers": [{"type": "dense", "units": -3}]}},
        {"dataset_id": ds, "network": {"layers": [{"type": "dense", "units": 10**9}]}},
        {"dataset_id": ds, "network": NETWORK, "training": {"batch_size": 0}},
        {"dataset_id": ds, "network": NETWORK, "training": {"epochs": 10**9}},
        {"dataset_id": ds, "network": NETWORK, "training": {"loss": "mse"}},
        {"dataset_id": ds, "network": NETWORK, "training": {"optimizer": {"type": "lbfgs"}}},
        {"dataset_id": ds, "network": NETWORK, "training": {"validation_split": 1.5}},
        {"dataset_id": "no-such-dataset", "network": NETWORK},
        {"network": NETWORK},
        [],
        "just a string",
    ]
    for body in jobs:
        assert_problem(app_client.post("/v1/jobs", json=body), 404, 422)
    lr = "training.optimizer.learning_rate"
    searches = [
        {"dataset_id": ds, "network": NETWORK, "space": {}},
        {
            "dataset_id": ds,
            "network": NETWORK,
            "space": {"network.layers[9].units": {"int": [1, 4]}},
        },
        {"dataset_id": ds, "network": NETWORK, "space": {lr: {"loguniform": [-1, 1]}}},
        {"dataset_id": ds, "network": NETWORK, "space": {lr: {"uniform": [1, "x"]}}},
        {"dataset_id": ds, "network": NETWORK, "space": {"a\u0000b": {"choice": [1]}}},
        {"dataset_id": ds, "network": NETWORK, "space": {lr: {"choice": [0.1]}}, "status": "x"},
        {"dataset_id": ds, "network": NETWORK, "space": {lr: {"choice": [0.1]}}, "strategy": []},
        {"dataset_id": "nope", "network": NETWORK, "space": {lr: {"choice": [0.1]}}},
        {"network": NETWORK, "space": {lr: {"choice": [0.1]}}},
        "just a string",
    ]
    for body in searches:
        assert_problem(app_client.post("/v1/searches", json=body), 404, 422)

    url = f"/v1/models/{model}/predict"
    predictions = [
        {"instances": [[1.0]]},
        {"instances": [[1.0, "x"]]},
        {"instances": [[1.0, None]]},
        {"instances": [[1.0, True]]},
        {"instances": []},
        {"instances": [[1.0, 2.0]] * 10001},
        {"instances": [[[1.0, 2.0]]]},
        {"instances": "1,2"},
        {"rows": [[1.0, 2.0]]},
    ]
    for body in predictions:
        assert_problem(app_client.post(url, json=body), 422)
    r = app_client.post(
        url, content=b'{"instances": [[1.0, NaN]]}', headers={"content-type": "application/json"}
    )
    assert_problem(r, 422)
    for body, media in (
        (b"\x93NUMPY\x01\x00garbage", "application/x-npy"),
        (npz_member(np.ones((2, 3), np.float32)), "application/x-npy"),
        (npz_member(np.array(["a", "b"])), "application/x-npy"),
        (npz(Y=np.ones((2, 2))), "application/x-npz"),
        (b"PK\x03\x04 broken", "application/octet-stream"),
        (b"1,2", "text/csv"),
    ):
        assert_problem(
            app_client.post(url, content=body, headers={"content-type": media}), 415, 422
        )
    assert_problem(app_client.get("/v1/jobs", params={"limit": 0}), 422)
    for path in ("/v1/datasets", "/v1/jobs", "/v1/models", "/v1/webhooks", "/v1/searches"):
        assert_problem(app_client.get(path, params={"offset": 2**63}), 422)
        assert_problem(app_client.get(f"{path}/a%00b"), 404)
    assert_problem(app_client.get("/v1/jobs/a%00b/events"), 404)
    for suffix in ("/events", "/trials"):
        assert_problem(app_client.get(f"/v1/searches/a%00b{suffix}"), 404)
    assert_problem(app_client.post("/v1/searches/a%00b/cancel"), 404)
    assert_problem(app_client.delete("/v1/searches/a%00b"), 404)
    assert_problem(app_client.get("/v1/models/a%00b/export"), 404)
    for fmt in ("pmml", "", "ONNX", "onnx\u0000", "x" * 5000):
        r = app_client.get(f"/v1/models/{model}/export", params={"format": fmt})
        assert_problem(r, 422)
        assert "formats: onnx" in r.json()["detail"], r.text
    r = app_client.get(f"/v1/jobs/{ds}/events", headers={"Last-Event-ID": "9" * 30})
    assert_problem(r, 404, 422)
    r = app_client.post("/v1/datasets", json={"X": [[1.0], [2.0]], "y": [10**30, 2]})
    assert_problem(r, 422)
    deep = "[" * 100_000 + "]" * 100_000
    r = app_client.post(
        "/v1/datasets",
        content=('{"X": ' + deep + ', "y": [1]}').encode(),
        headers={"content-type": "application/json"},
    )
    assert_problem(r, 400, 422)
    long_target = "t" * 300
    data = csv_bytes(["a", long_target], [[1, 0], [2, 1], [3, 0]])
    r = app_client.post(
        "/v1/datasets", files={"file": ("d.csv", data)}, data={"target": long_target}
    )
    assert_problem(r, 422)
    assert_problem(
        app_client.post("/v1/jobs", json={"dataset_id": "a\u0000b", "network": NETWORK}), 422
    )
    assert_problem(app_client.get("/v1/jobs", params={"status": "exploded"}), 422)
    job = stored["job"]
    for flag in ("maybe", "", "2", "true" * 100):
        r = app_client.delete(f"/v1/jobs/{job}", params={"delete_model": flag})
        assert_problem(r, 422)
    assert_problem(app_client.delete("/v1/jobs/a%00b"), 404)
    assert_problem(app_client.delete(f"/v1/jobs/{'x' * 100}"), 404)
    assert_problem(app_client.delete(f"/v1/jobs/{model}"), 404)  # not a job id
    assert app_client.get(f"/v1/jobs/{job}").status_code == 200

    webhook = app_client.post("/v1/webhooks", json=HOOK).json()["id"]  # never called here
    for body in WEBHOOKS:
        assert_problem(app_client.post("/v1/webhooks", json=body), 422)
    r = app_client.post(
        "/v1/webhooks", content=b'{"url": NaN}', headers={"content-type": "application/json"}
    )
    assert_problem(r, 400, 422)
    assert_problem(app_client.get("/v1/webhooks/a%00b/deliveries"), 404)
    assert_problem(app_client.delete("/v1/webhooks/" + "9" * 100), 404)
    deliveries = f"/v1/webhooks/{webhook}/deliveries"
    assert_problem(app_client.get(deliveries, params={"status": "exploded"}), 422)
    assert_problem(app_client.get(deliveries, params={"limit": 10**6}), 422)
    registry_barrage(app_client, model)

    # everything stored still works
    assert app_client.get("/v1/webhooks").json()["total"] == 1
    assert app_client.get(f"/v1/webhooks/{webhook}").json()["events"] == ["job.cancelled"]
    assert app_client.get(f"/v1/datasets/{ds}").json()["rows"] == 40
    r = app_client.post(url, json={"instances": [[1.0, 2.0], [3.0, 4.0]]})
    assert r.status_code == 200 and len(r.json()["predictions"]) == 2
    assert app_client.get(f"/v1/models/{model}/export").status_code == 200
    job = app_client.post(
        "/v1/jobs", json={"dataset_id": ds, "network": NETWORK, "training": {"epochs": 2}}
    ).json()
    assert wait_for_job(app_client, job["id"])["status"] == "succeeded"
    assert app_client.get("/v1/datasets").json()["total"] == 1
    assert app_client.get("/v1/searches").json()["total"] == 0


HOOK = {"url": "https://93.184.215.14/hook", "events": ["job.cancelled"], "secret": "s" * 16}
WEBHOOKS = [
    {**HOOK, "url": "http://127.0.0.1:8000/"},
    {**HOOK, "url": "http://169.254.169.254/latest/meta-data/"},
    {**HOOK, "url": "http://[::ffff:10.0.0.1]/"},
    {**HOOK, "url": "javascript:alert(1)"},
    {**HOOK, "url": "http://" + "a" * 3000 + ".com/"},
    {**HOOK, "url": "http://exa\u0000mple.com/"},
    {**HOOK, "url": 42},
    {**HOOK, "events": "job.*"},
    {**HOOK, "events": ["job.*"] * 100},
    {**HOOK, "events": ["JOB.SUCCEEDED"]},
    {**HOOK, "events": [None]},
    {**HOOK, "secret": ""},
    {**HOOK, "secret": "x" * 1000},
    {**HOOK, "secret": 12345678},
    {**HOOK, "tenant_id": "someone-else"},
    {"events": ["*"], "secret": "s" * 16},
    [],
]


def registry_barrage(client, model: str) -> None:
    """Bad names, aliases, versions, bodies and model references: 404 or 422, never 500."""
    assert client.post("/v1/registry/wine/versions", json={"model_id": model}).status_code == 201
    for name in ("Wine", "w" * 65, "a%00b", "a b", "wine@1"):
        assert_problem(
            client.post(f"/v1/registry/{name}/versions", json={"model_id": model}), 404, 422
        )
        assert_problem(client.get(f"/v1/registry/{name}"), 404, 422)
    for body in ({}, {"model_id": 5}, {"model_id": "a\u0000b"}, {"model_id": model, "x": 1}, []):
        assert_problem(client.post("/v1/registry/wine/versions", json=body), 422)
    assert_problem(client.post("/v1/registry/wine/versions", json={"model_id": "no-such"}), 404)
    alias = "/v1/registry/wine/aliases/production"
    for body in (
        {},
        {"version": 0},
        {"version": "1"},
        {"version": 1.5},
        {"version": 2**40},
        {"version": True},
    ):
        assert_problem(client.put(alias, json=body), 422)
    assert_problem(client.put(alias, json={"version": 2}), 404)
    assert_problem(client.put("/v1/registry/wine/aliases/42", json={"version": 1}), 422)
    assert_problem(client.put("/v1/registry/wine/aliases/Prod", json={"version": 1}), 422)
    for version in ("abc", "0", "-1", "99999999999", "1.5"):
        assert_problem(client.delete(f"/v1/registry/wine/versions/{version}"), 422)
    assert_problem(client.delete("/v1/registry/wine/aliases/missing"), 404)
    assert_problem(client.get("/v1/registry", params={"limit": 0}), 422)
    assert_problem(client.get("/v1/registry", params={"offset": 2**63}), 422)
    for ref in (
        "wine@",
        "@1",
        "wine@1@2",
        "WINE@1",
        "wine@missing",
        "wine@7",
        "a%00b@1",
        "w" * 65 + "@1",
    ):
        assert_problem(client.get(f"/v1/models/{ref}"), 404)
        assert_problem(client.get(f"/v1/models/{ref}/export"), 404)
        assert_problem(client.post(f"/v1/models/{ref}/predict", json={"instances": [[1, 2]]}), 404)
    assert client.get("/v1/models/wine@1").json()["id"] == model  # untouched
    assert client.delete("/v1/registry/wine/versions/1").status_code == 204


def test_declared_oversized_body_is_413_before_reading(app_client):
    limit = app_client.app_settings.max_upload_bytes
    r = app_client.post(
        "/v1/datasets",
        content=b"x" * 10,
        headers={"content-type": "application/json", "content-length": str(limit + 1)},
    )
    assert_problem(r, 413)


def raw_json(client, body: bytes):
    return client.post("/v1/datasets", content=body, headers={"content-type": "application/json"})


def npy_header_cut_off() -> bytes:
    """An .npz whose X.npy stops in the middle of its header dictionary."""
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        zf.writestr("X.npy", b"\x93NUMPY\x01\x00\x20\x00{'descr': '<f4', 'fortran_order'")
        zf.writestr("y.npy", npz_member(np.arange(3)))
    return buf.getvalue()


SURROGATE_Y = np.array(["\ud800", "c", "\ud800", "c"])
HUGE = "9" * 400
DEEP = b"[" * 69 + b"1" + b"]" * 69
AUDIT_JSON = [
    # (raw body, a fragment the problem detail must contain)
    (rb'{"X":[[1,2],[2,3],[4,5],[5,6]],"y":["\ud800","b","\ud800","b"]}', "y[0]"),
    (rb'{"X":[[1,2],[2,3]],"y":["a","b"],"feature_names":["p","\udfff"]}', "feature_names[1]"),
    (rb'{"X":[[1,2],[2,3]],"y":["a","b"],"target":"t\ud800"}', "target"),
    (b'{"X":[[1,2],[' + HUGE.encode() + b',3]],"y":[0,1]}', "X[1][0]"),
    (b'{"X":[[1,2],[2,3]],"y":[0,' + HUGE.encode() + b"]}", "y[1]"),
    (b'{"X":[[1,2],[2,3]],"y":[0,-' + HUGE.encode() + b"]}", "y[1]"),
    (b'{"X":[' + DEEP + b"," + DEEP + b'],"y":[0,1]}', "more than 64 levels"),
    (b'{"name":"a\xffb","X":[[1,2],[2,3]],"y":[0,1]}', "UTF-8"),
]


def test_audit_inputs_are_4xx_and_leave_the_store_intact(app_client, stored):
    """Each of these once answered 500, and the first one also left a broken row behind."""
    settings = app_client.app_settings
    for body, fragment in AUDIT_JSON:
        r = raw_json(app_client, body)
        assert_problem(r, 422)
        assert fragment in r.json()["detail"], (body[:60], r.text)
    uploads = [
        (npz(X=np.ones((4, 2)), y=SURROGATE_Y), "y[0]"),
        (npy_header_cut_off(), "'X' is not a valid .npy array"),
    ]
    for data, fragment in uploads:
        r = app_client.post("/v1/datasets", files={"file": ("d.npz", data)})
        assert_problem(r, 422)
        assert fragment in r.json()["detail"], r.text
    settings.dataset_inline_bytes = 100  # the large-file (memory-mapped) path
    large = [
        (npz(X=np.ones((4, 2)), y=SURROGATE_Y), "y[0]"),
        (npz(X=np.ones((300, 4, 0)), y=np.arange(300)), "shape (300, 4, 0)"),
        (npz(X=np.ones(300), y=np.arange(300)), "shape (300,)"),
        (npy_header_cut_off(), "'X' is not a valid .npy array"),
    ]
    for data, fragment in large:
        r = app_client.post("/v1/datasets", files={"file": ("d.npz", data)})
        assert_problem(r, 422)
        assert fragment in r.json()["detail"], r.text
    r = raw_json(app_client, b'{"X":[[1,2],[2,3]],"y":[0,' + b"9" * 5000 + b"]}")
    assert_problem(r, 400)
    url = f"/v1/models/{stored['model']}/predict"
    for digits, statuses in ((HUGE, (422,)), ("9" * 5000, (400, 422))):
        r = app_client.post(
            url,
            content=b'{"instances": [[1.0, ' + digits.encode() + b"]]}",
            headers={"content-type": "application/json"},
        )
        assert_problem(r, *statuses)
    assert "instances[0][1]" in app_client.post(url, json={"instances": [[1.0, 10**400]]}).text

    page = app_client.get("/v1/datasets")
    assert page.status_code == 200 and page.json()["total"] == 1, page.text
    assert page.json()["items"][0]["id"] == stored["dataset"]
    assert app_client.get(f"/v1/datasets/{stored['dataset']}").json()["rows"] == 40
    assert [p.name for p in (settings.data_dir / "datasets").glob("*")] == []
    r = app_client.post(url, json={"instances": [[1.0, 2.0]]})
    assert r.status_code == 200 and len(r.json()["predictions"]) == 1

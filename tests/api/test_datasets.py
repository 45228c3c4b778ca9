"""Dataset uploads over HTTP: CSV, NPZ, JSON; errors name the row and column."""

from __future__ import annotations

import io

import numpy as np
from support import csv_bytes


def upload_csv(client, data: bytes, target: str, name: str = "d.csv", **fields):
    return client.post(
        "/v1/datasets",
        files={"file": (name, data, "text/csv")},
        data={"target": target, **fields},
    )


def test_csv_with_string_labels_in_the_middle(app_client):
    data = csv_bytes(
        ["a", "label", "b"], [[1, "cat", 2], [2, "dog", 3.5], [3, "cat", 1], [4, "dog", 0]]
    )
    r = upload_csv(app_client, data, "label", name="pets.csv")
    assert r.status_code == 201, r.text
    body = r.json()
    assert body["rows"] == 4 and body["features"] == 2
    assert body["feature_names"] == ["a", "b"]
    assert body["target"] == "label"
    assert body["task"] == "classification"
    assert body["classes"] == ["cat", "dog"]
    assert r.headers["location"] == f"/v1/datasets/{body['id']}"
    got = app_client.get(f"/v1/datasets/{body['id']}").json()
    assert got["id"] == body["id"] and got["name"] == "pets.csv"


def test_regression_csv(app_client):
    rows = [[i, i * 0.5 + 0.25] for i in range(60)]
    r = upload_csv(app_client, csv_bytes(["x", "y"], rows), "y")
    assert r.status_code == 201, r.text
    assert r.json()["task"] == "regression" and r.json()["classes"] is None


def test_npz_upload(app_client):
    buf = io.BytesIO()
    np.savez(buf, X=np.random.default_rng(0).normal(size=(10, 3)), y=np.arange(10) % 2)
    r = app_client.post("/v1/datasets", files={"file": ("d.npz", buf.getvalue())})
    assert r.status_code == 201, r.text
    assert r.json()["format"] == "npz" and r.json()["classes"] == [0, 1]


def test_json_upload(app_client):
    r = app_client.post(
        "/v1/datasets",
        json={"name": "xor", "X": [[0, 0], [0, 1], [1, 0], [1, 1]], "y": ["n", "y", "y", "n"]},
    )
    assert r.status_code == 201, r.text
    assert r.json()["format"] == "json" and r.json()["classes"] == ["n", "y"]


def test_bad_cell_names_row_and_column(app_client):
    data = csv_bytes(["a", "b", "t"], [[1, 2, "x"], [3, "", "y"], [1, 1, "x"]])
    r = upload_csv(app_client, data, "t")
    assert r.status_code == 422
    assert r.headers["content-type"].startswith("application/problem+json")
    detail = r.json()["detail"]
    assert "row 2" in detail and "'b'" in detail
    assert r.json()["errors"][0]["row"] == 2 and r.json()["errors"][0]["column"] == "b"


def test_missing_target_column_and_field(app_client):
    data = csv_bytes(["a", "b"], [[1, 2], [3, 4]])
    r = upload_csv(app_client, data, "label")
    assert r.status_code == 422 and "label" in r.json()["detail"]
    r = app_client.post("/v1/datasets", files={"file": ("d.csv", data)})
    assert r.status_code == 422 and "target" in r.json()["detail"]


def test_pickled_npz_is_refused(app_client):
    buf = io.BytesIO()
    np.savez(buf, X=np.array([[1.0], [2.0]]), y=np.array([{"a": 1}, None], dtype=object))
    r = app_client.post("/v1/datasets", files={"file": ("d.npz", buf.getvalue())})
    assert r.status_code == 422, r.text


def test_upload_limit_is_413(app_client):
    app_client.app_settings.max_upload_bytes = 100
    data = csv_bytes(["a", "t"], [[i, i % 2] for i in range(100)])
    r = upload_csv(app_client, data, "t")
    assert r.status_code == 413


def test_list_and_delete(app_client):
    for i in range(3):
        upload_csv(
            app_client, csv_bytes(["a", "t"], [[1, 0], [2, 1], [3, 0]]), "t", name=f"{i}.csv"
        )
    page = app_client.get("/v1/datasets", params={"limit": 2}).json()
    assert page["total"] == 3 and len(page["items"]) == 2
    first = page["items"][0]["id"]
    assert app_client.delete(f"/v1/datasets/{first}").status_code == 204
    assert app_client.get(f"/v1/datasets/{first}").status_code == 404
    assert app_client.get("/v1/datasets").json()["total"] == 2


def test_unsupported_content_type(app_client):
    r = app_client.post("/v1/datasets", content=b"a,b", headers={"content-type": "text/plain"})
    assert r.status_code == 415


def npz_upload(client, **arrays):
    buf = io.BytesIO()
    np.savez_compressed(buf, **arrays)
    return client.post("/v1/datasets", files={"file": ("d.npz", buf.getvalue())})


def test_inline_npz_is_bounded_by_max_parsed_bytes(app_client):
    """A small compressed upload must not expand past the parsed-size limit in memory."""
    app_client.app_settings.max_parsed_bytes = 1_000_000
    r = npz_upload(app_client, X=np.zeros((20_000, 10)), y=np.arange(20_000) % 2)
    assert r.status_code == 413, r.text
    assert "1000000" in r.json()["detail"]
    # the same number of cells as int8 fits: 200 KB packed as int8, 800 KB as float32
    r = npz_upload(app_client, X=np.zeros((20_000, 10), dtype=np.int8), y=np.arange(20_000) % 2)
    assert r.status_code == 201, r.text
    r = npz_upload(app_client, X=np.zeros((30_000, 10), dtype=np.int8), y=np.arange(30_000) % 2)
    assert r.status_code == 413 and "1200000 bytes" in r.json()["detail"], r.text
    assert app_client.get("/v1/datasets").json()["total"] == 1


def test_row_and_column_limits_while_parsing(app_client):
    settings = app_client.app_settings
    settings.max_dataset_rows, settings.max_dataset_columns = 5, 3
    rows = [[i, i, i % 2] for i in range(6)] + [["broken"]]
    r = upload_csv(app_client, csv_bytes(["a", "b", "t"], rows), "t")
    assert r.status_code == 422 and "row 6: the dataset has at least 6 rows" in r.text, r.text
    r = upload_csv(app_client, csv_bytes(["a", "b", "c", "d", "t"], [[1, 2, 3, 4, 0]] * 3), "t")
    assert r.status_code == 422 and "4 features per row; the limit is 3" in r.text, r.text
    r = app_client.post("/v1/datasets", json={"X": [[1, 2]] * 6, "y": [0, 1] * 3})
    assert r.status_code == 422 and "6 rows; the limit is 5" in r.text, r.text
    r = npz_upload(app_client, X=np.ones((4, 2, 2)), y=np.arange(4) % 2)
    assert r.status_code == 422 and "4 features per row" in r.text, r.text
    settings.dataset_inline_bytes = 10  # the large-file path checks the header too
    r = npz_upload(app_client, X=np.ones((6, 2)), y=np.arange(6) % 2)
    assert r.status_code == 422 and "6 rows; the limit is 5" in r.text, r.text
    assert app_client.get("/v1/datasets").json()["total"] == 0
    assert not any((settings.data_dir / "datasets").glob("*"))


def test_response_is_built_before_the_row_is_committed(app_client, monkeypatch):
    """Whatever slips past validation into an unserialisable response stores nothing."""
    import service.api.routers.datasets as router
    from service.data import EncodedTarget

    def bad_classes(y_raw, task):
        return EncodedTarget("classification", np.array([0, 1, 0, 1]), ["\ud800", "b"])

    monkeypatch.setattr(router, "encode_target", bad_classes)
    r = app_client.post("/v1/datasets", json={"X": [[1], [2], [3], [4]], "y": [0, 1, 0, 1]})
    assert r.status_code == 422 and "cannot be sent back as JSON" in r.text, r.text
    assert app_client.get("/v1/datasets").json()["total"] == 0


def test_rows_stored_before_the_fix_still_list(app_client):
    """A row holding an unpaired surrogate (stored by an older version) is shown escaped."""
    from service.db.models import Dataset
    from service.db.session import session_scope

    r = app_client.post("/v1/datasets", json={"X": [[1], [2], [3], [4]], "y": [0, 1, 0, 1]})
    ds = r.json()["id"]
    with session_scope(app_client.app_settings.sqlalchemy_url) as session:
        row = session.get(Dataset, ds)
        row.classes, row.feature_names = ["\ud800", "b"], ["x\udc00"]
    page = app_client.get("/v1/datasets")
    assert page.status_code == 200, page.text
    assert page.json()["items"][0]["classes"] == ["\\ud800", "b"]
    one = app_client.get(f"/v1/datasets/{ds}").json()
    assert one["feature_names"] == ["x\\udc00"]

"""Real tables over HTTP: the penguins-like example (string categories, gaps, an id column)
uploads as it is, trains, predicts by name and by flat rows, and its encoding is saved."""

from __future__ import annotations

from pathlib import Path

from support import wait_for_job

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "penguins.csv"
NETWORK = {
    "layers": [
        {"type": "dense", "units": 16, "activation": "relu"},
        {"type": "dense", "units": 3, "activation": "softmax"},
    ]
}
TRAINING = {
    "optimizer": {"type": "adam", "learning_rate": 0.02},
    "epochs": 40,
    "batch_size": 16,
    "validation_split": 0.25,
    "seed": 0,
}
RECORD = {
    "island": "Biscoe",
    "sex": None,
    "bill_length_mm": 47.5,
    "bill_depth_mm": 15.0,
    "flipper_length_mm": 217,
    "body_mass_g": 5076,
}


def upload(client, **fields: str):
    data = EXAMPLE.read_bytes()
    return client.post(
        "/v1/datasets", files={"file": ("penguins.csv", data)}, data={"target": "species", **fields}
    )


def test_id_column_is_refused_by_name_with_the_way_out(app_client):
    r = upload(app_client, impute="mean")
    assert r.status_code == 422
    detail = r.json()["detail"]
    assert "'id' looks like an id column" in detail and "ignore=id" in detail


def test_numeric_gaps_without_impute_name_the_column_and_suggest_it(app_client):
    r = upload(app_client, ignore="id")
    assert r.status_code == 422
    assert "column 'bill_length_mm'" in r.json()["detail"] or "impute" in r.json()["detail"]
    assert "impute=mean" in r.json()["detail"]


def test_penguins_upload_train_and_predict_by_name(app_client):
    r = upload(app_client, ignore="id", impute="mean")
    assert r.status_code == 201, r.text
    dataset = r.json()
    kinds = {c["name"]: c for c in dataset["columns"]}
    assert kinds["island"]["kind"] == "categorical"
    assert kinds["island"]["levels"] == ["Biscoe", "Dream", "Torgersen"]
    assert kinds["sex"]["levels"] == ["female", "male", None] and kinds["sex"]["missing"] > 0
    assert kinds["bill_length_mm"]["kind"] == "numeric" and kinds["bill_length_mm"]["missing"] > 0
    assert "id" not in kinds and dataset["features"] == 6

    wrong = dict(
        NETWORK, layers=[{"type": "conv2d", "filters": 2, "kernel_size": 3}, *NETWORK["layers"]]
    )
    r = app_client.post(
        "/v1/jobs", json={"dataset_id": dataset["id"], "network": wrong, "training": TRAINING}
    )
    assert r.status_code == 422
    assert "10 features: 4 numeric + 6 one-hot levels of island and sex" in r.json()["detail"]

    r = app_client.post(
        "/v1/jobs", json={"dataset_id": dataset["id"], "network": NETWORK, "training": TRAINING}
    )
    assert r.status_code == 202, r.text
    job = wait_for_job(app_client, r.json()["id"])
    assert job["status"] == "succeeded", job
    assert job["metrics"]["val_accuracy"] >= 0.9
    model_id = job["model_id"]

    schema = app_client.get(f"/v1/models/{model_id}").json()["input_schema"]
    columns = {c["name"]: c for c in schema["columns"]}
    assert columns["island"]["levels"] == ["Biscoe", "Dream", "Torgersen"]
    assert isinstance(columns["bill_length_mm"]["impute"], float)

    gentoo = dict(RECORD, id="P9999", species="ignored")  # target and ignored keys skipped
    flat = ["Dream", 49.0, 18.5, 196, 3730, "female"]
    r = app_client.post(f"/v1/models/{model_id}/predict", json={"instances": [gentoo, flat]})
    assert r.status_code == 200, r.text
    assert r.json()["predictions"] == ["Gentoo", "Chinstrap"] and "warnings" not in r.json()

    unseen = dict(RECORD, island="Atlantis")
    r = app_client.post(f"/v1/models/{model_id}/predict", json={"instances": [unseen]})
    assert r.status_code == 200, r.text
    assert r.json()["warnings"] == [{"row": 0, "column": "island", "value": "Atlantis"}]

    for bad, where in (
        (dict(RECORD, beak=1), "unknown column 'beak'"),
        (dict(RECORD, bill_depth_mm="deep"), "instances[0].bill_depth_mm"),
        (["Dream", 1.0], "expected 6 values"),
    ):
        r = app_client.post(f"/v1/models/{model_id}/predict", json={"instances": [bad]})
        assert r.status_code == 422 and where in r.json()["detail"], r.text


def test_gap_without_impute_value_is_422_naming_the_column(app_client):
    text = b"a,b,c,t\n1,x,5,p\n2,y,6,q\n3,x,7,p\n4,y,8,q\n5,x,9,p\n6,y,1,q\n"
    r = app_client.post(
        "/v1/datasets", files={"file": ("t.csv", text)}, data={"target": "t", "categorical": "c"}
    )
    assert r.status_code == 201, r.text
    assert [c["kind"] for c in r.json()["columns"]] == ["numeric", "categorical", "categorical"]
    body = {
        "dataset_id": r.json()["id"],
        "network": {"layers": [{"type": "dense", "units": 2, "activation": "softmax"}]},
        "training": {"epochs": 2, "batch_size": 2, "seed": 0},
    }
    job = wait_for_job(app_client, app_client.post("/v1/jobs", json=body).json()["id"])
    assert job["status"] == "succeeded", job
    r = app_client.post(
        f"/v1/models/{job['model_id']}/predict", json={"instances": [{"b": "x", "c": 5}]}
    )
    assert r.status_code == 422 and "instances[0].a: missing" in r.json()["detail"]
    r = app_client.post(
        f"/v1/models/{job['model_id']}/predict", json={"instances": [{"a": 1, "b": "y", "c": 6}]}
    )
    assert r.status_code == 200 and r.json()["predictions"] == ["q"], r.text


def test_named_columns_must_exist(app_client):
    for field, name in (("ignore", "nope"), ("categorical", "nada"), ("ignore", "species")):
        r = upload(app_client, **{field: name})
        assert r.status_code == 422 and name in r.json()["detail"], (field, r.text)


def test_bom_and_crlf_tables_read_like_plain_ones(app_client):
    plain = b"a,c,t\n1,x,p\n2,y,q\n3,x,p\n4,y,q\n"
    odd = b"\xef\xbb\xbf" + plain.replace(b"\n", b"\r\n")
    out = []
    for data in (plain, odd):
        r = app_client.post("/v1/datasets", files={"file": ("t.csv", data)}, data={"target": "t"})
        assert r.status_code == 201, r.text
        out.append(r.json()["columns"])
    assert out[0] == out[1] and out[0][1]["levels"] == ["x", "y"]

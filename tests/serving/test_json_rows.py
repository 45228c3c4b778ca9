"""json_rows.flat_rows takes exactly {"instances": [[n numbers], ...]} and nothing else."""

from __future__ import annotations

import json
import threading

import numpy as np
import pytest

from service.serving.json_rows import flat_rows


def test_rows_are_read_exactly():
    X = np.random.default_rng(0).random((50, 7))
    body = json.dumps({"instances": X.tolist()}).encode()
    got = flat_rows(body, 7, 100)
    assert got is not None and got.dtype == np.float64 and np.array_equal(got, X)
    view = memoryview(np.frombuffer(body, np.uint8).copy())
    assert np.array_equal(flat_rows(view, 7, 100), X)  # a view of the body buffer too


@pytest.mark.parametrize(
    "body",
    [
        b'{"instances": [[1, 2], [3]]}',  # a short row
        b'{"instances": [[1, 2, 3]]}',  # a long row
        b'{"instances": [5, [[1, 2, 3]]]}',  # the right count of values, wrong nesting
        b'{"instances": [[[], [1, 2]], [1, 2]]}',  # nested lists that add up
        b'{"instances": [[[1, 2]], [[3, 4]]]}',  # rows nested one level deeper
        b'{"instances": [[1, 2]], "extra": 1}',  # another key
        b'{"rows": [[1, 2]]}',
        b"[[1, 2]]",
        b'{"instances": []}',
        b'{"instances": [[1, true]]}',
        b'{"instances": [[1, "2"]]}',
        b'{"instances": [[1, null]]}',
        b'{"instances": [[1, {"a": 1}]]}',
        b'{"instances": [[1e400, 2]]}',  # beyond float64
        b'{"instances": [[18446744073709551616, 2]]}',  # beyond 64-bit integers
        b'{"instances": [[NaN, 2]]}',
        b'{"instances": [[1, 2],]}',
        b'{"instances": [[1, 2]]',
        b"",
        b"\xff\xfe",
    ],
)
def test_anything_else_is_none(body):
    assert flat_rows(body, 2, 100) is None
    assert flat_rows(b'{"instances": [[1, 2]]}', 2, 100) is not None  # the parser recovers


def test_row_limit():
    body = json.dumps({"instances": [[1, 2]] * 5}).encode()
    assert flat_rows(body, 2, 5) is not None and flat_rows(body, 2, 4) is None


def test_threads_each_parse_their_own_bodies():
    bodies = {k: json.dumps({"instances": [[k, k + 1]] * 200}).encode() for k in range(4)}
    wrong: list[int] = []

    def work(k: int) -> None:
        for _ in range(200):
            got = flat_rows(bodies[k], 2, 1000)
            if got is None or got[0, 0] != k:
                wrong.append(k)

    threads = [threading.Thread(target=work, args=(k,)) for k in bodies]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert wrong == []

"""Client methods for batch scoring (/v1/models/{id}/predictions).

run = bp.score(model_id, dataset_id)              # queued on the workers
run = bp.wait_scoring(model_id, run["id"])        # until it ends
bp.download_scores(model_id, run["id"], "scores.csv")
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

from service.client.base import TERMINAL, ClientBase, raise_for_problem


class ScoringApi(ClientBase):
    """Batch scoring runs of a model over a stored data set."""

    def score(self, model_id: str, dataset_id: str) -> dict[str, Any]:
        """Queue scoring of a stored data set; the run (status, progress, id)."""
        body = {"dataset_id": dataset_id}
        return self._json("POST", f"/v1/models/{model_id}/predictions", json=body)

    def get_scoring(self, model_id: str, run_id: str) -> dict[str, Any]:
        return self._json("GET", f"/v1/models/{model_id}/predictions/{run_id}")

    def delete_scoring(self, model_id: str, run_id: str) -> None:
        """Delete an ended run and its stored rows."""
        self._json("DELETE", f"/v1/models/{model_id}/predictions/{run_id}")

    def cancel_scoring(self, model_id: str, run_id: str) -> dict[str, Any]:
        return self._json("POST", f"/v1/models/{model_id}/predictions/{run_id}/cancel")

    def wait_scoring(
        self, model_id: str, run_id: str, timeout: float = 3600.0, poll: float = 1.0
    ) -> dict[str, Any]:
        """Poll the run until it ends (or `timeout` seconds pass); returns the run."""
        deadline = time.monotonic() + timeout
        while True:
            run = self.get_scoring(model_id, run_id)
            if run["status"] in TERMINAL or time.monotonic() > deadline:
                return run
            time.sleep(poll)

    def download_scores(self, model_id: str, run_id: str, path: str | Path) -> int:
        """Stream the run's CSV into `path` (never whole in memory); returns its bytes."""
        url = f"/v1/models/{model_id}/predictions/{run_id}/download"
        written = 0
        with self.http.stream("GET", url) as response:
            if response.is_error:
                response.read()
                raise_for_problem(response)
            with Path(path).open("wb") as out:
                for block in response.iter_bytes():
                    written += out.write(block)
        return written

"""Where file-backed datasets live: <data dir>/datasets/<id>/{X,y}.npy.

Large NPZ uploads are stored this way so workers can memory-map them instead of loading
them; API and workers must then share the data directory (a volume, or NFS across hosts).
Every function takes that directory (BACKPROP_DATA_DIR, Settings.data_dir) as `data_dir`.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np


def dataset_dir(data_dir: Path, dataset_id: str) -> Path:
    """The folder of one file-backed dataset."""
    return data_dir.resolve() / "datasets" / dataset_id


def upload_dir(data_dir: Path) -> Path:
    """Scratch space for uploads being received (same filesystem as the datasets)."""
    path = data_dir.resolve() / "uploads"
    path.mkdir(parents=True, exist_ok=True)
    return path


def open_arrays(data_dir: Path, dataset_id: str) -> dict[str, np.ndarray]:
    """X as a read-only memory map and y in memory."""
    folder = dataset_dir(data_dir, dataset_id)
    return {"X": np.load(folder / "X.npy", mmap_mode="r"), "y": np.load(folder / "y.npy")}


def remove(data_dir: Path, dataset_id: str) -> None:
    """Delete a dataset's files (nothing if it has none)."""
    shutil.rmtree(dataset_dir(data_dir, dataset_id), ignore_errors=True)

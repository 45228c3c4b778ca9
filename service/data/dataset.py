"""The parsed-dataset container shared by all parsers."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np


@dataclass
class ParsedDataset:
    """A validated dataset.

    X: float32, finite; (N, F) for tabular data, (N, ...) in general (e.g. N x H x W x C).
    y_raw: N labels as given (list of str/int/float for CSV and JSON; 1-D ndarray for NPZ).
    feature_names: F names for 2-D X, empty for higher-dimensional X.
    target: the label column name ("y" for NPZ and, by default, JSON).
    """

    X: np.ndarray
    y_raw: list | np.ndarray
    feature_names: list[str] = field(default_factory=list)
    target: str = "y"
    value_range: dict | None = None
    """{"min", "max", "integral"} of X when the parser already scanned it (large files)."""

    @property
    def n_samples(self) -> int:
        """N, the number of rows."""
        return int(self.X.shape[0])

    @property
    def n_features(self) -> int:
        """F for 2-D X; the product of the non-sample dims otherwise."""
        return int(np.prod(self.X.shape[1:], dtype=np.int64))

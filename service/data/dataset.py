"""The parsed-dataset container shared by all parsers, and the limits they enforce."""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from service.data.columns import Column, drop_constant
from service.data.errors import DatasetError, DatasetTooLarge


@dataclass
class ParsedDataset:
    """A validated dataset.

    X: float32, finite; (N, F) for tabular data, (N, ...) in general (e.g. N x H x W x C).
    y_raw: N labels as given: a list of str/int/float for JSON, a list of str or a numeric
    1-D ndarray for CSV, a 1-D ndarray for NPZ.
    feature_names: F names for 2-D X, empty for higher-dimensional X.
    target: the label column name ("y" for NPZ and, by default, JSON).
    """

    X: np.ndarray
    y_raw: list | np.ndarray
    feature_names: list[str] = field(default_factory=list)
    target: str = "y"
    value_range: dict | None = None
    """{"min", "max", "integral"} of X when the parser already scanned it (large files)."""
    columns: list[Column] | None = None
    """Kinds of the F columns of a table (CSV, JSON); None: all numeric (NPZ, images)."""
    impute: str | None = None
    """"mean" or "median": numeric gaps (NaN in X) are filled from the training rows."""
    notes: list[str] = field(default_factory=list)
    """What the parser did that the user should know (e.g. a constant column left out)."""
    ignored: list[str] = field(default_factory=list)
    """Columns left out (ignore=, constant): predict accepts and skips them by name."""

    @classmethod
    def table(
        cls,
        X: np.ndarray,
        y_raw: list | np.ndarray,
        target: str,
        columns: list[Column],
        impute: str | None,
        ignore: list[str] | tuple[str, ...],
    ) -> ParsedDataset:
        """A parsed table (CSV, JSON rows), its constant columns left out with a note."""
        X, columns, notes, dropped = drop_constant(X, columns)
        return cls(
            X=X,
            y_raw=y_raw,
            feature_names=[c.name for c in columns],
            target=target,
            columns=columns,
            impute=impute,
            notes=notes,
            ignored=[*ignore, *dropped],
        )

    @property
    def n_samples(self) -> int:
        """N, the number of rows."""
        return int(self.X.shape[0])

    @property
    def n_features(self) -> int:
        """F for 2-D X; the product of the non-sample dims otherwise."""
        return int(np.prod(self.X.shape[1:], dtype=np.int64))


@dataclass(frozen=True)
class Limits:
    """The largest dataset a parser may build; parsers refuse more as soon as it shows.

    max_bytes bounds the parsed float32 features (rows x features x 4 bytes).
    """

    max_rows: int | None = None
    max_columns: int | None = None
    max_bytes: int | None = None

    def check_columns(self, columns: int) -> None:
        """DatasetError when one row has more features than allowed."""
        if self.max_columns is not None and columns > self.max_columns:
            raise DatasetError(
                f"the dataset has {columns} features per row; the limit is {self.max_columns}"
            )

    def check_rows(self, rows: int, columns: int, at_row: int | None = None) -> None:
        """DatasetError (DatasetTooLarge for memory) when `rows` rows are too many.

        at_row: set by streaming parsers, which check each row as they read it; the message
        then names that row and says "at least"."""
        prefix = "" if at_row is None else f"row {at_row}: "
        least = "" if at_row is None else "at least "
        if self.max_rows is not None and rows > self.max_rows:
            raise DatasetError(
                f"{prefix}the dataset has {least}{rows} rows; the limit is {self.max_rows}",
                row=at_row,
            )
        nbytes = rows * columns * 4
        if self.max_bytes is not None and nbytes > self.max_bytes:
            raise DatasetTooLarge(
                f"{prefix}the parsed features take {least}{nbytes} bytes ({rows} rows x "
                f"{columns} features x 4 bytes); the limit is {self.max_bytes} bytes",
                row=at_row,
            )

    def check_shape(self, shape: tuple[int, ...]) -> None:
        """Both checks for an array of (rows, ...) features, e.g. from an .npy header."""
        columns = math.prod(shape[1:]) if len(shape) > 1 else 1
        self.check_columns(columns)
        self.check_rows(int(shape[0]) if shape else 0, columns)


NO_LIMITS = Limits()

"""The single exception type raised by the dataset package."""

from __future__ import annotations


class DatasetError(Exception):
    """Invalid user data: the message says what is wrong and where.

    ``row`` and ``column`` locate the problem when known; they mirror the message text:

    * CSV: ``row`` is the 1-based data row (the first row after the header is row 1;
      for files without quoted line breaks that is file line ``row + 1``) and ``column``
      is the header name.
    * JSON bodies and predict ``instances``: ``row`` is the 0-based list index shown in the
      path (``X[3][1]`` -> row 3) and ``column`` the feature name, when there is one.
    """

    def __init__(self, message: str, *, row: int | None = None, column: str | None = None):
        super().__init__(message)
        self.message = message
        self.row = row
        self.column = column

    def __reduce__(self):
        return _rebuild, (self.message, self.row, self.column)

    def to_dict(self) -> dict:
        """JSON-friendly form: ``{"detail": message, "row": row, "column": column}``."""
        return {"detail": self.message, "row": self.row, "column": self.column}


def _rebuild(message: str, row: int | None, column: str | None) -> DatasetError:
    """Unpickling helper that keeps ``row`` and ``column``."""
    return DatasetError(message, row=row, column=column)


class DatasetTooLarge(DatasetError):
    """The data would take more memory than the server allows (the API answers 413)."""

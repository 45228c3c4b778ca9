"""Small helpers shared by the parsers: number checks and value rendering for messages."""

from __future__ import annotations

import math
import numbers

import numpy as np

MIN_ROWS = 2
_NON_FINITE_WORDS = {"nan", "inf", "infinity"}


def is_number(value: object) -> bool:
    """True for real numbers (Python or NumPy); bool is not a number."""
    return isinstance(value, numbers.Real) and not isinstance(value, (bool, np.bool_))


def show(value: object, limit: int = 40) -> str:
    """Render a value for an error message, JSON-style for None/bool, quoted for text."""
    if value is None:
        text = "null"
    elif isinstance(value, (bool, np.bool_)):
        text = "true" if value else "false"
    elif isinstance(value, str):
        text = repr(value if len(value) <= limit else value[:limit] + "...")
    else:
        text = repr(value)
    return text if len(text) <= limit + 5 else text[:limit] + "..."


def non_finite_reason(text: str) -> str:
    """Why a non-finite float parsed from ``text`` is rejected ("nan is not allowed"...)."""
    word = text.strip().lower().lstrip("+-")
    if word in _NON_FINITE_WORDS:
        return f"{text.strip()} is not allowed"
    return f"{show(text.strip())} is out of range"


def number_problem(value: object) -> str | None:
    """For a JSON-style value: None if it is a finite float32-representable number,
    else the reason (e.g. "'x' is not a number", "nan is not allowed")."""
    if not is_number(value):
        return f"{show(value)} is not a number"
    f = float(value)  # type: ignore[arg-type]
    if math.isnan(f) or math.isinf(f):
        return f"{str(f).lower()} is not allowed"
    if abs(f) > float(np.finfo(np.float32).max):
        return f"{show(value)} is out of range for float32"
    return None

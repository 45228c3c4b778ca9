"""Small helpers shared by the parsers: number and text checks, value rendering for messages."""

from __future__ import annotations

import math
import numbers
from collections.abc import Sequence

import numpy as np

MIN_ROWS = 2
_NON_FINITE_WORDS = {"nan", "inf", "infinity"}
F32_MAX = float(np.finfo(np.float32).max)
_BIG_INT_BITS = 512


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
    elif isinstance(value, int) and value.bit_length() > _BIG_INT_BITS:
        digits = int(value.bit_length() * math.log10(2)) + 1
        text = f"{'-' if value < 0 else ''}an integer of about {digits} digits"
    else:
        text = repr(value)
    return text if len(text) <= limit + 5 else text[:limit] + "..."


def is_float_text(text: str) -> bool:
    """Whether float() reads `text` (numbers, and also nan/inf words)."""
    try:
        float(text)
    except ValueError:
        return False
    return True


def non_finite_reason(text: str) -> str:
    """Why a non-finite float parsed from ``text`` is rejected ("nan is not allowed"...)."""
    word = text.strip().lower().lstrip("+-")
    if word in _NON_FINITE_WORDS:
        return f"{text.strip()} is not allowed"
    return f"{show(text.strip())} is out of range"


def number_problem(value: object) -> str | None:
    """For a JSON-style value: None if it is a finite float32-representable number,
    else the reason (e.g. "'x' is not a number", "nan is not allowed"); never raises."""
    if not is_number(value):
        return f"{show(value)} is not a number"
    try:
        f = float(value)  # type: ignore[arg-type]
    except OverflowError:  # an integer beyond float64, e.g. 400 digits
        return f"{show(value)} is out of range for float32"
    if math.isnan(f) or math.isinf(f):
        return f"{str(f).lower()} is not allowed"
    if abs(f) > F32_MAX:
        return f"{show(value)} is out of range for float32"
    return None


def fits_float32(a: np.ndarray) -> bool:
    """Whether every value of the numeric array is finite and within float32's range. Only
    its min and max are taken (NaN propagates), so the happy path makes no temporaries."""
    if a.size == 0:
        return True
    low, high = float(a.min()), float(a.max())
    return math.isfinite(low) and math.isfinite(high) and max(-low, high) <= F32_MAX


def text_problem(text: str) -> str | None:
    """None if ``text`` can be stored and sent back as UTF-8 JSON, else the reason."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError as exc:
        bad = f"\\u{ord(text[exc.start]):04x}"
        return f"{show(text)} is not valid Unicode text (unpaired surrogate {bad})"
    return None


def first_bad_text(texts: Sequence[str]) -> tuple[int, str] | None:
    """(index, reason) of the first string :func:`text_problem` refuses, or None.

    One encode of all strings on the happy path; a scan only when something is wrong."""
    try:
        "".join(texts).encode("utf-8")
    except UnicodeEncodeError:
        for i, text in enumerate(texts):
            problem = text_problem(text)
            if problem:
                return i, problem
    return None

"""The signature header of a webhook POST: ``sha256=<hex HMAC-SHA256 of the raw body>``."""

from __future__ import annotations

import hashlib
import hmac

PREFIX = "sha256="


def sign(secret: str, body: bytes) -> str:
    """The X-Backprop-Signature value for `body` (the exact bytes sent)."""
    return PREFIX + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def verify(secret: str, body: bytes, signature: str) -> bool:
    """Whether `signature` is sign(secret, body), compared in constant time."""
    return hmac.compare_digest(sign(secret, body).encode(), signature.strip().encode())

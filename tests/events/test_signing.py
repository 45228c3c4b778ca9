"""X-Backprop-Signature: sha256=<hex HMAC-SHA256 of the raw body with the secret>."""

from __future__ import annotations

import hashlib
import hmac

from service.events.signing import sign, verify


def test_signature_is_the_hmac_sha256_of_the_raw_body():
    body = b'{"id":"e1","event":"job.succeeded"}'
    expected = hmac.new(b"topsecret", body, hashlib.sha256).hexdigest()
    assert sign("topsecret", body) == f"sha256={expected}"
    # a known answer (RFC 4231 test case 2), so the prefix and encoding are pinned down
    known = "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
    assert sign("Jefe", b"what do ya want for nothing?") == f"sha256={known}"


def test_verify_accepts_the_signature_and_nothing_else():
    body = '{"data":{"status":"succeeded","note":"caf\u00e9"}}'.encode()
    good = sign("k" * 32, body)
    assert verify("k" * 32, body, good)
    assert verify("k" * 32, body, good + "\n")  # a header's trailing whitespace
    assert not verify("k" * 31, body, good)
    assert not verify("k" * 32, body + b" ", good)
    assert not verify("k" * 32, body, good.replace("sha256=", "sha1="))
    assert not verify("k" * 32, body, "")
    assert not verify("k" * 32, body, "sha256=\u00e9")  # non-ASCII header: refused, no error

"""Webhook signatures, checked over the raw bytes in constant time (hmac.compare_digest).

- generic (shopdesk's own, Stripe-style): `Shopdesk-Signature: t=<unix>,v1=<hex>[,v1=<hex>…]`,
  v1 = hex HMAC-SHA256 of `"<t>.<raw body>"`; `t` within 5 minutes of now. Several v1 values may be
  sent while a secret is rotated; any one matching any current secret is enough.
- WooCommerce `X-WC-Webhook-Signature` and Shopify `X-Shopify-Hmac-Sha256`: base64 HMAC-SHA256 of the
  raw body.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
from collections.abc import Sequence

from shopdesk.domain.errors import ShopdeskError

TOLERANCE_SECONDS = 300


class SignatureError(ShopdeskError):
    """A webhook whose signature is missing, malformed, stale or wrong (HTTP 401)."""


def _mac(secret: str, message: bytes) -> bytes:
    return hmac.digest(secret.encode("utf-8"), message, "sha256")  # one C call: no HMAC object


def sign_generic(secret: str, body: bytes, timestamp: int) -> str:
    """The `Shopdesk-Signature` header value a sender puts on `body` (used by tests and the bench)."""
    digest = _mac(secret, str(timestamp).encode("ascii") + b"." + body).hex()
    return f"t={timestamp},v1={digest}"


def sign_base64(secret: str, body: bytes) -> str:
    return base64.b64encode(_mac(secret, body)).decode("ascii")


def verify_generic(
    header: str | None, body: bytes, secrets: Sequence[str], *, now: int,
    tolerance: int = TOLERANCE_SECONDS, header_name: str = "Shopdesk-Signature",
) -> None:
    if not header:
        raise SignatureError(f"missing {header_name} header", field=header_name)
    timestamp: int | None = None
    candidates: list[bytes] = []
    for part in header.split(","):
        key, _, value = part.strip().partition("=")
        if key == "t":
            try:
                timestamp = int(value)
            except ValueError:
                raise SignatureError(
                    f"{header_name}: t must be a unix time, not {value[:20]!r}", field=header_name
                ) from None
        elif key == "v1":
            try:
                candidates.append(bytes.fromhex(value))
            except ValueError:
                raise SignatureError(f"{header_name}: v1 must be hex", field=header_name) from None
    if timestamp is None or not candidates:
        raise SignatureError(
            f"{header_name} must look like t=<unix time>,v1=<hex HMAC-SHA256>", field=header_name
        )
    if abs(now - timestamp) > tolerance:
        raise SignatureError(
            f"{header_name}: timestamp {timestamp} is more than {tolerance // 60} minutes from the "
            f"server's clock ({now}); check the sender's clock",
            field=header_name,
        )
    message = str(timestamp).encode("ascii") + b"." + body
    if not _any_matches(candidates, [_mac(secret, message) for secret in secrets if secret]):
        raise SignatureError(f"{header_name} does not match this source's secret", field=header_name)


def verify_base64(header: str | None, body: bytes, secrets: Sequence[str], *, header_name: str) -> None:
    if not header:
        raise SignatureError(f"missing {header_name} header", field=header_name)
    try:
        candidate = base64.b64decode(header.strip(), validate=True)
    except (binascii.Error, ValueError):
        raise SignatureError(f"{header_name} must be base64", field=header_name) from None
    if not _any_matches([candidate], [_mac(secret, body) for secret in secrets if secret]):
        raise SignatureError(f"{header_name} does not match this source's secret", field=header_name)


def _any_matches(candidates: Sequence[bytes], expected: Sequence[bytes]) -> bool:
    matched = False
    for digest in expected:
        for candidate in candidates:
            matched |= hmac.compare_digest(candidate, digest)
    return matched


def body_hash(body: bytes) -> str:
    return hashlib.sha256(body).hexdigest()

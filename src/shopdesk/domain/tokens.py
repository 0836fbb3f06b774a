"""Bearer tokens of the case API. Only a hash of a token is ever stored."""

from __future__ import annotations

import hashlib
from datetime import datetime

import msgspec

TOKEN_PREFIX = "sd_"


def token_hash(token: str) -> str:
    """sha256 hex of the token: what the store keeps and looks tokens up by."""
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


class ApiToken(msgspec.Struct, kw_only=True):
    id: int
    name: str
    operator: str
    """The actor the API acts as with this token (timeline entries name them)."""
    created_at: datetime
    revoked_at: datetime | None
    last_used_at: datetime | None

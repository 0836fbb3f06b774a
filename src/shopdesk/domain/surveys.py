"""The customer's own survey answer: a token per case that only shopdesk can make (pure).

Resolving a case asks the customer (survey.requested to a plugin, or an email with a link); the
answer comes back through the case API with the token, and is recorded as the customer's, apart
from a score an operator typed in.
"""

from __future__ import annotations

import hashlib
import hmac

CUSTOMER = "customer"  # the actor of an answer the customer gave themselves


def survey_token(key: str, ref: str) -> str:
    """The token that lets whoever holds it answer the survey of case `ref` (32 hex chars)."""
    return hmac.digest(key.encode(), f"survey:{ref}".encode(), hashlib.sha256).hex()[:32]


def is_survey_token(key: str, ref: str, token: str) -> bool:
    return hmac.compare_digest(survey_token(key, ref), (token or "").strip().lower())

"""Webhook intake, pure part: signatures, and mapping shop payloads to shopdesk orders."""

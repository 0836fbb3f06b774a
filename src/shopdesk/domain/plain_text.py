"""Text from outside (shops, plugins, old stores) made safe to store and to show on a terminal.

A customer name like "\\x1b[31mRED\\x1b]0;PWNED\\x07" would recolour the operator's terminal, set its
title or move its cursor; OSC 52 writes its clipboard. `plain` drops terminal escape sequences
whole (CSI, OSC, DCS, … in their 7-bit and 8-bit forms) and every other C0/C1 control character
and DEL. A multi-line field keeps its line breaks and tabs; in a one-line field they become
spaces. `plain_copy` does this to every string of a Struct (list, dict) — the intake adapters on what
they map, the TUI and the CLI on what they show (stores written before this may hold them).
"""

from __future__ import annotations

import re
from typing import Any, TypeVar

import msgspec

T = TypeVar("T")

MULTILINE_FIELDS = frozenset({
    "description", "address", "note", "text", "summary", "comment", "reason", "resolution",
    "body", "error", "decision",
})
"""Fields whose line breaks mean something; every other field is one line."""

_ESCAPE_SEQUENCES = re.compile(
    r"(?:\x1b\[|\x9b)[\x30-\x3f]*[\x20-\x2f]*[\x40-\x7e]?"  # CSI: colours, cursor moves, clear
    r"|(?:\x1b[\]PX^_]|[\x90\x98\x9d\x9e\x9f])[^\x00-\x1f\x7f-\x9f]*(?:\x07|\x1b\\|\x9c)?"  # OSC…
    r"|\x1b[\x20-\x2f]*[\x30-\x7e]?"  # other ESC sequences (ESC c resets the terminal)
)
_CONTROLS = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")
_LINE_CONTROLS = re.compile(r"[\x00-\x1f\x7f-\x9f]")
_ANY_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")
# In JSON text, a control character is an escape (\u001b, \n …) or, for C1 and DEL, the raw character.
_JSON_ESCAPE = re.compile(rb"\\u00[0-9a-fA-F]{2}|\\[nrtbf]")
_JSON_C1 = re.compile(rb"\xc2[\x80-\x9f]")


def plain(text: str, *, multiline: bool = False) -> str:
    """`text` without terminal escape sequences and control characters; with `multiline` line
    breaks (\\r\\n and \\r read as \\n) and tabs stay, otherwise each becomes a space."""
    if not _ANY_CONTROL.search(text):
        return text
    text = _ESCAPE_SEQUENCES.sub("", text)
    if multiline:
        text = text.replace("\r\n", "\n").replace("\r", "\n")
        return _CONTROLS.sub("", text)
    text = re.sub(r"\r\n|[\t\n\r]", " ", text)
    return _LINE_CONTROLS.sub("", text)


def plain_copy(value: T) -> T:
    """`value` with `plain` applied to every string in it (Struct fields, list items, dict keys
    and values); the same object when there is nothing to change."""
    return _walk(value, multiline=False)


def _may_hold_controls(value: Any) -> bool:
    """False when no string in `value` holds a control character (checked on its JSON, in C: the
    walk in Python goes only into the parts that may)."""
    try:
        encoded = msgspec.json.encode(value)
    except (TypeError, msgspec.EncodeError):
        return True  # not JSON-able: walk it
    # `in` first: a byte search is far cheaper than the regex, and most text has neither byte.
    return bool(
        (b"\\" in encoded and _JSON_ESCAPE.search(encoded))
        or (b"\xc2" in encoded and _JSON_C1.search(encoded))
        or b"\x7f" in encoded
    )


def _walk(value: Any, *, multiline: bool) -> Any:
    if isinstance(value, str):
        cleaned = plain(value, multiline=multiline)
        return value if cleaned == value else cleaned  # unchanged: the same object, no copy
    if isinstance(value, (msgspec.Struct, list, tuple, dict)) and not _may_hold_controls(value):
        return value
    if isinstance(value, msgspec.Struct):
        changes = {}
        for name in value.__struct_fields__:
            old = getattr(value, name)
            new = _walk(old, multiline=name in MULTILINE_FIELDS)
            if new is not old:
                changes[name] = new
        return msgspec.structs.replace(value, **changes) if changes else value
    if isinstance(value, list):
        items = [_walk(item, multiline=multiline) for item in value]
        return value if all(a is b for a, b in zip(items, value)) else items
    if isinstance(value, tuple):
        items = tuple(_walk(item, multiline=multiline) for item in value)
        return value if all(a is b for a, b in zip(items, value)) else items
    if isinstance(value, dict):
        walked = {
            _walk(key, multiline=False): _walk(item, multiline=str(key) in MULTILINE_FIELDS)
            for key, item in value.items()
        }
        same = len(walked) == len(value) and all(
            a is b for a, b in zip(walked.values(), value.values())
        ) and all(a is b for a, b in zip(walked, value))
        return value if same else walked
    return value

"""People's names as shops send them: a first (given) and a last (family) name in two fields."""

from __future__ import annotations

import re

# Han ideographs (with extensions and compatibility forms), kana, Hangul, and the middle dot of
# transcribed names (e.g. 阿依古丽·买买提).
_CJK = re.compile(
    r"^[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7af\uf900-\ufaff\U00020000-\U0003134f"
    r"·・]+$"
)


def is_cjk(text: str) -> bool:
    return bool(_CJK.match(text))


def full_name(first: str | None, last: str | None) -> str:
    """"Jane Smith"; but a Chinese, Japanese or Korean name is written family name first with no
    space: first_name 丽, last_name 徐 -> 徐丽."""
    given, family = (first or "").strip(), (last or "").strip()
    if given and family and is_cjk(given) and is_cjk(family):
        return family + given
    return " ".join(part for part in (given, family) if part)

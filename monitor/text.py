"""Text from outside (feeds, receivers, seeds) made safe to show on one line: no control characters.

A terminal obeys escape sequences (ESC, and the C1 CSI byte) and a log reader is fooled by a
newline in a value or a bidi override that reverses what follows; none of them carries meaning
in a headline or an error message. `printable` is for terminals and plain text output; markup
escaping (rich) is the caller's, on top of it. Pure.
"""

from __future__ import annotations

import re

# C0 and C1 controls and DEL, zero-width and bidi controls, the BOM, lone surrogates
_INVISIBLE = re.compile("[\x00-\x08\x0e-\x1f\x7f-\x9f\u200b-\u200f\u202a-\u202e\u2060-\u2069\ufeff\ud800-\udfff]")
# every other line break or spacing control: one space
_BREAKS = re.compile("[\t\n\x0b\x0c\r\u0085\u2028\u2029]+")
_SPACES = re.compile(r"\s{2,}")
_HIDDEN = re.compile(f"{_INVISIBLE.pattern}|{_BREAKS.pattern.removesuffix('+')}")


def printable(value: object, limit: int | None = None) -> str:
    """`value` as one line of visible text, cut at `limit` characters with an ellipsis."""
    text = "" if value is None else str(value)
    text = _SPACES.sub(" ", _BREAKS.sub(" ", _INVISIBLE.sub("", text))).strip()
    if limit is not None and len(text) > limit:
        return text[: max(0, limit - 1)].rstrip() + "…"
    return text


def needs_escape(text: str) -> bool:
    """True when `text` holds a character `printable` would drop or fold (a log value must then be quoted)."""
    return bool(_HIDDEN.search(text))


def escape_invisible(text: str) -> str:
    """Every character `printable` would drop or fold, written as \\uXXXX (valid inside a JSON string)."""
    return _HIDDEN.sub(lambda m: f"\\u{ord(m.group(0)):04x}", text)

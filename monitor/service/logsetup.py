"""Log lines with key=value fields (or JSON), one event per feed run.

Under journald (stderr is the stream named by $JOURNAL_STREAM) lines carry no
timestamp, since the journal stamps each one, and start with a `<N>` syslog
priority prefix so `journalctl -p warning` filters by level.
"""

from __future__ import annotations

import json
import logging
import os
import sys
from typing import Any, TextIO

from monitor.text import escape_invisible, needs_escape

MAX_VALUE = 2000  # characters of one logged value; the rest is counted, not written
# logging level -> syslog priority, as sd-daemon(3) prefixes read by journald
_PRIORITY = {logging.DEBUG: 7, logging.INFO: 6, logging.WARNING: 4, logging.ERROR: 3, logging.CRITICAL: 2}


def _fmt(value: Any) -> str:
    """A key=value value: quoted when it holds a space, quote, = or anything invisible, whose
    controls, line breaks and bidi characters are then written as escapes (a feed's title must
    not start a new log line or move the cursor of the terminal reading it)."""
    text = _capped("" if value is None else str(value))
    if not text or needs_escape(text) or any(c in text for c in ' "='):
        return escape_invisible(json.dumps(text, ensure_ascii=False))
    return text


def _capped(text: str) -> str:
    return text if len(text) <= MAX_VALUE else f"{text[:MAX_VALUE]}…(+{len(text) - MAX_VALUE} chars)"


def _prefix(record: logging.LogRecord) -> str:
    return f"<{_PRIORITY.get(record.levelno, 6)}>"


class KeyValueFormatter(logging.Formatter):
    """`2026-01-01T00:00:00 INFO feed run feed=... status=ok`; under journald `<6>INFO feed run ...`."""

    def __init__(self, journald: bool = False) -> None:
        super().__init__()
        self.journald = journald

    def format(self, record: logging.LogRecord) -> str:
        kv = getattr(record, "kv", {})
        fields = " ".join(f"{k}={_fmt(v)}" for k, v in kv.items())
        head = _prefix(record) if self.journald else f"{self.formatTime(record, '%Y-%m-%dT%H:%M:%S')} "
        line = f"{head}{record.levelname} {record.getMessage()}" + (f" {fields}" if fields else "")
        if record.exc_info:
            line += "\n" + self.formatException(record.exc_info)
        return line


class JsonFormatter(logging.Formatter):
    """One JSON object per line; `ts` is left out under journald, which stamps the entry itself."""

    def __init__(self, journald: bool = False) -> None:
        super().__init__()
        self.journald = journald

    def format(self, record: logging.LogRecord) -> str:
        head = {} if self.journald else {"ts": self.formatTime(record, "%Y-%m-%dT%H:%M:%S")}
        kv = {k: _capped(v) if isinstance(v, str) else v for k, v in getattr(record, "kv", {}).items()}
        data = {**head, "level": record.levelname, "msg": record.getMessage(), **kv}
        if record.exc_info:
            data["exc"] = self.formatException(record.exc_info)
        line = escape_invisible(json.dumps(data, ensure_ascii=False, default=str))
        return _prefix(record) + line if self.journald else line


def connected_to_journal(stream: TextIO, env: dict[str, str] | None = None) -> bool:
    """True when `stream` is the journal stream systemd set up ($JOURNAL_STREAM is `device:inode`).

    Comparing device and inode, not just the variable's presence, matters: a child whose
    stderr was redirected inherits the variable but no longer writes to the journal.
    """
    value = (os.environ if env is None else env).get("JOURNAL_STREAM", "")
    dev, _, ino = value.partition(":")
    try:
        st = os.fstat(stream.fileno())
        return (st.st_dev, st.st_ino) == (int(dev), int(ino))
    except (ValueError, OSError):
        return False


def setup_logging(fmt: str = "text", level: int = logging.INFO) -> None:
    """Log to stderr, in `fmt` ("text" or "json"); journald-aware."""
    handler = logging.StreamHandler(sys.stderr)
    journald = connected_to_journal(sys.stderr)
    handler.setFormatter(JsonFormatter(journald) if fmt == "json" else KeyValueFormatter(journald))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    logging.getLogger("httpx").setLevel(logging.WARNING)
    logging.getLogger("apscheduler").setLevel(logging.WARNING)

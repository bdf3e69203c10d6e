"""Log lines with key=value fields (or JSON), one event per feed run."""

from __future__ import annotations

import json
import logging
import os
import sys
from typing import Any


def _fmt(value: Any) -> str:
    text = "" if value is None else str(value)
    return json.dumps(text, ensure_ascii=False) if (not text or any(c in text for c in ' "=\n')) else text


class KeyValueFormatter(logging.Formatter):
    """`2026-01-01T00:00:00 INFO feed run feed=... status=ok`; no timestamp under journald."""

    def __init__(self, timestamps: bool) -> None:
        super().__init__()
        self.timestamps = timestamps

    def format(self, record: logging.LogRecord) -> str:
        kv = getattr(record, "kv", {})
        fields = " ".join(f"{k}={_fmt(v)}" for k, v in kv.items())
        head = f"{self.formatTime(record, '%Y-%m-%dT%H:%M:%S')} " if self.timestamps else ""
        line = f"{head}{record.levelname} {record.getMessage()}" + (f" {fields}" if fields else "")
        if record.exc_info:
            line += "\n" + self.formatException(record.exc_info)
        return line


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        data = {"ts": self.formatTime(record, "%Y-%m-%dT%H:%M:%S"), "level": record.levelname, "msg": record.getMessage(), **getattr(record, "kv", {})}
        if record.exc_info:
            data["exc"] = self.formatException(record.exc_info)
        return json.dumps(data, ensure_ascii=False, default=str)


def setup_logging(fmt: str = "text", level: int = logging.INFO) -> None:
    """Log to stderr; journald adds its own timestamps, so we drop ours under it."""
    handler = logging.StreamHandler(sys.stderr)
    under_journald = bool(os.environ.get("JOURNAL_STREAM"))
    handler.setFormatter(JsonFormatter() if fmt == "json" else KeyValueFormatter(timestamps=not under_journald))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    logging.getLogger("httpx").setLevel(logging.WARNING)
    logging.getLogger("apscheduler").setLevel(logging.WARNING)

"""Golden files: an output compared with the JSON file committed for it under tests/golden/.

Run with SEEDWATCH_UPDATE_GOLDEN=1 to (re)write the files from the current outputs instead of
comparing, then read `git diff tests/golden` before committing: the diff is the change in
behaviour. A missing file fails with that same hint.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

GOLDEN = Path(__file__).parent / "golden"
UPDATE_ENV = "SEEDWATCH_UPDATE_GOLDEN"


def updating() -> bool:
    return os.environ.get(UPDATE_ENV, "") not in ("", "0")


def dumps(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, indent=2) + "\n"  # in output order, as a receiver sees it


def check_golden(relative: str, actual: Any) -> None:
    """Assert `actual` (JSON-able) equals tests/golden/<relative>; rewrite the file when updating."""
    path = GOLDEN / relative
    if updating():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(dumps(actual), encoding="utf-8")
        return
    assert path.exists(), f"{path} is missing: run with {UPDATE_ENV}=1 to write it, then review it"
    expected = json.loads(path.read_text(encoding="utf-8"))
    assert json.loads(dumps(actual)) == expected, f"{relative} differs from the output; if the change is intended, rerun with {UPDATE_ENV}=1 and review `git diff tests/golden`"

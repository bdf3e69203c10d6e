"""The `[stories]` config section: defaults, values, and errors that name the key."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest

from monitor.config import load_settings
from monitor.errors import ConfigError
from monitor.pipeline import story_rules


def _load(tmp_path: Path, text: str):
    path = tmp_path / "seedwatch.toml"
    path.write_text(text)
    return load_settings(path)


def test_defaults_and_values(tmp_path: Path) -> None:
    assert story_rules(_load(tmp_path, "")).window == timedelta(hours=72)
    rules = story_rules(_load(tmp_path, '[stories]\nwindow = "2d"\nsimilarity = 0.4\nupdate_delta = 0.2\nscore_tolerance = 0.05\n'))
    assert (rules.window, rules.similarity) == (timedelta(days=2), 0.4)  # the two older keys still load


@pytest.mark.parametrize(
    "line, key",
    [('window = "3 days"', "stories.window"), ("similarity = 0", "stories.similarity"), ("update_delta = 2", "stories.update_delta"), ("windows = \"1h\"", "stories.windows")],
)
def test_bad_values_name_file_line_and_key(tmp_path: Path, line: str, key: str) -> None:
    with pytest.raises(ConfigError) as err:
        _load(tmp_path, f"[monitor]\nthreshold = 0.5\n[stories]\n{line}\n")
    assert f"seedwatch.toml:4: {key}:" in str(err.value)

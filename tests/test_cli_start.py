"""Fast command start: `--version` and `--help` import no command module, light commands import
only what they use. Checked on the modules a fresh interpreter holds afterwards, not on timings."""

from __future__ import annotations

import argparse
import importlib
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from monitor.cli import COMMANDS, chosen_command, command_module
from tests.conftest import ROOT, write_config

# Run main() in a fresh interpreter, then print every module it imported as JSON on stdout's last line.
PROBE = """
import json, sys
from monitor.cli import main
try:
    code = main(sys.argv[1:])
except SystemExit as exc:
    code = exc.code
print(json.dumps(sorted(sys.modules)))
raise SystemExit(code or 0)
"""
NEVER_LIGHT = ("monitor.service.daemon", "apscheduler", "monitor.ingest.fetch", "monitor.ingest.netguard", "monitor.service.httpserver", "httpx", "monitor.pipeline")


def modules_after(*argv: str) -> set[str]:
    out = subprocess.run(
        [sys.executable, "-c", PROBE, *argv], cwd=ROOT, capture_output=True, text=True, timeout=120,
        env={**os.environ, "PYTHONPATH": str(ROOT), "COLUMNS": "200"},
    )
    assert out.returncode == 0, out.stderr
    return set(json.loads(out.stdout.splitlines()[-1]))


def loaded(modules: set[str], *prefixes: str) -> list[str]:
    return sorted(m for m in modules if any(m == p or m.startswith(p + ".") for p in prefixes))


@pytest.mark.parametrize("flag", ["--version", "--help"])
def test_version_and_help_import_no_command_module(flag: str) -> None:
    modules = modules_after(flag)
    assert "monitor.cli" in modules  # the probe did run the command line
    assert loaded(modules, "monitor.commands", "monitor.service.daemon", "monitor.service.app", "monitor.relevance", "sqlalchemy") == []


def test_check_loads_no_daemon_scheduler_fetcher_or_http_client(tmp_path: Path) -> None:
    cfg = write_config(tmp_path, feeds=[{"url": "https://example.org/rss"}])
    modules = modules_after("check", "-c", str(cfg))
    assert "monitor.commands.check" in modules and "monitor.relevance.topics" in modules  # check builds the profiles
    assert loaded(modules, *NEVER_LIGHT) == []


@pytest.mark.parametrize("command", ["status", "feeds"])
def test_status_and_feeds_read_the_lock_without_the_daemon_or_the_relevance_engine(tmp_path: Path, command: str) -> None:
    cfg = write_config(tmp_path, feeds=[{"url": "https://example.org/rss"}])
    modules = modules_after(command, "--json", "-c", str(cfg))
    assert f"monitor.commands.{command}" in modules and "monitor.service.lock" in modules
    assert loaded(modules, *NEVER_LIGHT, "monitor.relevance", "monitor.service.app") == []


def test_the_table_lists_every_command_module_with_its_own_help() -> None:
    modules = {p.stem for p in (ROOT / "monitor" / "commands").glob("*.py") if p.stem != "__init__"}
    assert {command_module(name).rpartition(".")[2] for name in COMMANDS} == modules
    for name, help_text in COMMANDS.items():
        sub = argparse.ArgumentParser().add_subparsers()
        importlib.import_module(command_module(name)).register(sub)
        [registered] = [a for a in sub._choices_actions if a.dest == name]  # argparse keeps each help here
        assert registered.help == help_text, name


@pytest.mark.parametrize(
    "argv, command",
    [(["--version"], None), (["check"], "check"), (["-v", "--log-format", "json", "once", "--json"], "once"), (["--log-format=json", "feeds", "add", "u"], "feeds"), (["nope"], None)],
)
def test_the_command_is_the_first_word_that_is_not_a_global_option(argv: list[str], command: str | None) -> None:
    assert chosen_command(argv) == command

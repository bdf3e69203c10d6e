"""The `seedwatch` command: one subcommand per module in monitor/commands/, imported on demand.

The command table below is all `--version` and `--help` need; only the module of the
command being run is imported (its `register(subparsers)` builds its full parser), so a
light command pays for its own imports and not for the daemon's, the fetcher's or the
relevance engine's.
"""

from __future__ import annotations

import argparse
import importlib
import logging
import sys
from collections.abc import Sequence

from monitor import __version__
from monitor.errors import SeedwatchError
from monitor.service.logsetup import setup_logging

# name -> help shown by `seedwatch --help`; the module is monitor.commands.<name with _ for ->
# (tests/test_cli_start.py checks each help matches the one its module registers).
COMMANDS: dict[str, str] = {
    "check": "validate the config and seeds and print a summary",
    "once": "poll every enabled feed once, deliver pending alerts, exit",
    "run": "run the monitoring daemon until SIGTERM/SIGINT (SIGHUP reloads config and seeds)",
    "status": "daemon, feeds ok/failing, next polls, last alerts, outbox depth",
    "feeds": "feed health (last success, errors, next poll); `feeds add URL` adds a feed",
    "import-opml": "add the feeds of an OPML file to the config, keeping its comments",
    "seeds": "show seeds' topic profiles (groups, aliases, weights)",
    "explain": "score a text, file or web page against a seed and explain the score",
    "replay": "score items from a JSONL file offline; with --labels print evaluation metrics",
    "rescore": "re-score the stored recent items against the seeds (all, or one) and queue what alerts",
    "feedback": "mark an alert good or bad: its seed's profile adapts at the next start or reload",
    "stories": "list recent stories (one alert each) with their items and sources",
    "alerts": "list recent alerts and their delivery; `alerts retry ID` resends one",
    "test-webhook": "send a signed test event to one webhook and report its answer",
}
GLOBAL_WITH_VALUE = ("--log-format",)  # global options whose value is the next word


def command_module(name: str) -> str:
    return f"monitor.commands.{name.replace('-', '_')}"


def chosen_command(argv: Sequence[str]) -> str | None:
    """The command named in `argv` (the first word that is not a global option), if it is one."""
    words = iter(argv)
    for word in words:
        if word in GLOBAL_WITH_VALUE:
            next(words, None)
        elif not word.startswith("-"):
            return word if word in COMMANDS else None
    return None


def build_parser(command: str | None = None) -> argparse.ArgumentParser:
    """The parser with every command listed; only `command`'s module is imported for its full parser."""
    parser = argparse.ArgumentParser(prog="seedwatch", description="Watch news feeds for developments related to seed articles.")
    parser.add_argument("--version", action="version", version=f"seedwatch {__version__}")
    parser.add_argument("--log-format", choices=("text", "json"), help="log line format (default: config monitor.log_format)")
    parser.add_argument("-v", "--verbose", action="store_true", help="debug logging")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for name, help_text in COMMANDS.items():
        if name == command:
            importlib.import_module(command_module(name)).register(sub)
        else:
            sub.add_parser(name, help=help_text)  # a placeholder: never parsed, since it is not the command given
    return parser


def add_config_arg(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--config", "-c", metavar="PATH", help="config file (default: $SEEDWATCH_CONFIG, ./config/seedwatch.toml, /etc/seedwatch/seedwatch.toml)")


def positive_int(text: str) -> int:
    """An argparse type: a whole number of at least 1 (a count of rows or stories to show)."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"{text} is not at least 1")
    return value


def apply_log_format(args: argparse.Namespace, configured: str) -> None:
    """Switch to the config's monitor.log_format unless --log-format was given (the flag wins)."""
    if not args.log_format and configured != "text":
        setup_logging(configured, logging.DEBUG if args.verbose else logging.INFO)


def main(argv: list[str] | None = None) -> int:
    words = sys.argv[1:] if argv is None else argv
    args = build_parser(chosen_command(words)).parse_args(words)
    setup_logging(args.log_format or "text", logging.DEBUG if args.verbose else logging.INFO)
    try:
        return int(args.func(args) or 0)
    except SeedwatchError as exc:
        print(f"seedwatch: error: {exc}", file=sys.stderr)
        return exc.exit_code
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:
        return 0

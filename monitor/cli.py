"""The `seedwatch` command: one subcommand per module in monitor/commands/."""

from __future__ import annotations

import argparse
import importlib
import logging
import sys

from monitor import __version__
from monitor.errors import SeedwatchError
from monitor.service.logsetup import setup_logging

COMMANDS = ("check", "once", "run", "status", "feeds", "import-opml", "seeds", "explain", "replay", "stories", "alerts", "test-webhook")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="seedwatch", description="Watch news feeds for developments related to seed articles.")
    parser.add_argument("--version", action="version", version=f"seedwatch {__version__}")
    parser.add_argument("--log-format", choices=("text", "json"), help="log line format (default: config monitor.log_format)")
    parser.add_argument("-v", "--verbose", action="store_true", help="debug logging")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for name in COMMANDS:
        importlib.import_module(f"monitor.commands.{name.replace('-', '_')}").register(sub)
    return parser


def add_config_arg(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--config", "-c", metavar="PATH", help="config file (default: $SEEDWATCH_CONFIG, ./config/seedwatch.toml, /etc/seedwatch/seedwatch.toml)")


def apply_log_format(args: argparse.Namespace, configured: str) -> None:
    """Switch to the config's monitor.log_format unless --log-format was given (the flag wins)."""
    if not args.log_format and configured != "text":
        setup_logging(configured, logging.DEBUG if args.verbose else logging.INFO)


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
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

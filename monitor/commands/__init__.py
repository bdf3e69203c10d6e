"""The shell: one module per `seedwatch` subcommand, each exposing `register(subparsers)`.

`monitor.cli` imports a command's module only when that command runs, so `--version` and
light commands (`check`, `status`) do not pay for the daemon, the scheduler or the relevance
engine. Commands render text from feeds and receivers for a terminal and escape it there.

May import: everything.
"""

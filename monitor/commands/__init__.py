"""One module per `seedwatch` subcommand; each exposes `register(subparsers)`."""

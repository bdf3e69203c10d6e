"""`python -m monitor` is the `seedwatch` command."""

from monitor.cli import main

raise SystemExit(main())

"""Seedwatch: watch news feeds for developments related to seed articles."""

import os
import secrets
import socket

__version__ = "0.1.0"
USER_AGENT = f"Seedwatch/{__version__} (+https://github.com/seedwatch/seedwatch)"


def holder_name() -> str:
    """A new name for this process as `host:pid:token`: the name under which a daemon holds feed
    leases and a deliverer claims rows (monitor.service.sharing.dead_here reads host and pid back)."""
    return f"{socket.gethostname()}:{os.getpid()}:{secrets.token_hex(3)}"

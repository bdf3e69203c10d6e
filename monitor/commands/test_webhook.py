"""`seedwatch test-webhook NAME`: send one signed test event and report the receiver's answer truthfully."""

from __future__ import annotations

import argparse

from monitor.cli import add_config_arg
from monitor.service.app import App, read
from monitor.service.clock import utcnow


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("test-webhook", help="send a signed test event to one webhook and report its answer")
    p.add_argument("name", help="the webhook's `name` in the config")
    add_config_arg(p)
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    app = App.open(*read(args.config), polls=False)
    try:
        hook = app.deliverer.hooks.get(args.name)
        was_disabled = bool(hook and (row := app.deliverer.sink_rows(utcnow()).get(args.name)) and row.disabled_at)
        msg_id, attempt = app.deliverer.test(args.name, utcnow())
        assert hook is not None  # test() raised DeliveryError otherwise
        signed = "signed" if hook.secret else "unsigned (no secret configured)"
        print(f"{hook.name}: {hook.format} test event {msg_id}, {signed}, to {hook.url}")
        if attempt.ok:
            print(f"{hook.name}: ok: {attempt.detail}")
            if was_disabled:
                print(f"{hook.name}: the sink was disabled after a 410 and is enabled again; waiting alerts go out on the next delivery")
            return 0
        print(f"{hook.name}: FAILED: {attempt.detail}")
        return 1
    finally:
        app.close()

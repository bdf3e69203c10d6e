"""Delivery: alerts and notices from the outbox to the sinks, once each, never lost.

`alerts` (Match -> Alert, sink filters: pure), `sinks` (the per-service renderings of the
wire bodies of monitor.wire: pure), `digest` (budgets, quiet hours, cron digests as pure
decisions), `deliver` (the deliverer: reads the outbox, signs, POSTs, retries, marks).

May import: monitor core, config and store.
"""

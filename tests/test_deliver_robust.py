"""Receivers that stall delivery: a total deadline per POST, a bounded answer, sinks that do not wait on
each other, and outbox claims so two senders (`run` and `once`) never send one row twice."""

from __future__ import annotations

import random
import threading
import time
import tracemalloc
from collections import Counter
from collections.abc import Callable
from datetime import datetime, timezone
from http.server import BaseHTTPRequestHandler
from pathlib import Path

from monitor.delivery.deliver import Deliverer
from monitor.ingest.netguard import Guard, deadline, guarded_client
from monitor.store import Store
from tests.conftest import seedwatch, start_seedwatch, stop_seedwatch, wait_until, write_config
from tests.outbox import alert, hook, queue, statuses, store
from tests.servers import WebhookReceiver


def utcnow() -> datetime:
    return datetime.now(timezone.utc).replace(microsecond=0)


def guarded(st: Store, *hooks, timeout: float = 2.0) -> Deliverer:
    """A Deliverer wired as the service wires it: the guarded client and its total deadline."""
    client = guarded_client(Guard(allow_private=True), timeout=timeout)
    return Deliverer(st, hooks, client=client, rng=random.Random(7), bound=deadline, timeout=timeout)


def slow_status(every: float = 0.25) -> Callable[[BaseHTTPRequestHandler], None]:
    """The status line and headers one byte at a time: each read is quick, the answer never ends in time."""

    def handler(h: BaseHTTPRequestHandler) -> None:
        for byte in b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\nX-Padding: " + b"p" * 200 + b"\r\n\r\nok":
            if h.server.closing.wait(every):  # type: ignore[attr-defined]
                return
            try:
                h.wfile.write(bytes([byte]))
                h.wfile.flush()
            except OSError:
                return
        h.close_connection = True

    return handler


def slow_body(every: float = 0.25) -> Callable[[BaseHTTPRequestHandler], None]:
    """200 at once, then a body trickled one byte at a time."""

    def handler(h: BaseHTTPRequestHandler) -> None:
        h.send_response(200)
        h.send_header("Content-Length", "400")
        h.end_headers()
        for _ in range(400):
            if h.server.closing.wait(every):  # type: ignore[attr-defined]
                return
            try:
                h.wfile.write(b"x")
                h.wfile.flush()
            except OSError:
                return

    return handler


def huge_body(sent: list[int]) -> Callable[[BaseHTTPRequestHandler], None]:
    """200 with a declared and sent 100 MiB body; records how much of it got out."""

    def handler(h: BaseHTTPRequestHandler) -> None:
        size, chunk = 100 * 2**20, b"\0" * 65536
        h.send_response(200)
        h.send_header("Content-Length", str(size))
        h.end_headers()
        sent.append(0)
        try:
            while sent[0] < size:
                h.wfile.write(chunk)
                sent[0] += len(chunk)
        except OSError:
            return

    return handler


def silent(h: BaseHTTPRequestHandler) -> None:
    h.server.closing.wait(60)  # type: ignore[attr-defined]


def test_a_trickled_answer_is_cut_at_the_total_deadline(tmp_path: Path, receiver: WebhookReceiver) -> None:
    receiver.handlers["/status"] = slow_status()
    receiver.handlers["/body"] = slow_body()
    t0 = utcnow()
    st = store(tmp_path)
    queue(st, alert(1, t0), ["status", "body"])
    d = guarded(st, hook("status", receiver.url("/status")), hook("body", receiver.url("/body")), timeout=2.0)
    started = time.monotonic()
    report = d.run_once(t0)
    took = time.monotonic() - started
    assert took < 3.5, f"a trickling receiver held the delivery {took:.1f} s (total deadline 2 s)"  # it was the sum of every read's timeout
    assert (report.sent, report.failed) == (1, 1)
    [row] = [r for r in st.recent_alerts() if r.sink == "status"]
    assert row.status == "pending" and "no complete answer within 2 s" in (row.last_error or "")
    assert statuses(st)[(alert(1, t0).id, "body")] == "sent"  # its 200 arrived in time; the rest of the body is not ours to wait for


def test_a_huge_answer_is_never_read_whole(tmp_path: Path, receiver: WebhookReceiver) -> None:
    sent: list[int] = []
    receiver.handlers["/big"] = huge_body(sent)
    t0 = utcnow()
    st = store(tmp_path)
    queue(st, alert(1, t0), ["big"])
    d = guarded(st, hook("big", receiver.url("/big")), timeout=10.0)
    tracemalloc.start()
    try:
        report = d.run_once(t0)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert report.sent == 1
    assert peak < 8 * 2**20, f"{peak / 2**20:.0f} MiB allocated for an answer nobody reads"  # it was the whole 100 MiB, twice
    assert wait_until(lambda: bool(sent) and sent[0] < 50 * 2**20, timeout=5), sent


def test_a_stalled_sink_does_not_delay_the_others(tmp_path: Path, receiver: WebhookReceiver) -> None:
    receiver.handlers["/stalled"] = silent
    t0 = utcnow()
    st = store(tmp_path)
    queue(st, alert(1, t0), ["stalled"])  # due first: one request at a time, every other sink waited behind it
    queue(st, alert(2, t0), ["fast"])
    d = guarded(st, hook("stalled", receiver.url("/stalled")), hook("fast", receiver.url("/fast")), timeout=5.0)
    started = time.monotonic()
    worker = threading.Thread(target=d.run_once, args=(t0,))
    worker.start()
    try:
        assert receiver.wait_for(1, timeout=10, path="/fast"), "the fast sink got nothing"
        assert time.monotonic() - started < 2.0, "the fast sink waited for the stalled one"
    finally:
        worker.join(timeout=15)
    assert statuses(st)[(alert(2, t0).id, "fast")] == "sent"


def test_two_senders_claim_disjoint_rows(state_url: str) -> None:
    t0 = utcnow()
    st = store(state_url)
    for n in range(5):
        queue(st, alert(n, t0), ["h"])
    lease = t0.replace(year=t0.year + 1)
    first = st.claim_due(t0, "h", "one", lease, 3)
    second = st.claim_due(t0, "h", "two", lease, 10)
    assert len(first) == 3 and len(second) == 2 and not {p.alert_id for p in first} & {p.alert_id for p in second}
    assert st.claim_due(t0, "h", "three", lease, 10) == []
    assert not st.mark_sent(first[0].alert_id, "h", t0, "two")  # only the claimer marks a row
    assert st.mark_sent(first[0].alert_id, "h", t0, "one")


def test_once_and_run_together_never_send_one_webhook_id_twice(tmp_path: Path, receiver: WebhookReceiver) -> None:
    receiver.delay = 0.25  # a slow receiver: the two senders' deliveries overlap for seconds
    url = receiver.url("/hook")
    cfg = write_config(tmp_path, feeds=[], webhooks=[{"name": "hook", "url": url}])
    st = Store(f"sqlite:///{tmp_path / 'state' / 'seedwatch.db'}")
    now = utcnow()
    ids = [queue(st, alert(n, now), ["hook"]) for n in range(18)]
    st.close()
    daemon = start_seedwatch("run", "--config", str(cfg))
    try:
        once = seedwatch("once", "--config", str(cfg), timeout=90)
        assert once.returncode == 0, once.stderr
        assert wait_until(lambda: {p.headers["webhook-id"] for p in receiver.posts("/hook")} >= set(ids), timeout=60)
        time.sleep(1.5)  # a delivery tick after the last one
    finally:
        code, _took, err = stop_seedwatch(daemon)
    assert code == 0, err
    sent = Counter(p.headers["webhook-id"] for p in receiver.posts("/hook"))
    assert [i for i, n in sent.items() if n > 1] == [], sent  # 16 of 18 went twice before claims
    # every queued alert went out; so may the bundled seed's own alerts on those stored items
    # (a seed new to the store re-scores what it holds at start)
    assert set(ids) <= set(sent)

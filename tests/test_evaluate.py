"""Replay metrics on a tiny labelled set whose right answers are worked out by hand below."""

from __future__ import annotations

import json

import pytest

from monitor.relevance.evaluate import Judged, by_language
from tests.conftest import SHARED, seedwatch, write_config

ROWS = [  # lang, score, alert, grade
    Judged("en", 0.9, True, 2),
    Judged("en", 0.8, True, 0),
    Judged("en", 0.6, False, 1),
    Judged("en", 0.3, False, 2),
    Judged("pl", 0.7, True, 1),
    Judged("pl", 0.2, False, 0),
]


def test_metrics_by_hand():
    m = by_language(ROWS)
    a = m["all"]
    # grade 2: relevant {1,4}, alerts {1,2,5}, hit {1}
    assert (a.grade2.precision, a.grade2.recall) == pytest.approx((1 / 3, 1 / 2))
    assert a.grade2.f1 == pytest.approx(0.4)
    # grade >= 1: relevant {1,3,4,5}, hits {1,5}
    assert (a.grade1.precision, a.grade1.recall, a.grade1.f1) == pytest.approx((2 / 3, 1 / 2, 4 / 7))
    # ranking 1, 2, 5, 3, 4, 6: relevant at ranks 1, 3, 4, 5
    assert a.average_precision == pytest.approx((1 + 2 / 3 + 3 / 4 + 4 / 5) / 4)
    # P_miss = 1/2 (item 4), P_fa = 2/4 (items 2 and 5 among 2, 3, 5, 6)
    assert a.c_norm == pytest.approx(0.5 + 4.9 * 0.5)
    en, pl = m["en"], m["pl"]
    assert (en.grade1.precision, en.grade1.recall) == pytest.approx((1 / 2, 1 / 3))
    assert en.average_precision == pytest.approx((1 + 2 / 3 + 3 / 4) / 3)
    assert (pl.grade1.precision, pl.grade1.recall, pl.average_precision) == (1.0, 1.0, 1.0)
    assert pl.grade2.recall == 0.0 and pl.c_norm == pytest.approx(4.9 * 0.5)
    assert list(m) == ["all", "en", "pl"]


def _write(path, rows):
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8")


def test_replay_command(tmp_path):
    cfg = write_config(tmp_path, feeds=[])
    items = tmp_path / "items.jsonl"
    _write(items, [
        {"id": "a", "title": "NATO chief urges South Korea to send weapons to Ukraine", "summary": "Stoltenberg in Seoul.", "lang": "en"},
        {"id": "b", "title": "Harga cabai naik", "summary": "", "lang": "id"},
        {"id": "c", "title": "Korut bantah kirim senjata ke Rusia", "summary": "Pyongyang membantah.", "lang": "id"},
    ])
    out = tmp_path / "scored.jsonl"
    labels = tmp_path / "labels.jsonl"
    _write(labels, [{"id": "a", "grade": 2}, {"id": "b", "grade": 0}, {"id": "c", "grade": 2}])
    r = seedwatch("replay", "-c", str(cfg), "--input", str(items), "--output", str(out), "--labels", str(labels))
    assert r.returncode == 0, r.stderr
    lines = [json.loads(x) for x in out.read_text().splitlines()]
    assert [x["id"] for x in lines] == ["a", "b", "c"]
    assert {x["seed"] for x in lines} == {"000_3cec3928e0cca43c"}
    assert [x["alert"] for x in lines] == [True, False, True]
    assert lines[0]["matched"][0].keys() == {"group", "term", "where"}
    assert "1.000" in r.stdout and " id " in r.stdout.replace("│", " ")


def test_replay_bad_line_names_file_and_line(tmp_path):
    cfg = write_config(tmp_path, feeds=[])
    items = tmp_path / "items.jsonl"
    items.write_text('{"id": "a", "title": "x"}\n{"title": "no id"}\n')
    r = seedwatch("replay", "-c", str(cfg), "--input", str(items))
    assert r.returncode != 0 and f"{items}:2: id:" in r.stderr


@pytest.mark.parametrize(("content", "expected"), [
    (b'{"id": "a", "title": "x"}\n{"id": "b", "title": "Zaha\xefwi"}\n', ":2: not UTF-8 text (byte 27 of the line)"),
    (b'{"id": "a", "title": "x"}\n[1, 2]\n', ":2: not a JSON object"),
    (b'{"id": "a", "title": "x\tcut"\n', ":1: not JSON: "),
    (b'{"id": "a", "title": "x"}\n\n{"id": "a", "title": "y"}\n', ":3: id: 'a' is already on line 1; each id once"),
])
def test_replay_unreadable_lines_name_file_line_and_why(tmp_path, content, expected):
    cfg = write_config(tmp_path, feeds=[])
    items = tmp_path / "items.jsonl"
    items.write_bytes(content)
    r = seedwatch("replay", "-c", str(cfg), "--input", str(items))
    assert r.returncode == 2 and f"{items}{expected}" in r.stderr and "Traceback" not in r.stderr, r.stderr


def test_replay_output_that_cannot_be_written_is_named_before_scoring(tmp_path):
    cfg = write_config(tmp_path, feeds=[])
    items = tmp_path / "items.jsonl"
    items.write_text('{"id": "a", "title": "x"}\n')
    for output in (tmp_path / "missing" / "out.jsonl", tmp_path):
        r = seedwatch("replay", "-c", str(cfg), "--input", str(items), "--output", str(output))
        assert r.returncode == 2 and f"{output}: cannot write the output: " in r.stderr and "Traceback" not in r.stderr, r.stderr


def test_unknown_profile_seed_is_a_config_error(tmp_path):
    cfg = write_config(tmp_path, feeds=[], extra='[profiles."nope"]\nthreshold = 0.4\n')
    r = seedwatch("check", "-c", str(cfg))
    assert r.returncode != 0 and "profiles.nope: no seed with this id" in r.stderr
    line = cfg.read_text().splitlines().index('[profiles."nope"]') + 1
    assert f"{cfg}:{line}: profiles.nope" in r.stderr


def test_webhook_for_an_unknown_seed_is_a_config_error_at_its_line(tmp_path):
    cfg = write_config(tmp_path, feeds=[], webhooks=[{"name": "a", "url": "http://127.0.0.1:9/a"}, {"name": "b", "url": "http://127.0.0.1:9/b", "seeds": ["nope"]}])
    r = seedwatch("check", "-c", str(cfg))
    line = cfg.read_text().splitlines().index('seeds = ["nope"]') + 1
    assert r.returncode != 0 and f"{cfg}:{line}: webhooks[1].seeds: no seed 'nope' in " in r.stderr and "seeds: 000_" in r.stderr, r.stderr


def test_bad_override_names_line_and_key(tmp_path):
    cfg = write_config(tmp_path, feeds=[], extra='[profiles."000_3cec3928e0cca43c"]\nthreshold = 0.4\nweights = { NATO = 2 }\n')
    r = seedwatch("check", "-c", str(cfg))
    lines = cfg.read_text().splitlines()
    line = next(i for i, x in enumerate(lines, 1) if x.startswith("weights"))
    assert f"{cfg}:{line}: profiles.000_3cec3928e0cca43c.weights.NATO:" in r.stderr


@pytest.mark.shared
@pytest.mark.skipif(not (SHARED / "eval").is_dir(), reason="needs ../shared/eval")
def test_dev_set_targets(tmp_path, engine):
    from monitor.commands.replay import read_items, read_labels, to_item
    from monitor.relevance.seeds import load_seeds
    from tests.conftest import SEEDS
    from tests.scoring import score

    profile = engine.profile(load_seeds(SEEDS)[0], 0.5, 0.3)
    labels = read_labels(SHARED / "eval" / "dev-labels.jsonl")
    rows = []
    for _, obj in read_items(SHARED / "eval" / "dev-items.jsonl"):
        m = score(engine, to_item(obj), profile)
        rows.append(Judged(obj["lang"], m.score, m.alert, labels[obj["id"]]))
    metrics = by_language(rows)
    a = metrics["all"]
    assert a.grade2.recall >= 0.95 and a.grade1.precision >= 0.90 and a.average_precision >= 0.90
    for lang, m in metrics.items():
        if m.grade2.relevant >= 10:
            assert m.grade2.recall >= 0.90, lang

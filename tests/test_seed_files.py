"""Seed files in the encodings editors save: read when their byte-order mark says how, refused
with file, line and the fix when they cannot be read as text."""

from __future__ import annotations

import codecs
from pathlib import Path

import pytest

from monitor.errors import ConfigError
from monitor.relevance.seeds import load_seed

TEXT = "---\ntitle: Zahawi sacked\nlang: en\n---\nNadhim Zahawi sacked\nSunak fired the Conservative chair after an ethics inquiry.\n"


@pytest.mark.parametrize(("bom", "codec"), [(codecs.BOM_UTF8, "utf-8"), (codecs.BOM_UTF16_LE, "utf-16-le"), (codecs.BOM_UTF16_BE, "utf-16-be"), (b"", "utf-8")])
def test_a_seed_with_a_byte_order_mark_reads_as_the_same_seed(tmp_path: Path, bom: bytes, codec: str) -> None:
    path = tmp_path / "zahawi.txt"
    path.write_bytes(bom + TEXT.encode(codec))
    seed = load_seed(path)
    assert (seed.title, seed.lang) == ("Zahawi sacked", "en")  # the header is found past the mark
    assert seed.text.startswith("Nadhim Zahawi sacked\nSunak fired")


@pytest.mark.parametrize(("data", "message"), [
    (TEXT.encode("utf-16-le"), "seed holds NUL bytes (UTF-16 without a byte-order mark?); save it as UTF-8"),
    (b"Zahawi\nminister Zahawi odsz\xf3d\n", ":2: seed is not UTF-8 text (byte 27); save it as UTF-8"),  # Latin-1
    (codecs.BOM_UTF16_LE + b"\x00\xd8", "seed starts with a UTF-16-LE byte-order mark but is not UTF-16-LE text"),
])
def test_an_unreadable_seed_names_the_file_the_line_and_the_fix(tmp_path: Path, data: bytes, message: str) -> None:
    path = tmp_path / "seed.txt"
    path.write_bytes(data)
    with pytest.raises(ConfigError) as info:
        load_seed(path)
    assert str(info.value).startswith(str(path)) and message in str(info.value), str(info.value)

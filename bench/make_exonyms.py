"""Build monitor/relevance/data/exonyms.toml: the names of countries in every CLDR locale that
are written with the words of the catalogue's languages.

The catalogue takes each country's name in its own languages from CLDR (babel) at start; the
names people also write — "Turkey" for Türkiye, "Ivory Coast", "Burma", "Czech Republic" — are
CLDR names too, but of other locales (en_150, fil, ...). Reading all ~800 locales at every start
would cost seconds, and every name the matcher knows costs memory, so this script reads them
once and keeps the names whose every word wordfreq knows in one of the catalogue's Latin-script
languages (a Yoruba or Lingala form would never match a news item we read), that belong to one
country only, 4 to 40 characters, no digits; "Myanmar (Burma)" gives both names.

    .venv/bin/python bench/make_exonyms.py
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from monitor.relevance.rarity import Rarity  # noqa: E402

LANGUAGES = ("en", "id", "pl", "de", "fr")  # the catalogue's Latin-script languages (lexicon.toml)
OUT = ROOT / "monitor" / "relevance" / "data" / "exonyms.toml"


def proper_name(name: str) -> bool:
    if not 4 <= len(name) <= 40 or "  " in name or name.isupper() or any(c.isdigit() or c in ",;()/&.[]|\"" for c in name):
        return False
    words = re.split(r"[\s'’-]+", name)
    # "Côte d" (a CLDR form cut at its apostrophe) would match "Côte d'Azur"
    return name[0].isupper() and all(len(w) >= 2 for w in words) and len(words[-1]) >= 3


def main() -> int:
    import babel
    from babel import Locale, localedata

    rarity = Rarity()

    def in_languages(name: str) -> bool:
        words = [w for w in re.split(r"[\s'’-]+", name.lower()) if w]
        return bool(words) and all(any(rarity.zipf(w, lang) > 0 for lang in LANGUAGES) for w in words)

    owners: dict[str, set[str]] = {}
    for locale in localedata.locale_identifiers():
        try:
            territories = Locale.parse(locale).territories
        except (ValueError, babel.UnknownLocaleError):
            continue
        for code, full in territories.items():
            if len(code) != 2 or not code.isalpha():
                continue
            for name in re.split(r"\s*[()]\s*", full):  # "Myanmar (Burma)": both names
                if name.strip():
                    owners.setdefault(name.strip(), set()).add(code)
    kept: dict[str, set[str]] = {}
    for name, codes in owners.items():
        if len(codes) == 1 and proper_name(name) and in_languages(name):
            kept.setdefault(next(iter(codes)), set()).add(name)
    lines = [
        f"# Written by bench/make_exonyms.py from CLDR {babel.__version__} (babel): see that script for what is",
        "# kept. Read by monitor/relevance/lexicon.py, besides the CLDR names of its own languages.",
        "[names]",
    ]
    for code in sorted(kept):
        quoted = ", ".join('"' + n.replace("\\", "\\\\").replace('"', '\\"') + '"' for n in sorted(kept[code]))
        lines.append(f"{code} = [{quoted}]")
    OUT.write_text("\n".join(lines) + "\n", encoding="utf-8")
    print(f"wrote {OUT}: {sum(len(v) for v in kept.values())} names for {len(kept)} countries")
    return 0


if __name__ == "__main__":
    sys.exit(main())

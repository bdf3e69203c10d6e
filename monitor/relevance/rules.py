"""A user's per-seed rules, as feed-reader users know them (Miniflux's keep and block rules): pure.

`keep` and `block` are regular expressions tried on the title and the summary (case-insensitive);
`must_mention` names of which the item must name one (as seed units or catalogue names match: in
any language and inflected form; a name of several words also by its last word, as news names a
person by the surname: "Vandermeer" for "Ilse Vandermeer"); `exclude` terms that veto wherever they appear; `required`
catalogue groups (config `required`) the item must show. A veto keeps an item from alerting and
from the related band; its score is unchanged, so `explain` still shows how close it came.
"""

from __future__ import annotations

import re

from monitor.relevance.evidence import ItemText, Lexical
from monitor.relevance.textmatch import tokenize
from monitor.relevance.units import normal
from monitor.types import SeedRules, SeedUnit


def veto(seed_rules: SeedRules, missing_required: tuple[str, ...], text: ItemText, lex: Lexical) -> str | None:
    """Why the rules forbid this item from alerting, or None."""
    if missing_required:
        return "required group missing: " + ", ".join(missing_required)
    item = text.item
    visible = f"{item.title}\n{item.summary}"
    for pattern in seed_rules.block:
        if re.search(pattern, visible, re.IGNORECASE):
            return f"blocked by rule /{pattern}/"
    if seed_rules.keep and not any(re.search(p, visible, re.IGNORECASE) for p in seed_rules.keep):
        return "no keep rule matches: " + ", ".join(f"/{p}/" for p in seed_rules.keep)
    if seed_rules.must_mention and not any(_mentions(name, text, lex) for name in seed_rules.must_mention):
        return "mentions none of: " + ", ".join(seed_rules.must_mention)
    if seed_rules.exclude:
        words = set(tokenize(f"{item.title}\n{item.summary}\n{item.text}")[1])
        found = [t for t in seed_rules.exclude if all(w in words for w in tokenize(t)[1])]
        if found:
            return "excluded term: " + ", ".join(found)
    return None


def _mentions(name: str, text: ItemText, lex: Lexical) -> bool:
    words = [normal(w) for w in tokenize(name)[0]]
    if not words:
        return False
    keys = {" ".join(words), words[-1]}
    if any(unit.key in keys or unit.group == name for unit, _s, _w in lex.found):
        return True
    probes = [SeedUnit(k, name, 1.0, True, False) for k in keys]
    return any(text.title.has(p) or text.body.has(p) for p in probes) or name in text.title.groups or name in text.body.groups

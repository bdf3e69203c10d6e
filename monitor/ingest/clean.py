"""Text and URL hygiene: HTML -> clean text, canonical URLs, stable item keys (pure)."""

from __future__ import annotations

import hashlib
import html
import re
from urllib.parse import parse_qsl, urlencode, urlunsplit

from bs4 import BeautifulSoup

from monitor.urls import BadUrl, Url, parse_url

# C0/C1 controls except tab/newline, lone surrogates, and non-characters break JSON
# consumers and terminals; they never carry meaning in a headline.
_CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff\ufffe\uffff]")
_SPACE = re.compile(r"\s+")
_TRACKING = re.compile(r"^(utm_.*|fbclid|gclid|dclid|gbraid|wbraid|msclkid|mc_cid|mc_eid|igshid|yclid|_hsenc|_hsmi|ref_src|cmpid|ocid|smid|taid|at_medium|at_campaign|rss|feature)$", re.I)
_AMP_PATH = re.compile(r"(/amp/?$|/amp(?=/)|\.amp(?=\.html?$))")
# AMP caches serve a publisher's page under their own host: Google's AMP cache and viewer.
_AMP_CACHE = re.compile(r"^https?://(?:[^/]+\.cdn\.ampproject\.org/[cvi]|(?:www\.)?google\.[a-z.]+/amp)/(s/)?([^/?#]+.*)$", re.I)
_AMP_PARAMS = {"amp", "outputtype", "output"}  # ?amp=1, ?outputType=amp (Washington Post), ?output=amp


def strip_controls(text: str) -> str:
    return _CONTROL.sub("", text)


def html_to_text(fragment: str | None) -> str:
    """Visible text of an HTML fragment, whitespace folded, controls removed."""
    if not fragment:
        return ""
    if "<" not in fragment:  # plain text (the common case for titles): skip the parser
        text = html.unescape(fragment)
    else:
        soup = BeautifulSoup(fragment, "lxml")
        for tag in soup(["script", "style", "noscript", "iframe", "template"]):
            tag.decompose()
        text = soup.get_text(" ")
    return _SPACE.sub(" ", strip_controls(text)).strip()


def link(url: str | None) -> str | None:
    """A feed item's link as given when it is a URL we could fetch (monitor.urls), else None."""
    return url if url and isinstance(parse_url(url), Url) else None


def canonical_url(url: str | None) -> str | None:
    """Drop tracking parameters, fragments, AMP variants, default ports and trailing slashes.

    None for anything monitor.urls refuses (a port past 65535, an octal IPv4 host, ...): such a
    link identifies nothing, and one bad link must not cost its feed the run.
    """
    if not url:
        return None
    url = url.strip()
    if cache := _AMP_CACHE.match(url):
        url = ("https://" if cache.group(1) else "http://") + cache.group(2)
    parts = parse_url(url)
    if isinstance(parts, BadUrl):
        return None
    netloc = parts.netloc.removeprefix("amp.")
    path = _AMP_PATH.sub("", parts.path) or "/"
    if len(path) > 1:
        path = path.rstrip("/")
    query = [(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True) if not _TRACKING.match(k) and not _amp_param(k, v)]
    # https and http of one article are the same article
    return urlunsplit(("https", netloc, path, urlencode(sorted(query)), ""))


def _amp_param(key: str, value: str) -> bool:
    key = key.lower()
    return key == "amp" or (key in _AMP_PARAMS and value.lower() == "amp")


def item_key(guid: str | None, link: str | None, title: str, summary: str) -> str:
    """Stable key: the guid, else the canonical link, else a hash of the content."""
    if guid and guid.strip():
        basis = "g|" + guid.strip()
    elif canonical := canonical_url(link):
        basis = "u|" + canonical
    else:
        basis = "h|" + _SPACE.sub(" ", f"{title}\n{summary}".lower()).strip()
    return hashlib.sha1(basis.encode("utf-8", "surrogatepass")).hexdigest()[:20]

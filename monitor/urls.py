"""URLs from outside (config, OPML, feed items, redirects): one strict parser that never raises.

Every URL Seedwatch did not write itself goes through `parse_url` once, where it enters: the
config and `import-opml` refuse what it refuses, the fetcher checks every redirect hop with it,
and a feed item's link it refuses is dropped. The rules are a subset of what httpx accepts, so a
URL that passes is one httpx can request:

- http or https, a host, no control character, no whitespace around it or in its host part
  (a space in a path is encoded by httpx, and sloppy feeds do send them), at most MAX_LENGTH
  characters;
- a port in 1..65535;
- an IPv4 host only in dotted decimal: a host that browsers would read as IPv4 in octal, hex or
  shortened form (`0177.0.0.1`, `127.000.000.001`, `0x7f.1`, `2130706433`) is refused and the
  message says which address it means, so the SSRF guard never has to guess what it names;
- an IPv6 host as a bracketed literal without a zone id;
- a host name of letters, digits, `-` and `_` labels (at most 63 each, 253 in all), or an
  internationalised name that IDNA 2008 (the `idna` package, as httpx uses) can encode.
"""

from __future__ import annotations

import ipaddress
import re
from dataclasses import dataclass
from urllib.parse import urljoin, urlsplit

MAX_LENGTH = 8192
SCHEMES = ("http", "https")
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")
_BAD_NETLOC = re.compile(r"[\s\\]")  # a backslash there means "/" to browsers: host and path would disagree
_LABEL = re.compile(r"^(?!-)[a-z0-9_-]{1,63}(?<!-)$")
_NUMERIC_TAIL = re.compile(r"^(?:0[xX][0-9a-fA-F]*|[0-9]+)$")


@dataclass(frozen=True)
class Url:
    """A URL that passed: its parts, the host lower-cased (brackets removed from IPv6)."""

    text: str
    scheme: str
    host: str
    port: int | None
    path: str
    query: str
    fragment: str

    @property
    def netloc(self) -> str:
        """host[:port] with the default port left out and IPv6 in brackets."""
        host = f"[{self.host}]" if ":" in self.host else self.host
        default = {"http": 80, "https": 443}[self.scheme]
        return host if self.port in (None, default) else f"{host}:{self.port}"

    @property
    def key(self) -> str:
        """The form two spellings of one address share (case of scheme and host, default port, empty path)."""
        return f"{self.scheme}://{self.netloc}{self.path or '/'}" + (f"?{self.query}" if self.query else "")


@dataclass(frozen=True)
class BadUrl:
    """A URL that did not pass, and why, as one sentence naming it."""

    text: str
    reason: str

    def __str__(self) -> str:
        return f"\"{_shown(self.text)}\" {self.reason}"


def parse_url(text: object, schemes: tuple[str, ...] = SCHEMES) -> Url | BadUrl:
    """`text` as a Url, or a BadUrl saying why not; never raises, whatever `text` is."""
    if not isinstance(text, str) or not text:
        return BadUrl(str(text or ""), "is not an http(s) URL")
    if len(text) > MAX_LENGTH:
        return BadUrl(text, f"is longer than {MAX_LENGTH} characters")
    if _CONTROL.search(text) or text != text.strip():
        return BadUrl(text, "contains a control character or surrounding whitespace")
    try:
        parts = urlsplit(text)
    except ValueError as exc:
        return BadUrl(text, f"cannot be read as a URL ({exc})")
    scheme = parts.scheme.lower()
    if scheme not in schemes or not parts.netloc:
        return BadUrl(text, "is not an http(s) URL")
    if _BAD_NETLOC.search(parts.netloc):
        return BadUrl(text, "has whitespace or a backslash in its host part")
    hostport = parts.netloc.rpartition("@")[2]
    if hostport.startswith("["):
        literal, _, rest = hostport[1:].partition("]")
        host, problem = _ipv6(literal)
        port_text = rest.removeprefix(":") if rest.startswith(":") or not rest else None
    else:
        name, _, port_text = hostport.partition(":")
        host, problem = _host(name)
    if problem:
        return BadUrl(text, problem)
    port, problem = _port(port_text)
    if problem:
        return BadUrl(text, problem)
    return Url(text, scheme, host, port, parts.path, parts.query, parts.fragment)


def resolve(base: str, ref: str) -> Url | BadUrl:
    """`ref` (a Location header, a relative link) against `base`, then parsed; never raises."""
    try:
        joined = urljoin(base, ref)
    except ValueError as exc:
        return BadUrl(ref, f"cannot be read as a URL ({exc})")
    return parse_url(joined)


def _port(text: str | None) -> tuple[int | None, str | None]:
    if text is None:
        return None, "has text after the IPv6 address that is not a port"
    if not text:
        return None, None
    if not text.isdigit() or not 0 < int(text) <= 65535:
        return None, f"has port {_shown(text)}, not in 1..65535"
    return int(text), None


def _ipv6(literal: str) -> tuple[str, str | None]:
    if "%" in literal:
        return "", "has an IPv6 zone id (link-local addresses are not fetched)"
    try:
        return str(ipaddress.IPv6Address(literal)), None
    except ValueError:
        return "", f"has an invalid IPv6 address [{_shown(literal)}]"


def _host(name: str) -> tuple[str, str | None]:
    host = name.lower().removesuffix(".")
    if not host:
        return "", "has no host"
    labels = host.split(".")
    if _NUMERIC_TAIL.match(labels[-1]):  # WHATWG: a host ending in a number is an IPv4 address
        return _ipv4(host)
    if len(host) > 253:
        return "", "has a host name longer than 253 characters"
    if not host.isascii() or any(label.startswith("xn--") for label in labels):
        return _idna(host)
    if not all(_LABEL.match(label) for label in labels):
        return "", f"has an invalid host name \"{_shown(name)}\" (letters, digits, - and _ between dots)"
    return host, None


def _ipv4(host: str) -> tuple[str, str | None]:
    try:
        return str(ipaddress.IPv4Address(host)), None
    except ValueError:
        pass
    meant = _whatwg_ipv4(host)
    if meant is None:
        return "", f"has an invalid IPv4 address \"{host}\""
    return "", f"has the IPv4 address \"{host}\" in octal, hex or shortened form (it means {meant}); write {meant}"


def _whatwg_ipv4(host: str) -> str | None:
    """The address a browser reads in a numeric host (octal `0`, hex `0x` parts, 1-4 of them), or None."""
    parts = host.split(".")
    if len(parts) > 4:
        return None
    numbers = []
    for part in parts:
        try:
            if part[:2].lower() == "0x":
                numbers.append(int(part[2:] or "0", 16))
            elif len(part) > 1 and part.startswith("0"):
                numbers.append(int(part, 8))
            else:
                numbers.append(int(part, 10))
        except ValueError:
            return None
    *head, last = numbers
    if any(n > 255 for n in head) or last >= 256 ** (5 - len(numbers)):
        return None
    value = last + sum(n << (8 * (3 - i)) for i, n in enumerate(head))
    return str(ipaddress.IPv4Address(value))


def _idna(host: str) -> tuple[str, str | None]:
    import idna  # httpx's own IDNA codec; imported only for the rare internationalised name

    try:
        idna.encode(idna.decode(host) if host.isascii() else host)
    except (idna.IDNAError, UnicodeError, ValueError) as exc:
        return "", f"has a host name that is not valid IDNA ({exc})"
    return host, None


def _shown(text: str, limit: int = 200) -> str:
    """Text safe to quote in a message: controls escaped, long values cut."""
    shown = text.encode("unicode_escape").decode("ascii") if not text.isprintable() else text
    return shown if len(shown) <= limit else shown[:limit] + "…"

"""Checks on a model's summary before anyone reads it."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable

#: Ticket keys look like `ENG-123`: an upper-case prefix, a dash, a number.
TICKET_KEY = re.compile(r"\b[A-Z][A-Z0-9]+-\d+\b")
#: Key-shaped tokens in any script (`ENG-12` with a Cyrillic capital IE for the E): upper-case letters that are
#: not ASCII can only be a look-alike of a key, never a real one.
_ANY_SCRIPT_KEY = re.compile(r"\b[^\W\d_][^\W_]+-\d+\b")
#: Key-shaped tokens that are standards or versions, not tickets ("UTF-8", "ISO-8601").
NOT_TICKETS = frozenset({"UTF", "ISO", "RFC", "SHA", "GPT", "HTTP", "TLS", "CVE", "COVID"})
#: Dashes a key can be typed with that NFKC leaves alone (U+2011 becomes U+2010 first).
_DASHES = re.compile("[\u02d7\u058a\u1806\u2010-\u2015\u2043\u2212\u2e3a\u2e3b\ufe58]")


def normalise_keys(text: str) -> str:
    """`text` as a reader sees it, for comparing ticket keys: NFKC (fullwidth letters and
    digits become ASCII), every Unicode dash a `-`, and format characters (zero-width spaces
    and joiners, bidi controls, soft hyphens) removed."""
    folded = unicodedata.normalize("NFKC", text)
    visible = "".join(ch for ch in folded if unicodedata.category(ch) != "Cf")
    return _DASHES.sub("-", visible)


def unknown_ticket_keys(text: str, known_keys: Iterable[str]) -> list[str]:
    """Ticket keys in `text` that are not in `known_keys`, in order of first mention.

    A summary citing a ticket that does not exist is worse than no summary: readers would
    chase it. Callers retry once with a correction and then fall back to the template.

    Both sides are compared after `normalise_keys`, so a key written with a non-breaking
    hyphen, a zero-width space or fullwidth digits is the key it looks like: caught when that
    key is unknown. A key spelled with look-alike letters from another script is always
    unknown. Keys are returned normalised.
    """
    known = {normalise_keys(key) for key in known_keys}
    normalised = normalise_keys(text)
    unknown: dict[str, None] = {}
    for match in _ANY_SCRIPT_KEY.finditer(normalised):
        key = match.group(0)
        prefix = key.split("-", 1)[0]
        if TICKET_KEY.fullmatch(key):
            if prefix in NOT_TICKETS:
                continue
        elif prefix.isascii() or not prefix.isupper():
            continue  # an ordinary hyphenated word ("Covid-19", "mid-2026"), not a key
        if key not in known:
            unknown[key] = None
    return list(unknown)

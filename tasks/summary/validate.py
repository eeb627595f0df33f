"""Checks on a model's summary before anyone reads it."""

from __future__ import annotations

import re
from collections.abc import Iterable

#: Ticket keys look like `ENG-123`: an upper-case prefix, a dash, a number.
TICKET_KEY = re.compile(r"\b[A-Z][A-Z0-9]+-\d+\b")
#: Key-shaped tokens that are standards or versions, not tickets ("UTF-8", "ISO-8601").
NOT_TICKETS = frozenset({"UTF", "ISO", "RFC", "SHA", "GPT", "HTTP", "TLS", "CVE", "COVID"})


def unknown_ticket_keys(text: str, known_keys: Iterable[str]) -> list[str]:
    """Ticket keys in `text` that are not in `known_keys`, in order of first mention.

    A summary citing a ticket that does not exist is worse than no summary: readers would
    chase it. Callers retry once with a correction and then fall back to the template.
    """
    known = set(known_keys)
    unknown: dict[str, None] = {}
    for match in TICKET_KEY.finditer(text):
        key = match.group(0)
        if key not in known and key.split("-", 1)[0] not in NOT_TICKETS:
            unknown[key] = None
    return list(unknown)

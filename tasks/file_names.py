"""File names made from untrusted text (sprint names): bounded, portable, collision-free.

A sprint name is whatever someone typed in Notion: 300 characters (longer than the 255 bytes
a file name may have on Linux and macOS), slashes, dots, emoji, or two sprints that differ
only in case or punctuation. A file name made from it keeps a short readable slug of the
name and appends a hash of something unique (the Notion id), so it is always short, always
ASCII letters, digits and dashes, and never the same for two different sprints.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata

#: Characters of the readable part; with the hash and a suffix such as `-burndown.png`, names
#: stay far below the 255-byte limit.
SLUG_CHARS = 48
HASH_CHARS = 8
_NOT_SLUG = re.compile(r"[^a-z0-9]+")


def safe_stem(name: str, unique: str) -> str:
    """`<slug of name>-<hash of unique>`, e.g. `sprint-12-q3-1a2b3c4d` for `Sprint 12 / Q3`.

    Accents are folded to ASCII (`Été` → `ete`); a name with no usable character gives the
    hash alone. `unique` must differ for things that must not share a file (a sprint's id).
    """
    ascii_name = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode()
    slug = _NOT_SLUG.sub("-", ascii_name.lower()).strip("-")[:SLUG_CHARS].rstrip("-")
    digest = hashlib.sha256(unique.encode()).hexdigest()[:HASH_CHARS]
    return f"{slug}-{digest}" if slug else digest

"""What makes Notion text and model output dangerous in a terminal or a log, and the two ways
of disarming it: drop it, or show it.

Anyone who can edit a Notion page (or steer the model) writes ticket titles, sprint names,
people names and descriptions. Text meant for a person must not be able to act on the medium
it is shown in: a terminal obeys escape sequences (hyperlinks, window titles, clearing the
screen, concealed text), bidi overrides reorder what a reader sees, zero-width characters hide
inside look-alikes, and a CR or LF in a log message starts a forged log line.

- `strip_escape_sequences` removes whole terminal sequences (an OSC 8 hyperlink's URL goes with
  its `ESC ]`, not just the `ESC`), so what is left is the text a terminal would have shown.
- `INVISIBLE` is every character that is not ordinary visible text: C0/C1 controls (except tab
  and newline), DEL, bidi embeddings/overrides/isolates and marks, zero-width and other format
  characters, Unicode tag characters, and the line/paragraph separators.
- `show_invisible` turns each of those into a visible escape (`\\x1b`, `\\n`, `\\u202e`), for
  places where the reader must see exactly what is there: log lines and confirmations.
- `install_log_escaping` applies `show_invisible` to every log record of Conductor's loggers
  and of Prefect's run loggers (which carry our flows' messages), at record creation, so no
  log call can forget it. Importing `models` installs it.
"""

from __future__ import annotations

import logging
import re

#: CSI (`ESC [` or C1 `\\x9b` … final byte), OSC (`ESC ]` or `\\x9d` … BEL/ST), DCS/SOS/PM/APC
#: strings (… ST), and two-byte escapes (`ESC c`, `ESC 7`, …). An unterminated string runs to
#: the end of the text, as a terminal would swallow it.
ESCAPE_SEQUENCE = re.compile(
    r"(?:\x1b\[|\x9b)[0-?]*[ -/]*[@-~]?"
    r"|(?:\x1b\]|\x9d)[^\x07\x1b\x9c]*(?:\x07|\x1b\\|\x9c)?"
    r"|(?:\x1b[PX^_]|[\x90\x98\x9e\x9f])[^\x1b\x9c]*(?:\x1b\\|\x9c)?"
    r"|\x1b[ -/]*[0-~]?"
)

#: Characters that are not ordinary visible text. Tab and newline are ordinary; ZWJ/ZWNJ
#: (U+200D/U+200C) are kept because emoji sequences and several scripts need them.
INVISIBLE = re.compile(
    "[\x00-\x08\x0b-\x1f\x7f-\x9f"
    "\u00ad\u061c\u180e\u200b\u200e\u200f\u2028-\u202e\u2060-\u206f\ufeff\ufff9-\ufffb"
    "\U000e0000-\U000e007f]"
)

_NAMED = {"\n": "\\n", "\r": "\\r"}

#: Loggers whose records are escaped: ours, and Prefect's flow/task run loggers.
ESCAPED_LOGGERS = ("api", "cli", "conductor", "deployments", "flows", "models", "tasks")
_RUN_LOGGERS = ("prefect.flow_runs", "prefect.task_runs")


def strip_escape_sequences(text: str) -> str:
    """`text` without terminal escape sequences (the whole sequence, parameters included)."""
    return ESCAPE_SEQUENCE.sub("", text)


def _visible(char: str) -> str:
    if char in _NAMED:
        return _NAMED[char]
    code = ord(char)
    return (
        f"\\x{code:02x}"
        if code < 0x100
        else f"\\u{code:04x}"
        if code < 0x10000
        else f"\\U{code:08x}"
    )


def show_invisible(text: str, *, keep_newlines: bool = False) -> str:
    """`text` with every `INVISIBLE` character (and, unless `keep_newlines`, every CR/LF)
    written as a visible backslash escape; ordinary text, tabs and Unicode are unchanged."""
    pattern = INVISIBLE if keep_newlines else _INVISIBLE_OR_NEWLINE
    return pattern.sub(lambda m: _visible(m.group(0)), text)


_INVISIBLE_OR_NEWLINE = re.compile(f"{INVISIBLE.pattern}|\n")


def _escaped_logger(name: str) -> bool:
    root = name.split(".", 1)[0]
    return root in ESCAPED_LOGGERS or name.startswith(_RUN_LOGGERS)


def install_log_escaping() -> None:
    """Make every record of our loggers (and Prefect's run loggers) a single visible line.

    Done with a log-record factory rather than a filter: a filter sits on one logger or handler
    and misses records of child loggers and handlers added later (Prefect adds its API handler
    per run); the factory sees every record when it is created. The message is formatted once
    (`msg % args`) and escaped; tracebacks (`exc_info`) are left to the formatter, they are ours.
    Idempotent.
    """
    current = logging.getLogRecordFactory()
    if getattr(current, "conductor_escapes", False):
        return

    def factory(*args: object, **kwargs: object) -> logging.LogRecord:
        record = current(*args, **kwargs)
        if _escaped_logger(record.name):
            try:
                message = record.getMessage()
            except Exception:  # a malformed call: leave it to logging's own error report
                return record
            record.msg, record.args = show_invisible(message), ()
        return record

    factory.conductor_escapes = True  # type: ignore[attr-defined]
    logging.setLogRecordFactory(factory)

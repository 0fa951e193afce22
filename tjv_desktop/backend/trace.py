"""The debug trace of the realtime link: a bounded ring of recent events, redacted as they are recorded.

Support engineers need to see what the link did (state changes and why, joins and errors per channel,
probe results, which table changed when) without seeing who it happened to. Every text is redacted
*when recorded*, so nothing identifying is ever held in the trace, exported or not: UUIDs, e-mail
addresses and the names and MRNs the station has learnt become short pseudonyms from a keyed hash
(``patient#3f2a9c``) with a per-process random key. The same identifier gives the same pseudonym
within one run, so lines still correlate; across runs (and outside this process) they cannot be
reversed or matched. Row contents of postgres changes are never recorded, only table, event type and
commit time.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import re
import threading
import time
from collections import deque
from collections.abc import Iterable, Mapping
from typing import Any

UUID_RE = re.compile(r"\b[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}\b")
EMAIL_RE = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
WORDISH_RE = re.compile(r"[^\W\d_]{2}")  # two letters in a row: text a name or an MRN could hide in
CACHE_SIZE = 4096


class Redactor:
    """Replaces identifiers in text with stable pseudonyms: ``kind#xxxxxx`` (6 hex digits of an
    HMAC-SHA256 keyed per process). UUIDs learnt as patient or provider ids get that kind, other UUIDs
    ``id``; e-mails ``email``; learnt names ``name`` and MRNs ``mrn``."""

    def __init__(self, key: bytes | None = None):
        self._key = key or os.urandom(32)
        self._kinds: dict[str, str] = {}  # lower-cased UUID -> kind
        self._phrases: dict[str, str] = {}  # lower-cased name or MRN -> kind
        self._phrase_re: re.Pattern | None = None
        self._letterless_phrase = False  # e.g. an all-digit MRN: then no text may skip the search
        # Channel names, tables and event types repeat on every change: redact each text once.
        self._cache: dict[str, str] = {}
        self._lock = threading.Lock()

    def pseudonym(self, kind: str, value: str) -> str:
        digest = hmac.new(self._key, value.strip().lower().encode(), hashlib.sha256).hexdigest()
        return f"{kind}#{digest[:6]}"

    def learn(self, kind: str, uuids: Iterable[str]) -> None:
        """Ids of a known kind (``patient``, ``provider``) so their pseudonyms say what they are."""
        with self._lock:
            for value in uuids:
                if value:
                    self._kinds[str(value).lower()] = kind
            self._cache.clear()

    def learn_phrases(self, kind: str, phrases: Iterable[str | None]) -> None:
        """Free-text identifiers (names, MRNs) to find wherever they appear."""
        with self._lock:
            for phrase in phrases:
                if phrase and len(phrase.strip()) >= 3:
                    self._phrases[phrase.strip().lower()] = kind
            self._letterless_phrase = any(not WORDISH_RE.search(p) for p in self._phrases)
            ordered = sorted(self._phrases, key=len, reverse=True)  # longest first: "Ann Lee" before "Ann"
            self._phrase_re = re.compile("|".join(re.escape(p) for p in ordered), re.IGNORECASE) if ordered else None
            self._cache.clear()

    def learn_patients(self, rows: Iterable[Mapping[str, Any]]) -> None:
        rows = list(rows)
        self.learn("patient", (str(r.get("id") or "") for r in rows))
        self.learn_phrases("name", (r.get("full_name") for r in rows))
        self.learn_phrases("mrn", (r.get("mrn") for r in rows))

    def text(self, value: str) -> str:
        if not value:
            return value
        cached = self._cache.get(value)
        if cached is not None:
            return cached
        redacted = self._redact(value)
        if len(self._cache) >= CACHE_SIZE:
            self._cache.clear()
        self._cache[value] = redacted
        return redacted

    def _redact(self, value: str) -> str:
        value = EMAIL_RE.sub(lambda m: self.pseudonym("email", m.group(0)), value)
        value = UUID_RE.sub(lambda m: self.pseudonym(self._kinds.get(m.group(0).lower(), "id"), m.group(0)), value)
        pattern = self._phrase_re
        if pattern is not None and (self._letterless_phrase or WORDISH_RE.search(value)):
            value = pattern.sub(lambda m: self.pseudonym(self._phrases[m.group(0).lower()], m.group(0)), value)
        return value

    def value(self, value: Any) -> Any:
        """Redacts strings, recursively inside lists and dicts; numbers and None pass."""
        if isinstance(value, str):
            return self.text(value)
        if isinstance(value, Mapping):
            return {self.text(str(k)): self.value(v) for k, v in value.items()}
        if isinstance(value, list | tuple):
            return [self.value(v) for v in value]
        if value is None or isinstance(value, bool | int | float):
            return value
        return self.text(str(value))


class DebugTrace:
    """The last ``capacity`` events, each ``{"seq", "at", "kind", ...fields}`` with fields redacted.

    ``seq`` grows by one per event, so a view can tell whether anything was added since it last looked."""

    def __init__(self, redactor: Redactor | None = None, capacity: int = 2000, clock=time.time):
        self.redactor = redactor or Redactor()
        self._events: deque[dict] = deque(maxlen=capacity)
        self._clock = clock
        self.seq = 0
        self._lock = threading.Lock()

    def record(self, kind: str, **fields: Any) -> None:
        event = {"seq": 0, "at": self._clock(), "kind": kind,
                 **{k: self.redactor.value(v) for k, v in fields.items()}}
        with self._lock:
            self.seq += 1
            event["seq"] = self.seq
            self._events.append(event)

    def events(self) -> list[dict]:
        with self._lock:
            return list(self._events)

    def __len__(self) -> int:
        return len(self._events)

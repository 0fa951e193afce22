"""The shared handoff document of a session, in the I-PASS structure, as a CRDT (pycrdt, i.e. Yrs).

I-PASS: Illness severity (stable / watcher / unstable), Patient summary, Action list (a checklist),
Situation awareness and contingency planning, Synthesis by receiver. Every member holds a replica;
edits made anywhere, in any order, merge to the same document everywhere (no keystroke lost, no
last-writer-wins on text). Local edits produce binary updates the engine broadcasts; remote updates are
validated on a scratch copy before they touch the replica, so one that would leave the document outside
its structure or over its size limits is refused and changes nothing.

Text positions: pycrdt indexes text by UTF-8 byte, Python by code point, Qt by UTF-16 unit. This module
takes whole strings and works out the minimal change itself, so callers never deal with offsets.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable

from pycrdt import Array, Doc, Map, Text, get_state

TEXT_FIELDS = ("summary", "awareness", "synthesis")
SEVERITIES = ("stable", "watcher", "unstable")
MAX_TEXT_CHARS = 20_000  # per text field: a handoff, not a chart
MAX_ACTIONS = 200
MAX_ACTION_CHARS = 500


class InvalidUpdate(ValueError):
    """A remote update that cannot be applied (undecodable, or leaves the document invalid)."""


def _utf8_offset(text: str, index: int) -> int:
    return len(text[:index].encode("utf-8"))


def minimal_change(old: str, new: str) -> tuple[int, int, str]:
    """``(start, removed, inserted)`` in code points: the one splice that turns ``old`` into ``new``."""
    limit = min(len(old), len(new))
    start = 0
    while start < limit and old[start] == new[start]:
        start += 1
    end_old, end_new = len(old), len(new)
    while end_old > start and end_new > start and old[end_old - 1] == new[end_new - 1]:
        end_old -= 1
        end_new -= 1
    return start, end_old - start, new[start:end_new]


def _varuint(data: bytes, i: int) -> tuple[int, int]:
    value = shift = 0
    while True:
        byte = data[i]
        i += 1
        value |= (byte & 0x7F) << shift
        shift += 7
        if byte < 0x80:
            return value, i


def decode_state_vector(data: bytes) -> dict[int, int]:
    """A Yjs state vector (client id -> next clock), as the v1 encoding lays it out."""
    count, i = _varuint(data, 0)
    clocks = {}
    for _ in range(count):
        client, i = _varuint(data, i)
        clocks[client], i = _varuint(data, i)
    return clocks


def _roots(doc: Doc) -> tuple[dict[str, Text], Map, Array]:
    return ({name: doc.get(name, type=Text) for name in TEXT_FIELDS}, doc.get("meta", type=Map),
            doc.get("actions", type=Array))


def _problems(doc: Doc) -> str | None:
    """Why a replica is outside the document's structure or limits, or None."""
    texts, meta, actions = _roots(doc)
    for name, text in texts.items():
        if len(str(text)) > MAX_TEXT_CHARS:
            return f"{name} is longer than {MAX_TEXT_CHARS} characters"
    severity = meta.get("severity", "")
    if severity not in ("", *SEVERITIES):
        return f"illness severity {str(severity)[:20]!r} is not one of {SEVERITIES}"
    if len(actions) > MAX_ACTIONS:
        return f"more than {MAX_ACTIONS} actions"
    for item in actions:
        if not isinstance(item, Map):
            return "an action is not a record"
        text, done, item_id = item.get("text"), item.get("done"), item.get("id")
        if not isinstance(text, str) or len(text) > MAX_ACTION_CHARS or not isinstance(done, bool) \
                or not isinstance(item_id, str):
            return "an action lacks text, done or id, or its text is too long"
    return None


class HandoffDocument:
    def __init__(self) -> None:
        self.doc = Doc()
        self._texts, self._meta, self._actions = _roots(self.doc)
        self._remote = False
        self._changed: bool | None = None  # a change to announce once the transaction is over
        self.local_update_listeners: list[Callable[[bytes], None]] = []
        self.change_listeners: list[Callable[[bool], None]] = []  # arg: the change came from elsewhere
        self.doc.observe(self._on_transaction)

    def _on_transaction(self, event) -> None:
        update = event.update
        if update in (b"", b"\x00\x00"):
            return
        if not self._remote:
            for listener in list(self.local_update_listeners):
                listener(update)
        # The replica cannot be read inside its own transaction ("Already mutably borrowed"): change
        # listeners, which read it, hear about the change once the operation is over (_announce).
        self._changed = self._remote if self._changed is None else (self._changed and self._remote)

    def _announce(self) -> None:
        changed, self._changed = self._changed, None
        if changed is not None:
            for listener in list(self.change_listeners):
                listener(changed)

    # -- reading -----------------------------------------------------------------------------------

    def text(self, name: str) -> str:
        return str(self._texts[name])

    @property
    def severity(self) -> str:
        value = self._meta.get("severity", "")
        return value if value in SEVERITIES else ""

    def actions(self) -> list[dict]:
        return [{"id": item.get("id"), "text": item.get("text"), "done": bool(item.get("done"))}
                for item in self._actions if isinstance(item, Map)]

    def snapshot(self) -> dict:
        """Everything a viewer shows; equal snapshots mean converged replicas."""
        return {"severity": self.severity, **{n: self.text(n) for n in TEXT_FIELDS}, "actions": self.actions()}

    def plain_text(self) -> str:
        """The document as readable text (``collaboration_sessions.document_text`` of plain sessions)."""
        lines = [f"Illness severity: {self.severity or '-'}", "", "Patient summary:", self.text("summary"), "",
                 "Action list:"]
        lines += [f"[{'x' if a['done'] else ' '}] {a['text']}" for a in self.actions()] or ["-"]
        lines += ["", "Situation awareness and contingency planning:", self.text("awareness"), "",
                  "Synthesis by receiver:", self.text("synthesis")]
        return "\n".join(lines)

    # -- local edits -------------------------------------------------------------------------------

    def set_text(self, name: str, new: str) -> None:
        """Makes field ``name`` read ``new`` through the smallest splice (concurrent edits elsewhere in
        the text survive)."""
        if len(new) > MAX_TEXT_CHARS:
            raise ValueError(f"{name} is limited to {MAX_TEXT_CHARS} characters")
        text = self._texts[name]
        old = str(text)
        start, removed, inserted = minimal_change(old, new)
        if not removed and not inserted:
            return
        begin = _utf8_offset(old, start)
        with self.doc.transaction():
            if removed:
                del text[begin:_utf8_offset(old, start + removed)]
            if inserted:
                text.insert(begin, inserted)
        self._announce()

    def set_severity(self, value: str) -> None:
        if value not in ("", *SEVERITIES):
            raise ValueError(f"illness severity must be one of {SEVERITIES}")
        if self._meta.get("severity", "") != value:
            self._meta["severity"] = value
            self._announce()

    def add_action(self, text: str) -> str:
        text = text.strip()
        if not text or len(text) > MAX_ACTION_CHARS:
            raise ValueError(f"an action needs 1-{MAX_ACTION_CHARS} characters")
        if len(self._actions) >= MAX_ACTIONS:
            raise ValueError(f"the action list is limited to {MAX_ACTIONS} items")
        item_id = uuid.uuid4().hex
        self._actions.append(Map({"id": item_id, "text": text, "done": False}))
        self._announce()
        return item_id

    def _find(self, item_id: str) -> int | None:
        for i, item in enumerate(self._actions):
            if isinstance(item, Map) and item.get("id") == item_id:
                return i
        return None

    def set_done(self, item_id: str, done: bool) -> bool:
        i = self._find(item_id)
        if i is None:
            return False
        if self._actions[i].get("done") != done:
            self._actions[i]["done"] = done
            self._announce()
        return True

    def remove_action(self, item_id: str) -> bool:
        i = self._find(item_id)
        if i is not None:
            del self._actions[i]
            self._announce()
        return i is not None

    # -- replication -------------------------------------------------------------------------------

    def state(self) -> bytes:
        """The whole document as one update (what a late joiner or the database needs)."""
        return self.doc.get_update()

    def state_vector(self) -> bytes:
        return self.doc.get_state()

    def missing_for(self, state_vector: bytes) -> bytes | None:
        """What a replica with ``state_vector`` lacks, or None if nothing."""
        try:
            update = self.doc.get_update(state_vector)
        except ValueError as exc:
            raise InvalidUpdate(f"undecodable state vector: {exc}") from None
        return None if update == b"\x00\x00" else update

    def apply_remote(self, update: bytes) -> None:
        """Merges a peer's (or the database's) update after checking it on a scratch copy."""
        scratch = Doc()
        try:
            scratch.apply_update(self.doc.get_update())
            scratch.apply_update(update)
        except ValueError as exc:
            raise InvalidUpdate(f"undecodable update: {exc}") from None
        problem = _problems(scratch)
        if problem:
            raise InvalidUpdate(problem)
        self._remote = True
        try:
            self.doc.apply_update(update)
        finally:
            self._remote = False
        self._announce()

    def lacks_part_of(self, update: bytes) -> bool:
        """True if the replica has not integrated all of ``update``: it arrived before something it
        builds on. Yrs keeps such updates pending but does not reliably integrate them when the missing
        piece comes later (seen with pycrdt 0.14 when updates of three writers arrive out of order), so
        the engine then asks its peers for a state-vector sync, which always closes the gap."""
        try:
            wanted = decode_state_vector(get_state(update))
        except (ValueError, IndexError):
            return False
        have = decode_state_vector(self.doc.get_state())
        return any(have.get(client, 0) < clock for client, clock in wanted.items())

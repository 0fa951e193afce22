"""Replies to patients: written offline, sent once. A reply is kept (body encrypted) and audited in one
transaction, shown at once as pending in the patient's messages, and sent in order when online; the
server's message row (``public.send_message``, idempotent on the action id) replaces the pending one."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ..domain.changes import ChangeSet
from .errors import StoreDataError, StoreError
from .instants import canonical

MAX_REPLY_BYTES = 8192  # the server's bound (public.send_message)


@dataclass(frozen=True)
class Reply:
    action_id: str
    patient_id: str
    actor: str | None
    body: str
    created_at: str
    attempts: int
    last_error: str | None
    state: str  # pending | sent | failed
    message_id: str | None


_COLUMNS = "action_id, patient_id, actor, body, created_at, attempts, last_error, state, message_id"


class RepliesMixin:
    """The reply half of LocalStore (see store.py for the shared helpers it uses)."""

    def record_reply(self, patient_id: str, body: str, action_id: str, actor: str | None) -> ChangeSet:
        """Keep the reply, audit it (ids and size only) and show it pending; an action id already kept
        changes nothing. An empty or too long body is refused before anything is written."""
        size = len(body.encode("utf-8")) if isinstance(body, str) else 0
        if not body or not body.strip() or size > MAX_REPLY_BYTES:
            raise StoreDataError(f"a reply is 1 to {MAX_REPLY_BYTES} bytes of text, got {size}")
        with self._db.atomic():
            if self._execute("SELECT 1 FROM replies WHERE action_id = ?", [action_id]).fetchone():
                return ChangeSet()
            now = canonical(self._clock())
            self._execute(
                "INSERT INTO replies (action_id, patient_id, actor, created_at, state, updated_at, body) "
                "VALUES (?, ?, ?, ?, 'pending', ?, ?)",
                [action_id, patient_id, actor, now, now, self._cipher.seal(body.encode("utf-8"), "replies", action_id)],
            )
            self._audit_row(actor, "command.reply", "patient", patient_id, {"action_id": action_id, "bytes": size})
        return ChangeSet.of("replies", inserted=[action_id])

    def reply(self, action_id: str) -> Reply | None:
        row = self._execute(f"SELECT {_COLUMNS} FROM replies WHERE action_id = ?", [action_id]).fetchone()
        return self._reply(row) if row else None

    def pending_replies(self, actor: str | None = None, patient_id: str | None = None) -> list[Reply]:
        """Replies still to send, oldest first; with ``actor``, only that user's (a replay is made by the
        user who wrote them); with ``patient_id``, only that patient's."""
        sql, params = f"SELECT {_COLUMNS} FROM replies WHERE state = 'pending'", []
        for column, value in (("actor", actor), ("patient_id", patient_id)):
            if value is not None:
                sql += f" AND {column} = ?"
                params.append(value)
        return [self._reply(r) for r in self._execute(sql + " ORDER BY created_at, rowid", params)]

    def mark_reply_sent(self, action_id: str, server_row: dict[str, Any]) -> ChangeSet:
        """The server has the message: keep its row (version rule) and mark the reply sent."""
        with self._db.atomic():
            reply = self._require_reply(action_id)
            changes = self.apply("messages", [server_row]) | ChangeSet.of("replies", updated=[action_id])
            self._execute(
                "UPDATE replies SET state = 'sent', last_error = NULL, message_id = ?, updated_at = ? "
                "WHERE action_id = ?",
                [str(server_row["id"]), canonical(self._clock()), action_id],
            )
            if reply.state != "sent":
                self._audit_row(reply.actor, "command.reply_sent", "patient", reply.patient_id,
                                {"action_id": action_id, "message_id": str(server_row["id"])})
        return changes

    def mark_reply_failed(self, action_id: str, error: str, permanent: bool) -> ChangeSet:
        """Transient: count the attempt, keep it pending. Permanent (refused): mark it failed, audited."""
        with self._db.atomic():
            reply = self._require_reply(action_id)
            if reply.state == "sent":
                return ChangeSet()
            self._execute(
                "UPDATE replies SET attempts = attempts + 1, last_error = ?, state = ?, updated_at = ? "
                "WHERE action_id = ?",
                [error, "failed" if permanent else reply.state, canonical(self._clock()), action_id],
            )
            if permanent and reply.state != "failed":
                self._audit_row(reply.actor, "command.reply_failed", "patient", reply.patient_id,
                                {"action_id": action_id, "error": error})
        return ChangeSet.of("replies", updated=[action_id])

    def replies_for_patient(self, patient_id: str) -> list[Reply]:
        """The patient's replies not yet on the server (pending or refused), oldest first."""
        return [self._reply(r) for r in self._execute(
            f"SELECT {_COLUMNS} FROM replies WHERE patient_id = ? AND state <> 'sent' ORDER BY created_at, rowid",
            [patient_id])]

    def _reply(self, row: tuple) -> Reply:
        values = list(row)
        values[3] = self._cipher.open(values[3], "replies", values[0]).decode("utf-8")
        return Reply(*values)

    def _require_reply(self, action_id: str) -> Reply:
        reply = self.reply(action_id)
        if reply is None:
            raise StoreError(f"no reply {action_id!r} in the store")
        return reply

"""User commands on alerts: optimistic local state, durable outbox, audit, all in one transaction.

An alert with a pending command shows the command's state at once (``state``) and carries the
command's id (``pending_action_id``); the encrypted payload keeps the last server version, so a
permanently refused command reverts to it, and a newer server row replaces both.

The outbox is not encrypted, by design: its rows can be salvaged from a store whose key is lost. So it
holds no text a person typed or chose: a reject reason is kept as its code (``domain.alerts.REJECT_REASONS``)
and turned back into the English text the server records when the command is read to be sent. Coding
(rather than encrypting ``args``) keeps a salvaged command sendable without the key. Any other reason,
or any other argument, is refused before anything is written.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from ..domain.alerts import REJECT_REASONS, optimistic_state
from ..domain.changes import ChangeSet
from .errors import StoreDataError, StoreError
from .instants import canonical
from .schema import COMMAND_KINDS, TABLES


@dataclass(frozen=True)
class Command:
    """One outbox row. ``args`` holds at most ``{"reason": <one of REJECT_REASONS' texts>}``, kept coded."""

    action_id: str
    kind: str
    alert_id: str
    actor: str | None
    args: dict | None
    created_at: str
    attempts: int
    last_error: str | None
    state: str  # pending | sent | failed


_COMMAND_COLUMNS = "action_id, kind, alert_id, actor, args, created_at, attempts, last_error, state"


_CODES = {text: code for code, text in REJECT_REASONS.items()}


def _coded_args(args: Mapping[str, Any] | None) -> str | None:
    """``args`` as the outbox keeps them: the reason's code, or nothing."""
    if not args:
        return None
    if set(args) != {"reason"} or args["reason"] not in _CODES:
        raise StoreDataError(f"command arguments must be a preset reject reason ({', '.join(REJECT_REASONS.values())}); "
                             f"got {sorted(args)!r}")  # the keys only: the values may be what must not be kept
    return json.dumps({"reason_code": _CODES[args["reason"]]})


def _args(stored: str | None) -> dict | None:
    """The arguments to send. An unknown code (from a newer version) is sent as it is: still no free text."""
    if not stored:
        return None
    args = json.loads(stored)
    if "reason_code" in args:
        code = args.pop("reason_code")
        args["reason"] = REJECT_REASONS.get(code, code)
    return args


def _command(row: tuple) -> Command:
    values = list(row)
    values[4] = _args(values[4])
    return Command(*values)


class CommandsMixin:
    """The command half of LocalStore (see store.py for the shared helpers it uses)."""

    def record_command(
        self,
        kind: str,
        alert_id: str,
        action_id: str,
        actor: str | None,
        args: Mapping[str, Any] | None = None,
    ) -> ChangeSet:
        """Show the command on the alert, queue it in the outbox and audit it, atomically.

        Recording an action_id the outbox already holds (pending, sent or failed) changes nothing.
        """
        if kind not in COMMAND_KINDS:
            raise StoreDataError(f"unknown command kind {kind!r}; expected one of {COMMAND_KINDS}")
        stored_args = _coded_args(args)
        with self._db.atomic():
            if self._execute("SELECT 1 FROM outbox WHERE action_id = ?", [action_id]).fetchone():
                return ChangeSet()
            now = canonical(self._clock())
            self._execute(
                "INSERT INTO outbox (action_id, kind, alert_id, actor, args, created_at, attempts, state, "
                "updated_at) VALUES (?, ?, ?, ?, ?, ?, 0, 'pending', ?)",
                [action_id, kind, alert_id, actor, stored_args, now, now],
            )
            previous = self._execute("SELECT state FROM alerts WHERE id = ?", [alert_id]).fetchone()
            changed = self._execute(
                "UPDATE alerts SET state = ?, pending_action_id = ? WHERE id = ?",
                [optimistic_state(kind).value, action_id, alert_id],
            ).rowcount
            self._audit_row(
                actor,
                f"command.{kind}",
                "alert",
                alert_id,
                {
                    "action_id": action_id,
                    "args": dict(args or {}),
                    "previous_state": previous and previous[0],
                },
            )
        changes = ChangeSet.of("outbox", inserted=[action_id])
        return changes | ChangeSet.of("alerts", updated=[alert_id] if changed else [])

    def command(self, action_id: str) -> Command | None:
        row = self._execute(
            f"SELECT {_COMMAND_COLUMNS} FROM outbox WHERE action_id = ?", [action_id]
        ).fetchone()
        return _command(row) if row else None

    def pending_commands(self, actor: str | None = None) -> list[Command]:
        """Commands still to send, oldest first; with ``actor``, only that user's (a replay must be
        made by the user who gave the command)."""
        sql = f"SELECT {_COMMAND_COLUMNS} FROM outbox WHERE state = 'pending'"
        params: list[Any] = []
        if actor is not None:
            sql += " AND actor = ?"
            params.append(actor)
        return [_command(r) for r in self._execute(sql + " ORDER BY created_at, rowid", params)]

    def mark_command_sent(self, action_id: str, server_row: Mapping[str, Any] | None = None) -> ChangeSet:
        """The server applied the command: apply its reply row (version rule) and mark it sent.

        With a reply row, the alert's optimistic state gives way to the newest server version.
        """
        with self._db.atomic():
            command = self._require(action_id)
            changes = ChangeSet.of("outbox", updated=[action_id])
            if server_row is not None:
                changes = changes | self.apply("alerts", [server_row])
            self._execute(
                "UPDATE outbox SET state = 'sent', last_error = NULL, updated_at = ? WHERE action_id = ?",
                [canonical(self._clock()), action_id],
            )
            if command.state != "sent":
                self._audit_row(
                    command.actor, "command.sent", "alert", command.alert_id, {"action_id": action_id}
                )
            if server_row is not None:
                changes = changes | self._restore_alert(command.alert_id, action_id)
        return changes

    def mark_command_failed(self, action_id: str, error: str, permanent: bool) -> ChangeSet:
        """A send failed. Transient: count the attempt, keep it pending. Permanent: mark it failed and
        revert the alert to its last server version. A sent command is left as it is."""
        with self._db.atomic():
            command = self._require(action_id)
            if command.state == "sent":
                return ChangeSet()
            self._execute(
                "UPDATE outbox SET attempts = attempts + 1, last_error = ?, state = ?, updated_at = ? "
                "WHERE action_id = ?",
                [error, "failed" if permanent else command.state, canonical(self._clock()), action_id],
            )
            changes = ChangeSet.of("outbox", updated=[action_id])
            if permanent and command.state != "failed":
                self._audit_row(
                    command.actor, "command.failed", "alert", command.alert_id,
                    {"action_id": action_id, "error": error},
                )  # fmt: skip
                changes = changes | self._restore_alert(command.alert_id, action_id)
        return changes

    def _require(self, action_id: str) -> Command:
        command = self.command(action_id)
        if command is None:
            raise StoreError(f"no command {action_id!r} in the outbox")
        return command

    def _restore_alert(self, alert_id: str, action_id: str) -> ChangeSet:
        """Replace the optimistic state of ``action_id`` by the stored server version."""
        row = self._execute(
            "SELECT payload FROM alerts WHERE id = ? AND pending_action_id = ?", [alert_id, action_id]
        ).fetchone()
        if row is None:
            return ChangeSet()
        spec = TABLES["alerts"]
        server = self._decrypt("alerts", alert_id, row[0])
        names = [c.name for c in spec.columns]
        self._execute(
            f"UPDATE alerts SET {', '.join(f'{n} = ?' for n in names)}, pending_action_id = NULL WHERE id = ?",
            [*self._clear_values(spec, server), alert_id],
        )
        return ChangeSet.of("alerts", updated=[alert_id])

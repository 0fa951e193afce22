"""The envelope every session broadcast travels in, sealed with AES-GCM when the tenant has a session key.

Plain (the tenant has no key)::

    {"v": 1, "from": <sender>, "seq": <n>, "s": <session id>, "t": <ms>, "body": {...}}

Sealed::

    {"v": 1, "from": <sender>, "seq": <n>, "kid": <key id>, "n": <b64 nonce>, "ct": <b64 ciphertext+tag>}

A fresh 96-bit random nonce per message. The associated data is ``[topic, event, kid, sender, seq]``, so
a sealed message replayed on another topic (another session), relabelled as another event, given another
sequence number or another sender does not decrypt. The plaintext inside is ``{"s", "t", "body"}``:
session id and send time travel encrypted. ``sender`` is a random id per session join of one app (not a
person); ``seq`` counts that sender's messages, so ``replay.ReplayGuard`` can refuse a message seen twice.

A workstation that holds a key for the tenant refuses plain messages (no downgrade); one without the key
cannot open sealed ones: both are dropped and counted, never shown.
"""

from __future__ import annotations

import base64
import binascii
import json
import os
import re
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from .keys import SessionKeyRing

VERSION = 1
NONCE_BYTES = 12
MAX_SEQ = 2**53  # JSON numbers stay exact below this
_SENDER = re.compile(r"^[A-Za-z0-9_-]{8,64}$")
_KID = re.compile(r"^[\x21-\x7e]{1,64}$")


class Rejected(Exception):
    """A message that must be dropped. ``kind`` is the counter it is counted under."""

    def __init__(self, kind: str, detail: str):
        super().__init__(f"{kind}: {detail}")
        self.kind = kind
        self.detail = detail


@dataclass(frozen=True)
class Opened:
    sender: str
    seq: int
    sent_ms: int
    body: dict
    sealed: bool


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def _unb64(value: Any, what: str) -> bytes:
    if not isinstance(value, str):
        raise Rejected("malformed", f"{what} is not a string")
    try:
        return base64.b64decode(value, validate=True)
    except (binascii.Error, ValueError):
        raise Rejected("malformed", f"{what} is not base64") from None


def _aad(*parts: Any) -> bytes:
    return json.dumps(parts, separators=(",", ":"), ensure_ascii=True).encode()


class Envelope:
    """Seals outgoing and opens incoming messages of one session topic for one sender."""

    def __init__(self, session_id: str, topic: str, ring: SessionKeyRing | None, sender: str, *,
                 clock: Callable[[], float] = time.time):
        if not _SENDER.match(sender):
            raise ValueError("sender ids are 8-64 characters of [A-Za-z0-9_-]")
        self.session_id, self.topic, self.ring, self.sender = session_id, topic, ring, sender
        self.clock = clock
        self.seq = 0
        self._aead = {kid: AESGCM(key) for kid, key in ring.keys.items()} if ring else {}

    @property
    def encrypted(self) -> bool:
        return self.ring is not None

    @property
    def key_id(self) -> str | None:
        return self.ring.current if self.ring else None

    # -- raw sealing, shared by messages, presence fields and the saved document --------------------

    def seal_value(self, aad: bytes, value: Any) -> dict:
        assert self.ring is not None
        nonce = os.urandom(NONCE_BYTES)
        plaintext = json.dumps(value, separators=(",", ":")).encode()
        ct = self._aead[self.ring.current].encrypt(nonce, plaintext, aad)
        return {"kid": self.ring.current, "n": _b64(nonce), "ct": _b64(ct)}

    def open_value(self, sealed: dict, aad_for: Callable[[str], bytes]) -> Any:
        kid = sealed.get("kid")
        if not isinstance(kid, str) or not _KID.match(kid):
            raise Rejected("malformed", "key id missing or invalid")
        aead = self._aead.get(kid)
        if aead is None:
            raise Rejected("undecryptable", f"no key {kid!r} on this workstation")
        nonce = _unb64(sealed.get("n"), "nonce")
        if len(nonce) != NONCE_BYTES:
            raise Rejected("malformed", "nonce length")
        ct = _unb64(sealed.get("ct"), "ciphertext")
        try:
            plaintext = aead.decrypt(nonce, ct, aad_for(kid))
        except InvalidTag:
            raise Rejected("undecryptable", "authentication failed (wrong key, topic, event or tampered)") from None
        try:
            return json.loads(plaintext)
        except (UnicodeDecodeError, json.JSONDecodeError):
            raise Rejected("malformed", "sealed content is not JSON") from None

    # -- broadcast messages ------------------------------------------------------------------------

    def seal(self, event: str, body: dict) -> dict:
        """The next message of this sender (its sequence number advances)."""
        self.seq += 1
        now_ms = int(self.clock() * 1000)
        head = {"v": VERSION, "from": self.sender, "seq": self.seq}
        if self.ring is None:
            return {**head, "s": self.session_id, "t": now_ms, "body": body}
        sealed = self.seal_value(_aad(self.topic, event, self.ring.current, self.sender, self.seq),
                                 {"s": self.session_id, "t": now_ms, "body": body})
        return {**head, **sealed}

    def open(self, event: str, payload: Any) -> Opened:
        """Checks shape, key and session; raises ``Rejected``. Replay is ``ReplayGuard``'s business."""
        if not isinstance(payload, dict) or payload.get("v") != VERSION:
            raise Rejected("malformed", "not a version-1 envelope")
        sender, seq = payload.get("from"), payload.get("seq")
        if not isinstance(sender, str) or not _SENDER.match(sender):
            raise Rejected("malformed", "sender id missing or invalid")
        if isinstance(seq, bool) or not isinstance(seq, int) or not 0 < seq < MAX_SEQ:
            raise Rejected("malformed", "sequence number missing or invalid")
        sealed = "ct" in payload
        if sealed:
            if self.ring is None:
                raise Rejected("undecryptable", "the session is encrypted and this workstation has no session key")
            inner = self.open_value(payload, lambda kid: _aad(self.topic, event, kid, sender, seq))
            if not isinstance(inner, dict):
                raise Rejected("malformed", "sealed content is not an object")
        else:
            if self.ring is not None:
                raise Rejected("plaintext", "a plain message in a session this workstation encrypts")
            inner = payload
        session, sent_ms, body = inner.get("s"), inner.get("t"), inner.get("body")
        if session != self.session_id:
            raise Rejected("wrong-session", f"message for session {str(session)[:40]!r}")
        if isinstance(sent_ms, bool) or not isinstance(sent_ms, int) or not isinstance(body, dict):
            raise Rejected("malformed", "time or body missing")
        return Opened(sender, seq, sent_ms, body, sealed)

    # -- presence fields and the saved document ----------------------------------------------------

    def seal_field(self, name: str, value: Any) -> Any:
        """A presence field as this sender tracks it: sealed when the session is encrypted."""
        if self.ring is None:
            return value
        return self.seal_value(_aad(self.topic, "presence", self.ring.current, self.sender, name),
                               {"s": self.session_id, "v": value})

    def open_field(self, name: str, sender: str, value: Any) -> Any:
        if self.ring is None:
            if isinstance(value, dict):
                raise Rejected("undecryptable", "a sealed presence field and no session key")
            return value
        if not isinstance(value, dict):
            raise Rejected("plaintext", "a plain presence field in an encrypted session")
        inner = self.open_value(value, lambda kid: _aad(self.topic, "presence", kid, sender, name))
        if not isinstance(inner, dict) or inner.get("s") != self.session_id:
            raise Rejected("wrong-session", "presence field of another session")
        return inner.get("v")

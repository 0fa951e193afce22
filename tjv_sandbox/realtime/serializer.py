"""Realtime frame formats: Phoenix V1 (JSON objects), Supabase V2 (JSON arrays) and V2 binary broadcasts.

V1 server frames carry exactly ``topic, event, payload, ref`` (never ``join_ref``). V2 text frames are
``[join_ref, ref, topic, event, payload]``. Binary frames: kind 3 (user broadcast push, client to server)
is parsed; kind 4 (user broadcast, server to client) is the only binary frame ever sent, because
realtime-js decodes no other kind.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from .. import jsonbound

V1 = 1
V2 = 2
VSNS = {"1.0.0": V1, "2.0.0": V2}

BINARY_ENCODING = 0
JSON_ENCODING = 1
USER_BROADCAST_PUSH = 3
USER_BROADCAST = 4

_REQUIRED_V1_KEYS = ("topic", "event", "payload", "ref")


class FrameError(ValueError):
    """A frame that is not a valid message for the socket's serializer; it is dropped."""


@dataclass(slots=True)
class Message:
    topic: str
    event: str
    payload: Any
    ref: str | None = None
    join_ref: str | None = None


@dataclass(frozen=True, slots=True)
class UserBroadcast:
    """A broadcast whose user payload stays raw bytes: kind-3 pushes and the single-message REST API."""

    event: str
    data: bytes
    encoding: int = JSON_ENCODING
    metadata: dict | None = None

    @property
    def size(self) -> int:
        return len(self.data)

    def json_payload(self) -> dict:
        """The payload V1 sockets receive; only valid for JSON-encoded broadcasts."""
        out = {"type": "broadcast", "event": self.event, "payload": json.loads(self.data)}
        if self.metadata:
            out["meta"] = self.metadata
        return out


def dumps(value: Any) -> str:
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False, default=str)


def _opt_str(value: Any, name: str) -> str | None:
    if value is None or isinstance(value, str):
        return value
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    raise FrameError(f"{name} must be a string or null")


def decode(frame: str | bytes, vsn: int) -> Message:
    """One received websocket frame as a Message; FrameError if it must be dropped."""
    if isinstance(frame, (bytes, bytearray)):
        if vsn != V2:
            raise FrameError("binary frame on a 1.0.0 socket")
        return _decode_binary(bytes(frame))
    try:
        data = jsonbound.loads(frame)
    except ValueError as exc:  # not JSON, or nested deeper than jsonbound allows
        raise FrameError(f"not JSON: {exc}") from exc
    if vsn == V1:
        if not isinstance(data, dict):
            raise FrameError("a 1.0.0 frame must be a JSON object")
        missing = [k for k in _REQUIRED_V1_KEYS if k not in data]
        if missing:
            raise FrameError(f"missing keys {missing}")
        topic, event, payload, ref, join_ref = (data["topic"], data["event"], data["payload"], data["ref"],
                                                data.get("join_ref"))
    else:
        if not isinstance(data, list) or len(data) != 5:
            raise FrameError("a 2.0.0 text frame must be a JSON array of 5 elements")
        join_ref, ref, topic, event, payload = data
    if not isinstance(topic, str) or not isinstance(event, str):
        raise FrameError("topic and event must be strings")
    return Message(topic, event, payload, _opt_str(ref, "ref"), _opt_str(join_ref, "join_ref"))


def _decode_binary(buf: bytes) -> Message:
    if not buf or buf[0] != USER_BROADCAST_PUSH:
        raise FrameError(f"unsupported binary frame kind {buf[0] if buf else None}")
    if len(buf) < 7:
        raise FrameError("truncated user broadcast push header")
    join_ref_len, ref_len, topic_len, event_len, meta_len, encoding = buf[1:7]
    if encoding not in (BINARY_ENCODING, JSON_ENCODING):
        raise FrameError(f"unknown payload encoding {encoding}")
    fields = []
    offset = 7
    for length in (join_ref_len, ref_len, topic_len, event_len, meta_len):
        if offset + length > len(buf):
            raise FrameError("truncated user broadcast push")
        try:
            fields.append(buf[offset:offset + length].decode())
        except UnicodeDecodeError as exc:
            raise FrameError("header field is not UTF-8") from exc
        offset += length
    join_ref, ref, topic, event, meta = fields
    metadata = None
    if meta:
        try:
            metadata = jsonbound.loads(meta)
        except ValueError as exc:
            raise FrameError("metadata is not JSON") from exc
        if not isinstance(metadata, dict):
            raise FrameError("metadata must be a JSON object")
    data = buf[offset:]
    if encoding == JSON_ENCODING:
        try:
            jsonbound.loads(data)
        except ValueError as exc:
            raise FrameError("JSON-encoded user payload is not JSON") from exc
    return Message(topic, "broadcast", UserBroadcast(event, data, encoding, metadata), ref or None, join_ref or None)


def encode(msg: Message, vsn: int) -> str:
    if vsn == V1:
        return dumps({"topic": msg.topic, "event": msg.event, "payload": msg.payload, "ref": msg.ref})
    return dumps([msg.join_ref, msg.ref, msg.topic, msg.event, msg.payload])


def encode_user_broadcast(topic: str, ub: UserBroadcast, vsn: int) -> str | bytes | None:
    """The frame a subscriber receives for a UserBroadcast; None when it cannot receive it at all
    (binary payloads are not delivered to 1.0.0 sockets, as the real server does)."""
    if vsn == V2:
        topic_b, event_b = topic.encode(), ub.event.encode()
        meta_b = dumps(ub.metadata).encode() if ub.metadata else b""
        if max(len(topic_b), len(event_b), len(meta_b)) <= 255:
            header = bytes([USER_BROADCAST, len(topic_b), len(event_b), len(meta_b), ub.encoding])
            return header + topic_b + event_b + meta_b + ub.data
    if ub.encoding != JSON_ENCODING:
        return None
    return encode(Message(topic, "broadcast", ub.json_payload()), vsn)

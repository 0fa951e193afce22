"""Encryption at rest: AES-256-GCM per value.

A stored value is ``FORMAT (1 byte) | key id (1 byte) | nonce (12 bytes) | ciphertext + tag``.
The associated data binds the two header bytes, the table name and the row's primary key, so a value
copied into another row, another table or relabelled with another key id fails to decrypt.
The key id lets keys rotate: a Cipher holds the current key and any retired keys still needed to read
old values, and always encrypts with the current one.
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from datetime import date, datetime
from typing import Any
from uuid import UUID

import orjson
from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from .errors import StoreDataError, StoreKeyError

FORMAT = 1
KEY_BYTES = 32
NONCE_BYTES = 12
_HEADER = 2


def check_key(key: bytes, key_id: int) -> None:
    if not isinstance(key, (bytes, bytearray)) or len(key) != KEY_BYTES:
        raise ValueError(f"the store key must be {KEY_BYTES} bytes (AES-256)")
    if not 0 <= key_id <= 255:
        raise ValueError("the key id must fit in one byte (0-255)")


class Cipher:
    """Encrypts with the current key; decrypts with whichever known key a value names."""

    def __init__(self, key: bytes, key_id: int = 1, retired: Mapping[int, bytes] | None = None):
        check_key(key, key_id)
        self.key_id = key_id
        self._aead: dict[int, AESGCM] = {}
        for old_id, old_key in (retired or {}).items():
            check_key(old_key, old_id)
            self._aead[old_id] = AESGCM(bytes(old_key))
        self._aead[key_id] = AESGCM(bytes(key))
        self._header = bytes((FORMAT, key_id))
        self._encrypt = self._aead[key_id].encrypt

    @staticmethod
    def key_id_of(blob: bytes) -> int | None:
        """The key id a stored value was written with, or None if it is not one of ours."""
        if not isinstance(blob, bytes) or len(blob) < _HEADER + NONCE_BYTES or blob[0] != FORMAT:
            return None
        return blob[1]

    def seal(self, data: bytes, table: str, pk: Any) -> bytes:
        nonce = os.urandom(NONCE_BYTES)
        ad = self._header + _binding(table, pk)
        return self._header + nonce + self._encrypt(nonce, data, ad)

    def open(self, blob: bytes, table: str, pk: Any) -> bytes:
        key_id = self.key_id_of(blob)
        aead = self._aead.get(key_id) if key_id is not None else None
        if aead is None:
            raise StoreKeyError(
                f"{table} {pk!r}: written with key id {key_id}, which this store does not hold"
            )
        nonce = blob[_HEADER : _HEADER + NONCE_BYTES]
        try:
            return aead.decrypt(nonce, blob[_HEADER + NONCE_BYTES :], blob[:_HEADER] + _binding(table, pk))
        except InvalidTag:
            raise StoreKeyError(f"{table} {pk!r}: does not decrypt with key id {key_id}") from None

    def seal_json(self, value: Any, table: str, pk: Any) -> bytes:
        return self.seal(encode_json(value), table, pk)

    def open_json(self, blob: bytes, table: str, pk: Any) -> Any:
        return decode_json(self.open(blob, table, pk))


def encode_json(value: Any) -> bytes:
    """UTF-8 JSON of a row. orjson, as the stdlib encoder would write it (dates as ISO 8601, UUIDs as
    text), else the stdlib encoder for what orjson refuses (integers beyond 64 bits); a value JSON
    cannot hold is a StoreDataError."""
    try:
        return orjson.dumps(value, default=_json_default)
    except orjson.JSONEncodeError as exc:
        if isinstance(exc.__cause__, StoreDataError):
            raise exc.__cause__ from None
        return _ENCODER.encode(value).encode()


def decode_json(data: bytes) -> Any:
    try:
        return orjson.loads(data)
    except orjson.JSONDecodeError:
        return json.loads(data)  # what orjson does not read (integers beyond 64 bits), or the reason


def _json_default(value: Any) -> str:
    if isinstance(value, (datetime, date)):
        return value.isoformat()
    if isinstance(value, UUID):
        return str(value)
    raise StoreDataError(f"cannot store a value of type {type(value).__name__}")


_ENCODER = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"), default=_json_default)


def _binding(table: str, pk: Any) -> bytes:
    return f"tjv-store\x00{table}\x00{pk}".encode()

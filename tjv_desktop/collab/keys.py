"""Session keys for end-to-end encryption of collaboration traffic.

Where they live: they are provisioned to workstations out of band by hospital IT (the OS keyring entry
``session-keys@<server>`` or a key file named by machine policy), never stored in the database. So neither
Realtime nor PostgreSQL ever holds what it would need to read a session. The document that provisions
them is JSON::

    {"tenants": {"<tenant uuid>": {"current": "2026-11", "keys": {"2026-11": "<base64 of 32 bytes>",
                                                                "2026-05": "<base64 of 32 bytes>"}}}}

``current`` seals new messages; every listed key opens messages and saved documents that name it, so a
key can rotate while sessions written under the old one stay readable until IT retires it.
"""

from __future__ import annotations

import base64
import binascii
import json
import stat
from dataclasses import dataclass, field
from pathlib import Path

KEY_BYTES = 32
MAX_KEY_ID = 64


class KeyError_(ValueError):  # noqa: N801 - "KeyError" is a builtin with another meaning
    """The key document is unusable; the message says why (never the key material)."""


@dataclass(frozen=True)
class SessionKeyRing:
    """The keys of one tenant: ``current`` seals, all of ``keys`` open."""

    current: str
    keys: dict[str, bytes] = field(repr=False)

    def __post_init__(self) -> None:
        if self.current not in self.keys:
            raise KeyError_(f"the current key id {self.current!r} is not among the keys")
        for kid, key in self.keys.items():
            if not kid or len(kid) > MAX_KEY_ID:
                raise KeyError_(f"key id {kid!r} must be 1-{MAX_KEY_ID} characters")
            if len(key) != KEY_BYTES:
                raise KeyError_(f"key {kid!r} must be {KEY_BYTES} bytes (AES-256), not {len(key)}")

    def key(self, kid: str) -> bytes | None:
        return self.keys.get(kid)


def parse_key_document(text: str, tenant_id: str) -> SessionKeyRing | None:
    """The tenant's key ring from a provisioning document; None when the tenant has no session key."""
    try:
        doc = json.loads(text)
    except json.JSONDecodeError as exc:
        raise KeyError_(f"the session key document is not valid JSON ({exc.msg})") from None
    tenants = doc.get("tenants") if isinstance(doc, dict) else None
    if not isinstance(tenants, dict):
        raise KeyError_('the session key document must be an object with "tenants"')
    entry = tenants.get(tenant_id)
    if entry is None:
        return None
    if not isinstance(entry, dict) or not isinstance(entry.get("keys"), dict) or not isinstance(entry.get("current"), str):
        raise KeyError_(f'tenant {tenant_id}: needs "current" (a key id) and "keys" (id -> base64)')
    keys: dict[str, bytes] = {}
    for kid, b64 in entry["keys"].items():
        try:
            keys[kid] = base64.b64decode(b64, validate=True)
        except (binascii.Error, TypeError):
            raise KeyError_(f"tenant {tenant_id}: key {kid!r} is not base64") from None
    return SessionKeyRing(entry["current"], keys)


def load_key_file(path: Path, tenant_id: str) -> SessionKeyRing | None:
    """Reads a provisioned key file, refusing one that other users of the machine can read."""
    mode = path.stat().st_mode
    if mode & (stat.S_IROTH | stat.S_IWOTH):
        raise KeyError_(f"{path} is readable or writable by every user of this machine; "
                        "session keys must be readable by their users only (e.g. mode 0640)")
    return parse_key_document(path.read_text(encoding="utf-8"), tenant_id)

"""The sandbox project's JWT secret and API keys, kept in its data directory so tokens survive restarts."""

from __future__ import annotations

import hmac
import json
import os
import secrets
import time
from dataclasses import dataclass
from pathlib import Path

import jwt

ALGORITHM = "HS256"
_TEN_YEARS = 10 * 365 * 24 * 3600


class TokenError(Exception):
    """A JWT was rejected. ``reason`` is one of: missing, malformed, signature, expired, claims."""

    def __init__(self, reason: str, message: str):
        super().__init__(message)
        self.reason = reason


def write_secret(path: Path, text: str) -> None:
    """Creates ``path`` readable by its owner only from the first byte (never world-readable, even
    for a moment); an existing file is refused rather than overwritten."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as f:
        f.write(text)


def same_secret(given: str | None, expected: str) -> bool:
    """Constant-time comparison of a presented key with the project's."""
    return given is not None and hmac.compare_digest(given.encode(), expected.encode())


@dataclass(frozen=True)
class ProjectKeys:
    jwt_secret: str
    anon_key: str
    service_role_key: str

    @classmethod
    def load_or_create(cls, path: Path) -> ProjectKeys:
        if path.exists():
            data = json.loads(path.read_text())
            return cls(data["jwt_secret"], data["anon_key"], data["service_role_key"])
        secret = secrets.token_urlsafe(48)
        now = int(time.time())

        def api_key(role: str) -> str:
            return jwt.encode({"iss": "supabase", "role": role, "iat": now, "exp": now + _TEN_YEARS},
                              secret, algorithm=ALGORITHM)

        keys = cls(secret, api_key("anon"), api_key("service_role"))
        write_secret(path, json.dumps(keys.__dict__, indent=2))
        return keys

    def sign(self, claims: dict) -> str:
        return jwt.encode(claims, self.jwt_secret, algorithm=ALGORITHM)

    def verify(self, token: str | None, *, require: tuple[str, ...] = ("role", "exp")) -> dict:
        """Claims of a valid, unexpired token signed with this project's secret; TokenError otherwise."""
        if not token:
            raise TokenError("missing", "API key is missing")
        try:
            claims = jwt.decode(token, self.jwt_secret, algorithms=[ALGORITHM],
                                options={"verify_aud": False, "require": list(require)})
        except jwt.ExpiredSignatureError as exc:
            raise TokenError("expired", "Token has expired") from exc
        except jwt.InvalidSignatureError as exc:
            raise TokenError("signature", "Failed to validate JWT signature") from exc
        except jwt.MissingRequiredClaimError as exc:
            raise TokenError("claims", "Fields `role` and `exp` are required in JWT") from exc
        except jwt.DecodeError as exc:
            raise TokenError("malformed", "The token provided is not a valid JWT") from exc
        except jwt.InvalidTokenError as exc:
            raise TokenError("claims", f"Invalid JWT: {exc}") from exc
        return claims

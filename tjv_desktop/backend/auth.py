"""Sign-in with the official supabase client, a keyring-held rotating refresh token, supervised refresh.

The supabase client's own refresh timer is off: it emits no event when the server rejects a refresh
token, so a station could run on a dead token without knowing. This module refreshes itself ahead of
expiry, stores every rotated refresh token in the keyring, retries network failures forever with capped
backoff, and reports ``signed_out`` (clearing the keyring) the moment the server refuses the token.

Unlocking the idle lock checks the password with the server. So that a workstation that lost its
network can still be unlocked by the person who is signed in, the last password the server accepted
in this process is remembered as a salted scrypt hash, in memory only (never written anywhere), and
used when the server cannot be reached.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import hashlib
import hmac
import json
import logging
import random
import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass
from enum import Enum

import httpx
from supabase import AsyncClient, AsyncClientOptions, acreate_client
from supabase_auth import AsyncGoTrueClient
from supabase_auth.errors import AuthApiError, AuthError, AuthRetryableError
from supabase_auth.types import Session

from ..tasks import cancel_and_wait
from .vault import Vault

log = logging.getLogger(__name__)


class AuthState(Enum):
    SIGNED_OUT = "signed_out"
    SIGNED_IN = "signed_in"
    REFRESH_PENDING = "refresh_pending"  # signed in, but the last refresh could not reach the server


@dataclass(frozen=True)
class Identity:
    user_id: str
    email: str | None
    role: str | None  # 'clinician' | 'coordinator' | 'admin' | 'patient'
    tenant_id: str | None
    provider_id: str | None


@dataclass(frozen=True)
class AuthEvent:
    state: AuthState
    identity: Identity | None
    reason: str = ""


class SignInError(Exception):
    """Sign-in failed; ``str(exc)`` is a sentence for the log (English). ``kind`` says why, so a user
    interface can say it in the user's language: "credentials" (wrong e-mail or password),
    "unreachable" (no answer from the server), "refused" (the server said no; its words in ``str``)."""

    def __init__(self, message: str, kind: str = "refused"):
        super().__init__(message)
        self.kind = kind


def identity_from_token(access_token: str) -> Identity:
    """Reads the claims of our own session's JWT (already verified by the server that issued it)."""
    payload = access_token.split(".")[1]
    claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    meta = claims.get("app_metadata") or {}
    return Identity(claims["sub"], claims.get("email"), meta.get("tjv_role"), meta.get("tenant_id"),
                    meta.get("provider_id"))


class AuthSession:
    """One signed-in user of one server. Listeners get an AuthEvent on every state change."""

    def __init__(self, client: AsyncClient, http: httpx.AsyncClient, vault: Vault, *,
                 margin: float = 60.0, max_backoff: float = 30.0):
        self.client = client
        self._http = http
        self.vault = vault
        self.margin = margin
        self.max_backoff = max_backoff
        self.state = AuthState.SIGNED_OUT
        self.identity: Identity | None = None
        self._session: Session | None = None
        self._listeners: list[Callable[[AuthEvent], None]] = []
        self._token_listeners: list[Callable[[str], None]] = []
        self._refresher: asyncio.Task | None = None
        self._verifier: tuple[bytes, bytes] | None = None  # (salt, scrypt) of the last accepted password
        self.last_check_offline = False
        client.auth.on_auth_state_change(self._on_client_event)

    @classmethod
    async def create(cls, url: str, anon_key: str, vault: Vault, *, timeout: float = 10.0,
                     realtime: dict | None = None, **kwargs) -> AuthSession:
        http = httpx.AsyncClient(timeout=timeout)
        options = AsyncClientOptions(httpx_client=http, auto_refresh_token=False, persist_session=False,
                                     realtime=realtime or {})
        client = await acreate_client(url, anon_key, options=options)
        return cls(client, http, vault, **kwargs)

    def add_listener(self, listener: Callable[[AuthEvent], None]) -> None:
        self._listeners.append(listener)

    def add_token_listener(self, listener: Callable[[str], None]) -> None:
        """``listener(access_token)`` after every refresh (e.g. the realtime link's ``token_changed``)."""
        self._token_listeners.append(listener)

    @property
    def access_token(self) -> str | None:
        return self._session.access_token if self._session else None

    @property
    def expires_at(self) -> float | None:
        return float(self._session.expires_at) if self._session and self._session.expires_at else None

    def _emit(self, state: AuthState, reason: str = "") -> None:
        changed = state != self.state
        self.state = state
        if changed:
            log.info("auth state %s%s", state.value, f" ({reason})" if reason else "")
            event = AuthEvent(state, self.identity, reason)
            for listener in list(self._listeners):
                listener(event)

    def _on_client_event(self, event: str, session: Session | None) -> None:
        if session is not None and event in ("SIGNED_IN", "TOKEN_REFRESHED"):
            self._session = session
            self.identity = identity_from_token(session.access_token)
            if not self.vault.save_refresh_token(session.refresh_token) and self.vault.secure:
                log.warning("could not store the rotated refresh token; the next start will ask for a password")
            if event == "TOKEN_REFRESHED":
                for listener in list(self._token_listeners):
                    listener(session.access_token)

    async def sign_in(self, email: str, password: str) -> Identity:
        try:
            await self.client.auth.sign_in_with_password({"email": email, "password": password})
        except AuthApiError as exc:
            if exc.code == "invalid_credentials":
                raise SignInError("Wrong email or password.", "credentials") from exc
            raise SignInError(exc.message) from exc
        except (AuthRetryableError, httpx.HTTPError) as exc:
            raise SignInError(f"The server could not be reached: {exc}", "unreachable") from exc
        self._remember(password)
        self._started()
        assert self.identity is not None
        return self.identity

    @staticmethod
    def _hash(password: str, salt: bytes) -> bytes:
        return hashlib.scrypt(password.encode(), salt=salt, n=2**14, r=8, p=1, dklen=32)

    def _remember(self, password: str) -> None:
        salt = secrets.token_bytes(16)
        self._verifier = (salt, self._hash(password, salt))

    def _matches_remembered(self, password: str) -> bool:
        assert self._verifier is not None
        salt, digest = self._verifier
        return hmac.compare_digest(self._hash(password, salt), digest)

    async def restore(self) -> Identity | None:
        """Signs in with the refresh token kept in the keyring, if any. None when there is none or it
        was refused (then it is removed). Raises SignInError when the server cannot be reached."""
        token = self.vault.load_refresh_token()
        if not token:
            return None
        try:
            await self.client.auth.refresh_session(token)
        except AuthApiError as exc:
            log.info("stored session refused by the server: %s", exc.message)
            self.vault.clear_refresh_token()
            return None
        except (AuthRetryableError, httpx.HTTPError) as exc:
            raise SignInError(f"The server could not be reached: {exc}", "unreachable") from exc
        self._started()
        return self.identity

    async def verify_password(self, password: str) -> bool:
        """Checks the signed-in user's password (to unlock the screen) on a throwaway auth client, so this
        session is left exactly as it is; the check's own session is revoked at once. When the server
        cannot be reached the password is compared with the last one the server accepted in this process
        (``last_check_offline`` says so); SignInError when there is none to compare with."""
        self.last_check_offline = False
        if self.identity is None or not self.identity.email:
            return False
        key = self.client.supabase_key
        probe = AsyncGoTrueClient(url=str(self.client.auth_url), headers={"apikey": key, "Authorization": f"Bearer {key}"},
                                  http_client=self._http, auto_refresh_token=False, persist_session=False)
        try:
            await probe.sign_in_with_password({"email": self.identity.email, "password": password})
        except AuthApiError as exc:
            if exc.code == "invalid_credentials":
                return False
            raise SignInError(exc.message) from exc
        except (AuthRetryableError, httpx.HTTPError) as exc:
            if self._verifier is None:
                raise SignInError(f"The server could not be reached: {exc}", "unreachable") from exc
            log.info("password checked on this workstation: the server could not be reached (%s)", exc)
            self.last_check_offline = True
            return self._matches_remembered(password)
        with contextlib.suppress(AuthError, httpx.HTTPError):
            await probe.sign_out({"scope": "local"})
        self._remember(password)
        return True

    def _started(self) -> None:
        self._emit(AuthState.SIGNED_IN)
        if self._refresher is None or self._refresher.done():
            self._refresher = asyncio.create_task(self._refresh_forever(), name="tjv-auth-refresh")

    def _seconds_until_refresh(self) -> float:
        expires_at = self.expires_at
        if expires_at is None:
            return 0.0
        lifetime = self._session.expires_in if self._session and self._session.expires_in else 3600
        margin = min(self.margin, lifetime / 4)
        return max(0.0, expires_at - margin - time.time())

    async def refresh_now(self) -> bool:
        """One refresh attempt. False (and still signed in) when the server could not be reached."""
        try:
            await self.client.auth.refresh_session(self._session.refresh_token if self._session else None)
        except AuthApiError as exc:
            await self._lost(f"the server ended the session ({exc.message})")
            return False
        except (AuthRetryableError, httpx.HTTPError, OSError) as exc:
            self._emit(AuthState.REFRESH_PENDING, f"refresh failed: {exc}")
            return False
        self._emit(AuthState.SIGNED_IN)
        return True

    async def _refresh_forever(self) -> None:
        failures = 0
        while self.state is not AuthState.SIGNED_OUT:
            delay = self._seconds_until_refresh() if failures == 0 else min(
                self.max_backoff, 2 ** (failures - 1)) * random.uniform(0.5, 1.0)
            await asyncio.sleep(delay)
            if self.state is AuthState.SIGNED_OUT:
                return
            failures = 0 if await self.refresh_now() else failures + 1

    async def _lost(self, reason: str) -> None:
        self.vault.clear_refresh_token()
        self._session = None
        self._verifier = None
        with contextlib.suppress(AuthError, httpx.HTTPError):
            await self.client.auth.sign_out({"scope": "local"})
        self._emit(AuthState.SIGNED_OUT, reason)

    async def sign_out(self) -> None:
        """Ends the session on the server when reachable and always forgets it locally."""
        if self._refresher is not None:
            self._refresher.cancel()
        self.vault.clear_refresh_token()
        self._verifier = None
        try:
            await self.client.auth.sign_out()
        except (AuthError, httpx.HTTPError) as exc:
            log.warning("server sign-out failed (the session is forgotten locally): %s", exc)
            with contextlib.suppress(AuthError, httpx.HTTPError):
                await self.client.auth.sign_out({"scope": "local"})
        self._session = None
        self._emit(AuthState.SIGNED_OUT, "signed out by the user")

    async def close(self) -> None:
        await cancel_and_wait([self._refresher])
        with contextlib.suppress(Exception):  # closing a socket that may already be gone
            await self.client.realtime.close()
        await self._http.aclose()

"""The client core, assembled in one place: keyring vault, store worker, auth session, sync engine and
the supervised realtime link, wired together. The window (``app.Monitor``), the headless ``watch`` and
the tests' ``Station`` all build it here.

Order of use: ``await open()`` (store and auth client), sign in through ``core.auth``, ``build(identity)``
(engine and link, not yet running, so a window can be built on the engine), then ``run()``; ``stop()``.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from pathlib import Path

from ..backend.auth import AuthSession, Identity
from ..backend.health import Health
from ..backend.realtime import ChannelSpec, RealtimeLink, channel_plan
from ..backend.rest import RestGateway
from ..backend.sessions import SessionsApi
from ..backend.vault import Vault
from ..collab.keys import KeyError_, SessionKeyRing, parse_key_document
from ..collab.service import SessionsService
from ..domain.events import StationEvents
from ..store import OpenReport
from ..sync.engine import SyncEngine
from ..sync.worker import StoreWorker

log = logging.getLogger(__name__)


class ClientCore:
    def __init__(self, url: str, anon_key: str, vault: Vault, *, store_path: Path | None = None,
                 probe_deadline: float = 10.0, join_timeout: float = 10.0, backoff_max: float = 30.0,
                 position_check_seconds: float = 15.0,
                 auth_timeout: float = 10.0, auth: AuthSession | None = None,
                 session_keys: Callable[[str], SessionKeyRing | None] | None = None,
                 worker: StoreWorker | None = None):
        self.url, self.anon_key, self.vault = url, anon_key, vault
        if worker is None:  # else one already opening (station.Monitor); ``store_path`` is then unused
            key = vault.store_key()
            worker = StoreWorker(store_path if key else None, key)
        self.worker = worker
        self.probe_deadline, self.join_timeout, self.backoff_max = probe_deadline, join_timeout, backoff_max
        self.position_check_seconds = position_check_seconds
        self.auth_timeout = auth_timeout
        self.health = Health()
        self.auth: AuthSession | None = auth  # given: a session already signed in (the sign-in window's)
        self.engine: SyncEngine | None = None
        self.link: RealtimeLink | None = None
        self.identity: Identity | None = None
        # Every event that crosses layers (domain/events.py): subscribe here, before run().
        self.events = StationEvents()
        # Collaboration: tenant -> session key ring (provisioned out of band; see collab/keys.py).
        self.session_keys = session_keys or self._keyring_session_keys
        self.sessions: SessionsService | None = None

    async def open(self) -> OpenReport:
        """Opens the store (on its own thread) and, unless one was given, the auth client; no network
        traffic yet."""
        report = await self.worker.open()
        if self.auth is None:
            self.auth = await AuthSession.create(self.url, self.anon_key, self.vault, timeout=self.auth_timeout)
        return report

    def build(self, identity: Identity) -> SyncEngine:
        """Engine and link for the signed-in provider, not yet running."""
        assert self.auth is not None, "open() first"
        self.identity = identity
        self.health.trace.redactor.learn("provider", [identity.provider_id])
        self.engine = SyncEngine(self.worker, RestGateway(self.auth.client), identity.provider_id, self.events,
                                 health=self.health)
        self.link = RealtimeLink(self.url, self.anon_key, lambda: self.auth.access_token, self._plan, self.events,
                                 positions=self.engine.rest.feed_position,
                                 position_check_seconds=self.position_check_seconds, probe_deadline=self.probe_deadline, join_timeout=self.join_timeout,
                                 backoff_max=self.backoff_max, health=self.health)
        self.auth.add_token_listener(self.link.token_changed)
        ring, key_problem = None, None
        try:
            ring = self.session_keys(identity.tenant_id) if identity.tenant_id else None
        except (KeyError_, OSError) as exc:  # provisioned but unusable: refuse sessions, never fall back
            log.error("collaboration session keys unusable: %s", exc)
            key_problem = str(exc)
        self.sessions = SessionsService(SessionsApi(self.auth.client), self.link, user_id=identity.user_id, role=identity.role,
                                        tenant_id=identity.tenant_id, provider_id=identity.provider_id,
                                        email=identity.email, key_ring=ring, key_problem=key_problem)
        return self.engine

    def _keyring_session_keys(self, tenant_id: str) -> SessionKeyRing | None:
        document = self.vault.session_keys_document()
        return parse_key_document(document, tenant_id) if document else None

    def run(self) -> None:
        assert self.engine is not None and self.link is not None, "build() first"
        self.engine.start()
        self.link.start()

    async def _plan(self) -> list[ChannelSpec]:
        assert self.identity is not None and self.engine is not None
        return channel_plan(self.identity.provider_id, self.identity.tenant_id, self.identity.user_id)

    async def stop(self) -> None:
        if self.link is not None:
            await self.link.stop()
        if self.engine is not None:
            await self.engine.stop()
        if self.auth is not None:
            await self.auth.close()
        await self.worker.close()

"""backend.auth against the sandbox, with the refresh token in a real Secret Service keyring."""

from __future__ import annotations

import asyncio
import uuid

import pytest
from keyring.backends import fail

from tjv_desktop.backend.auth import AuthSession, AuthState, SignInError
from tjv_desktop.backend.vault import Vault

NURSE = "nurse@riverside.tjv.test"


@pytest.fixture
def vault(sandbox, secret_service):
    # A unique server key per test keeps entries apart in the shared keyring.
    v = Vault(f"{sandbox.url}/#{uuid.uuid4().hex}", backend=secret_service)
    yield v
    v.clear_refresh_token()


@pytest.fixture
async def session_factory(sandbox):
    made = []

    async def make(vault: Vault, **kwargs) -> AuthSession:
        s = await AuthSession.create(sandbox.url, sandbox.anon_key, vault, **kwargs)
        made.append(s)
        return s

    yield make
    for s in made:
        await s.close()


async def test_sign_in_keeps_only_the_refresh_token_in_the_keyring(sandbox, vault, session_factory, secret_service):
    auth = await session_factory(vault)
    identity = await auth.sign_in(NURSE, "tjv-demo-2026")
    assert identity.provider_id == sandbox.user(NURSE)["provider_id"]
    assert identity.role == "clinician"
    stored = vault.load_refresh_token()
    assert stored == auth.client.auth._in_memory_session.refresh_token
    assert auth.access_token not in (stored or "")  # the access token is never persisted


async def test_restore_signs_in_without_password_and_rotation_is_stored(sandbox, vault, session_factory):
    first = await session_factory(vault)
    await first.sign_in(NURSE, "tjv-demo-2026")
    before = vault.load_refresh_token()
    await first.close()

    second = await session_factory(vault)
    identity = await second.restore()
    assert identity is not None and identity.email == NURSE
    after = vault.load_refresh_token()
    assert after and after != before  # rotated on restore, and the new one is what the keyring holds
    assert await second.refresh_now()
    assert vault.load_refresh_token() not in (before, after)


async def test_rejected_refresh_reports_signed_out_and_clears_the_keyring(sandbox, vault, session_factory):
    auth = await session_factory(vault)
    await auth.sign_in(NURSE, "tjv-demo-2026")
    events = []
    auth.add_listener(events.append)
    # Another workstation signs the user out everywhere: the server revokes every refresh token.
    other = await session_factory(Vault(f"{sandbox.url}/#other-{uuid.uuid4().hex}", backend=fail.Keyring()))
    await other.sign_in(NURSE, "tjv-demo-2026")
    await other.sign_out()

    assert await auth.refresh_now() is False
    assert auth.state is AuthState.SIGNED_OUT
    assert events and events[-1].state is AuthState.SIGNED_OUT
    assert "ended the session" in events[-1].reason
    assert vault.load_refresh_token() is None


async def test_supervised_refresh_runs_ahead_of_expiry(tmp_path, secret_service):
    from tests.support.sandbox import make_data_root, start_sandbox, stop_sandbox

    root = make_data_root("tjv-shortjwt-")
    short = start_sandbox(root / "data", "--jwt-expiry", "8")
    try:
        vault = Vault(f"{short.url}/#{uuid.uuid4().hex}", backend=secret_service)
        auth = await AuthSession.create(short.url, short.anon_key, vault, margin=4)
        try:
            refreshed = asyncio.Event()
            auth.client.auth.on_auth_state_change(
                lambda event, _session: event == "TOKEN_REFRESHED" and refreshed.set())
            await auth.sign_in(NURSE, "tjv-demo-2026")
            first_expiry = auth.expires_at
            first_token = vault.load_refresh_token()
            await asyncio.wait_for(refreshed.wait(), timeout=15)
            assert auth.expires_at > first_expiry
            assert auth.state is AuthState.SIGNED_IN
            assert vault.load_refresh_token() != first_token
        finally:
            await auth.close()
            vault.clear_refresh_token()
    finally:
        stop_sandbox(short)


async def test_wrong_password_and_insecure_keyring(sandbox, session_factory):
    insecure = Vault(sandbox.url, backend=fail.Keyring())
    assert not insecure.secure
    assert "nothing is kept on disk" in insecure.description
    auth = await session_factory(insecure)
    with pytest.raises(SignInError, match="Wrong email or password"):
        await auth.sign_in(NURSE, "wrong")
    await auth.sign_in(NURSE, "tjv-demo-2026")
    assert insecure.load_refresh_token() is None
    assert insecure.store_key() is None

"""Sandbox Auth with the official supabase client, unchanged: sign-in, refresh, sign-out, bad tokens."""

from __future__ import annotations

import json
import time

import httpx
import jwt
import pytest
from supabase import AsyncClientOptions, acreate_client
from supabase_auth.errors import AuthApiError

NURSE = "nurse@riverside.tjv.test"


@pytest.fixture
async def client(sandbox):
    http = httpx.AsyncClient(timeout=10)
    sb = await acreate_client(sandbox.url, sandbox.anon_key,
                              options=AsyncClientOptions(httpx_client=http, auto_refresh_token=False))
    yield sb
    await sb.realtime.close()
    await http.aclose()


def project_secret(sandbox) -> str:
    return json.loads((sandbox.data_dir / "project-keys.json").read_text())["jwt_secret"]


async def test_wrong_password_is_refused_with_gotrue_error(client):
    with pytest.raises(AuthApiError) as err:
        await client.auth.sign_in_with_password({"email": NURSE, "password": "not-the-password"})
    assert err.value.status == 400
    assert err.value.code == "invalid_credentials"
    assert err.value.message == "Invalid login credentials"


async def test_sign_in_issues_jwt_carrying_role_tenant_and_provider(client, sandbox):
    res = await client.auth.sign_in_with_password({"email": NURSE, "password": "tjv-demo-2026"})
    claims = jwt.decode(res.session.access_token, project_secret(sandbox), algorithms=["HS256"],
                        options={"verify_aud": False})
    assert claims["role"] == "authenticated"
    assert claims["sub"] == res.user.id
    assert claims["app_metadata"]["tjv_role"] == "clinician"
    assert claims["app_metadata"]["provider_id"] == sandbox.user(NURSE)["provider_id"]
    assert claims["app_metadata"]["tenant_id"]
    assert claims["exp"] - claims["iat"] == res.session.expires_in


async def test_refresh_rotates_and_a_replayed_old_token_revokes_the_session(client):
    first = await client.auth.sign_in_with_password({"email": NURSE, "password": "tjv-demo-2026"})
    t0 = first.session.refresh_token
    t1 = (await client.auth.refresh_session(t0)).session.refresh_token
    t2 = (await client.auth.refresh_session(t1)).session.refresh_token
    assert len({t0, t1, t2}) == 3
    # t0's child t1 is spent too, so t0 is outside GoTrue's concurrent-retry grace: treated as theft.
    with pytest.raises(AuthApiError) as err:
        await client.auth.refresh_session(t0)
    assert err.value.code == "refresh_token_already_used"
    with pytest.raises(AuthApiError) as err:
        await client.auth.refresh_session(t2)
    assert err.value.code == "refresh_token_already_used"


async def test_concurrent_retry_within_grace_gets_the_live_session(client):
    first = await client.auth.sign_in_with_password({"email": NURSE, "password": "tjv-demo-2026"})
    t0 = first.session.refresh_token
    await client.auth.refresh_session(t0)
    retry = await client.auth.refresh_session(t0)  # e.g. the app crashed before storing t1
    assert retry.session.access_token


async def test_sign_out_ends_the_session(client, sandbox):
    res = await client.auth.sign_in_with_password({"email": NURSE, "password": "tjv-demo-2026"})
    access, refresh = res.session.access_token, res.session.refresh_token
    assert (await client.auth.get_user(access)).user.email == NURSE
    await client.auth.sign_out()
    with pytest.raises(AuthApiError) as err:
        await client.auth.refresh_session(refresh)
    assert err.value.code == "refresh_token_already_used"
    r = httpx.get(f"{sandbox.url}/auth/v1/user",
                  headers={"apikey": sandbox.anon_key, "Authorization": f"Bearer {access}"})
    assert r.status_code == 403
    assert r.json()["error_code"] == "session_not_found"


def test_unknown_refresh_token_and_missing_api_key(sandbox):
    r = httpx.post(f"{sandbox.url}/auth/v1/token?grant_type=refresh_token",
                   headers={"apikey": sandbox.anon_key}, json={"refresh_token": "nope"})
    assert r.status_code == 400
    assert r.json() == {"code": 400, "error_code": "refresh_token_not_found",
                        "msg": "Invalid Refresh Token: Refresh Token Not Found"}
    r = httpx.post(f"{sandbox.url}/auth/v1/token?grant_type=password", json={"email": NURSE, "password": "x"})
    assert r.status_code == 401
    assert r.json()["message"] == "No API key found in request"


def test_expired_and_forged_jwts_get_postgrest_errors_and_the_sandbox_keeps_serving(sandbox):
    now = int(time.time())
    base = {"sub": sandbox.user(NURSE)["provider_id"], "role": "authenticated", "iat": now - 7200}
    expired = jwt.encode({**base, "exp": now - 3600}, project_secret(sandbox), algorithm="HS256")
    forged = jwt.encode({**base, "exp": now + 3600}, "not-the-project-secret-" * 2, algorithm="HS256")
    headers = {"apikey": sandbox.anon_key}

    r = httpx.get(f"{sandbox.url}/rest/v1/patients", headers={**headers, "Authorization": f"Bearer {expired}"})
    assert r.status_code == 401
    assert r.json() == {"code": "PGRST303", "details": None, "hint": None, "message": "JWT expired"}

    r = httpx.get(f"{sandbox.url}/rest/v1/patients", headers={**headers, "Authorization": f"Bearer {forged}"})
    assert r.status_code == 401
    assert r.json()["code"] == "PGRST301"

    r = httpx.get(f"{sandbox.url}/rest/v1/patients", headers={**headers, "Authorization": "Bearer garbage"})
    assert r.status_code == 401

    token = sandbox.sign_in(NURSE)["access_token"]
    r = httpx.get(f"{sandbox.url}/rest/v1/patients?select=id",
                  headers={**headers, "Authorization": f"Bearer {token}"})
    assert r.status_code == 200
    assert len(r.json()) > 0

"""Requests the official supabase client sends, answered as PostgREST and GoTrue answer them, on a
sandbox of this module's own (the tests change its schema)."""

from __future__ import annotations

import uuid

import asyncpg
import pytest

from tests.support.sandbox import official_clients, private_sandbox

COUNTRIES = [("DZ", "Algeria", ["is:open", "priority:high"]), ("DE", "Germany", ["is:open"]),
             ("DK", "Denmark", ["priority:high"]), ("ES", "Spain", [])]


@pytest.fixture(scope="module")
def own_sandbox():
    with private_sandbox("tjv-fidelity-") as handle:
        yield handle


@pytest.fixture
async def db(own_sandbox):
    conn = await asyncpg.connect(own_sandbox.db_url)
    yield conn
    await conn.close()


@pytest.fixture
async def client(own_sandbox):
    async with official_clients(own_sandbox) as make:
        yield lambda key: make(key=key)


@pytest.fixture
async def countries(db):
    """A table with a char(2) key and a text[] column, and a function returning its rows."""
    name = f"countries_{uuid.uuid4().hex[:6]}"
    await db.execute(f"""
        create table public.{name} (iso char(2) primary key, name text not null, tags text[] not null default '{{}}');
        grant select on public.{name} to anon;
        create function public.list_{name}() returns setof public.{name} language sql stable
          as $$ select * from public.{name} $$""")
    await db.executemany(f"insert into public.{name} values ($1, $2, $3)", COUNTRIES)
    yield name
    await db.execute(f"drop function public.list_{name}(); drop table public.{name}")


async def test_a_filter_on_a_char_n_column_compares_the_whole_value(client, own_sandbox, countries):
    sb = await client(own_sandbox.anon_key)
    rows = (await sb.table(countries).select("iso,name").eq("iso", "DZ").execute()).data
    assert rows == [{"iso": "DZ", "name": "Algeria"}]
    assert (await sb.table(countries).select("iso").in_("iso", ["DE", "ES"]).order("iso").execute()).data == [
        {"iso": "DE"}, {"iso": "ES"}]
    assert (await sb.table(countries).select("iso").eq("iso", "DZX").execute()).data == []


async def test_or_accepts_array_literals_with_commas(client, own_sandbox, countries):
    sb = await client(own_sandbox.anon_key)
    rows = (await sb.table(countries).select("iso").or_("tags.cs.{is:open,priority:high},name.eq.Spain")
            .order("iso").execute()).data
    assert rows == [{"iso": "DZ"}, {"iso": "ES"}]


async def test_rpc_takes_select_filters_order_range_and_count(client, own_sandbox, countries):
    sb = await client(own_sandbox.anon_key)
    fn = f"list_{countries}"
    answer = await (sb.rpc(fn, {}, count="exact").select("iso").like("iso", "D%").order("iso", desc=True)
                    .limit(1).execute())
    assert answer.data == [{"iso": "DZ"}] and answer.count == 3
    paged = await sb.rpc(fn, {}).select("iso").order("iso").range(1, 2).execute()
    assert paged.data == [{"iso": "DK"}, {"iso": "DZ"}]
    # GET: the parameters that are not arguments filter the result
    by_get = await sb.rpc(fn, {}, get=True).select("name").eq("iso", "ES").execute()
    assert by_get.data == [{"name": "Spain"}]


async def test_head_requests_count_without_a_body(client, own_sandbox, countries):
    sb = await client(own_sandbox.anon_key)
    head = await sb.table(countries).select("*", count="exact", head=True).neq("iso", "ES").execute()
    assert head.count == 3 and not head.data
    rpc = await sb.rpc(f"list_{countries}", {}, count="exact", head=True).execute()
    assert rpc.count == 4


async def test_a_column_added_at_run_time_is_known_at_once(client, own_sandbox, countries, db):
    sb = await client(own_sandbox.service_role_key)
    assert len((await sb.table(countries).select("*").execute()).data) == 4  # the table is in the cache
    await db.execute(f"alter table public.{countries} add column capital text")
    await sb.table(countries).update({"capital": "Algiers"}).eq("iso", "DZ").execute()
    rows = (await sb.table(countries).select("iso,capital").eq("capital", "Algiers").execute()).data
    assert rows == [{"iso": "DZ", "capital": "Algiers"}]


async def test_the_official_client_signs_up_and_an_admin_manages_users(client, own_sandbox):
    email = f"trainee-{uuid.uuid4().hex[:8]}@training.tjv.test"
    anon = await client(own_sandbox.anon_key)
    signed = await anon.auth.sign_up({"email": email, "password": "long-enough-1",
                                      "options": {"data": {"full_name": "Trainee"}}})
    assert signed.user.email == email and signed.user.user_metadata == {"full_name": "Trainee"}
    assert signed.session is not None and signed.session.access_token
    again = await client(own_sandbox.anon_key)
    session = await again.auth.sign_in_with_password({"email": email, "password": "long-enough-1"})
    assert session.user.id == signed.user.id
    from supabase_auth.errors import AuthApiError, AuthWeakPasswordError

    with pytest.raises(AuthApiError) as taken:
        await anon.auth.sign_up({"email": email, "password": "long-enough-1"})
    assert taken.value.code == "user_already_exists"
    with pytest.raises(AuthWeakPasswordError) as weak:
        await anon.auth.sign_up({"email": f"x{email}", "password": "123"})
    assert weak.value.code == "weak_password" and weak.value.reasons == ["length"]

    admin = (await client(own_sandbox.service_role_key)).auth.admin
    made = await admin.create_user({"email": f"staff-{email}", "password": "long-enough-2", "email_confirm": True,
                                    "app_metadata": {"tjv_role": "clinician"}})
    assert made.user.app_metadata["tjv_role"] == "clinician" and made.user.email_confirmed_at
    listed = {u.email for u in await admin.list_users(page=1, per_page=1000)}
    assert {email, f"staff-{email}"} <= listed
    await admin.delete_user(made.user.id)
    assert f"staff-{email}" not in {u.email for u in await admin.list_users(page=1, per_page=1000)}
    with pytest.raises(AuthApiError) as not_admin:
        await anon.auth.admin.create_user({"email": f"nope-{email}", "password": "long-enough-3"})
    assert not_admin.value.status == 403


async def test_an_rpc_returning_table_rows_answers_rows_with_their_columns_and_takes_an_array(client, own_sandbox):
    """``feed_position(p_topics text[]) returns table(topic, seq)``: a JSON array reaches the array
    parameter, and each row comes back as an object with the OUT columns (it came back as bare strings)."""
    nurse = await client(own_sandbox.anon_key)
    await nurse.auth.sign_in_with_password({"email": "nurse@riverside.tjv.test", "password": "tjv-demo-2026"})
    me = own_sandbox.user("nurse@riverside.tjv.test")["provider_id"]
    other = own_sandbox.user("surgeon@riverside.tjv.test")["provider_id"]
    rows = (await nurse.rpc("feed_position", {"p_topics": [f"provider:{me}", f"provider:{other}"]}).execute()).data
    assert [set(r) for r in rows] == [{"topic", "seq"}]
    assert rows[0]["topic"] == f"provider:{me}" and isinstance(rows[0]["seq"], int)

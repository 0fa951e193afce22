-- The station's live feed: database broadcasts (architecture §4). Every change a station shows is sent
-- by a trigger with realtime.send(payload, 'change', topic, true) on a private topic:
--   provider:<id>  patient_alerts routed to the provider (the row's provider_id); patient_status and
--                  vital_signs of the patients actively assigned to the provider; provider_assignments
--                  of the provider (a patient joins or leaves the panel)
--   patient:<id>   messages and care_plans of the patient
--   tenant:<id>    system_metrics inserts
-- payload = {seq, table, op, rows, at}: rows are to_jsonb of whole rows ({id?, patient_id} for DELETE),
-- at most 200 per message; at is the send time in epoch ms; seq counts 1, 2, 3… per topic in commit
-- order (the topic's counter row stays locked until the sending transaction ends), so a client sees
-- from the next message that one went missing (realtime.send drops failures silently).
-- Triggers are per statement: one message per topic per statement, however many rows it wrote. They
-- only stage their messages; a deferred trigger sends them all when the transaction commits, taking the
-- topic counters in sorted order, so concurrent writers touching several topics cannot deadlock on
-- them and hold them only for the commit.

create table private.feed_topics (
  topic text primary key,
  seq bigint not null,
  updated_at timestamptz not null default now()
);
alter table private.feed_topics enable row level security;
revoke all on private.feed_topics from public, anon, authenticated, service_role;

-- True for the first message a transaction stages (after each flush): only that row schedules a flush.
create or replace function private.feed_first_in_transaction() returns boolean
language plpgsql volatile set search_path = '' as $$
begin
  if current_setting('tjv.feed_tx', true) = txid_current()::text then
    return false;
  end if;
  perform set_config('tjv.feed_tx', txid_current()::text, true);
  return true;
end
$$;

-- Messages of the running transaction, sent at its commit (rows never outlive their transaction).
create unlogged table private.feed_pending (
  id bigint generated always as identity primary key,
  tx bigint not null default txid_current(),
  flush boolean not null default private.feed_first_in_transaction(),
  topic text not null,
  tbl text not null,
  op text not null,
  body jsonb not null
);
create index feed_pending_tx_idx on private.feed_pending (tx);
alter table private.feed_pending enable row level security;
revoke all on private.feed_pending from public, anon, authenticated, service_role;

-- One message on p_topic with the next seq of that topic. Security definer: the message is the
-- database's, whoever's statement caused it (clients may not write on these topics themselves).
create or replace function private.feed_send(p_topic text, p_table text, p_op text, p_rows jsonb)
returns bigint
language plpgsql security definer set search_path = '' as $$
declare
  v_seq bigint;
begin
  insert into private.feed_topics as t (topic, seq) values (p_topic, 1)
  on conflict (topic) do update set seq = t.seq + 1, updated_at = now()
  returning t.seq into v_seq;
  perform realtime.send(
    jsonb_build_object('seq', v_seq, 'table', p_table, 'op', p_op, 'rows', p_rows,
                       'at', floor(extract(epoch from clock_timestamp()) * 1000)::bigint),
    'change', p_topic, true);
  return v_seq;
end
$$;

-- At commit: sends every staged message of the transaction, topic by topic in sorted order.
create or replace function private.feed_flush() returns trigger
language plpgsql security definer set search_path = '' as $$
declare
  v record;
begin
  perform set_config('tjv.feed_tx', '', true);  -- what is staged after this needs a flush of its own
  for v in
    with sent as (delete from private.feed_pending where tx = txid_current() returning *)
    select * from sent order by topic, id
  loop
    perform private.feed_send(v.topic, v.tbl, v.op, v.body);
  end loop;
  return null;
end
$$;

create constraint trigger feed_flush after insert on private.feed_pending
  deferrable initially deferred for each row when (new.flush) execute function private.feed_flush();

-- Stages rows (p_rows[i] for p_topics[i]) as messages of at most 200 rows.
create or replace function private.feed_publish(p_table text, p_op text, p_topics text[], p_rows jsonb[])
returns void
language sql security definer set search_path = '' as $$
  insert into private.feed_pending (topic, tbl, op, body)
  select c.topic, p_table, p_op, jsonb_agg(c.body order by c.n)
  from (
    select u.topic, u.body, u.n, (row_number() over (partition by u.topic order by u.n) - 1) / 200 as chunk
    from unnest(p_topics, p_rows) with ordinality as u(topic, body, n)
    where u.topic is not null
  ) c
  group by c.topic, c.chunk
  order by c.topic, c.chunk
$$;

-- What a DELETE carries: the key and the patient.
create or replace function private.feed_key(p_row jsonb) returns jsonb
language sql immutable set search_path = '' as $$
  select coalesce(jsonb_object_agg(e.key, e.value), '{}'::jsonb)
  from jsonb_each(p_row) e where e.key in ('id', 'patient_id')
$$;

-- provider:<provider_id> of the row (patient_alerts, provider_assignments). An UPDATE that moves a row to
-- another provider also tells the previous one.
create or replace function private.feed_by_provider() returns trigger
language plpgsql security definer set search_path = '' as $$
declare
  v_topics text[];
  v_rows jsonb[];
begin
  if tg_op = 'INSERT' then
    select array_agg('provider:' || n.provider_id), array_agg(to_jsonb(n)) into v_topics, v_rows from new_rows n;
  elsif tg_op = 'UPDATE' then
    select array_agg(x.topic), array_agg(x.body) into v_topics, v_rows from (
      select 'provider:' || n.provider_id as topic, to_jsonb(n) as body from new_rows n
      union all
      select 'provider:' || o.provider_id, to_jsonb(n)
      from new_rows n join old_rows o on o.id = n.id where o.provider_id is distinct from n.provider_id
    ) x;
  else
    select array_agg('provider:' || o.provider_id), array_agg(private.feed_key(to_jsonb(o)))
    into v_topics, v_rows from old_rows o;
  end if;
  perform private.feed_publish(tg_table_name, tg_op, v_topics, v_rows);
  return null;
end
$$;

-- patient:<patient_id> of the row (messages, care_plans); an UPDATE moving a row to another patient
-- also tells the previous one.
create or replace function private.feed_by_patient() returns trigger
language plpgsql security definer set search_path = '' as $$
declare
  v_topics text[];
  v_rows jsonb[];
begin
  if tg_op = 'INSERT' then
    select array_agg('patient:' || n.patient_id), array_agg(to_jsonb(n)) into v_topics, v_rows from new_rows n;
  elsif tg_op = 'UPDATE' then
    select array_agg(x.topic), array_agg(x.body) into v_topics, v_rows from (
      select 'patient:' || n.patient_id as topic, to_jsonb(n) as body from new_rows n
      union all
      select 'patient:' || o.patient_id, to_jsonb(n)
      from new_rows n join old_rows o on o.id = n.id where o.patient_id is distinct from n.patient_id
    ) x;
  else
    select array_agg('patient:' || o.patient_id), array_agg(private.feed_key(to_jsonb(o)))
    into v_topics, v_rows from old_rows o;
  end if;
  perform private.feed_publish(tg_table_name, tg_op, v_topics, v_rows);
  return null;
end
$$;

-- provider:<id> of every provider who sees the row's patient now: an active assignment of an active
-- provider, all in one tenant (as private.visible_patient_ids decides it for the reader). Inserts and
-- updates are the hot path (vitals): each row is rendered once and the messages are built in one query.
create or replace function private.feed_by_panel() returns trigger
language plpgsql security definer set search_path = '' as $$
declare
  v_topics text[];
  v_rows jsonb[];
begin
  if tg_op = 'DELETE' then
    select array_agg('provider:' || a.provider_id), array_agg(private.feed_key(to_jsonb(o)))
    into v_topics, v_rows
    from old_rows o
    join public.provider_assignments a on a.patient_id = o.patient_id and a.active
    join public.providers pr on pr.id = a.provider_id and pr.active and pr.tenant_id = a.tenant_id
    join public.patients p on p.id = a.patient_id and p.tenant_id = pr.tenant_id;
    perform private.feed_publish(tg_table_name, tg_op, v_topics, v_rows);
    return null;
  end if;
  with changed as materialized (
    select r.patient_id, row_number() over () as n, to_jsonb(r) as body from new_rows r
  ), routed as (
    select a.provider_id, c.body, c.n,
           (row_number() over (partition by a.provider_id order by c.n) - 1) / 200 as chunk
    from changed c
    join public.provider_assignments a on a.patient_id = c.patient_id and a.active
    join public.providers pr on pr.id = a.provider_id and pr.active and pr.tenant_id = a.tenant_id
    join public.patients p on p.id = a.patient_id and p.tenant_id = pr.tenant_id
  )
  insert into private.feed_pending (topic, tbl, op, body)
  select 'provider:' || provider_id, tg_table_name, tg_op, jsonb_agg(body order by n)
  from routed group by provider_id, chunk order by provider_id, chunk;
  return null;
end
$$;

-- tenant:<tenant_id> of the row (system_metrics inserts).
create or replace function private.feed_by_tenant() returns trigger
language plpgsql security definer set search_path = '' as $$
declare
  v_topics text[];
  v_rows jsonb[];
begin
  select array_agg('tenant:' || n.tenant_id), array_agg(to_jsonb(n)) into v_topics, v_rows from new_rows n;
  perform private.feed_publish(tg_table_name, tg_op, v_topics, v_rows);
  return null;
end
$$;

revoke all on function
  private.feed_first_in_transaction(), private.feed_send(text, text, text, jsonb), private.feed_flush(), private.feed_publish(text, text, text[], jsonb[]),
  private.feed_key(jsonb), private.feed_by_provider(), private.feed_by_patient(), private.feed_by_panel(),
  private.feed_by_tenant()
  from public, anon, authenticated, service_role;

-- A transition table allows one event per trigger: one trigger per table and operation.
do $$
declare
  v_route record;
  v_op text;
begin
  for v_route in
    select * from (values
      ('patient_alerts', 'feed_by_provider', array['INSERT', 'UPDATE', 'DELETE']),
      ('provider_assignments', 'feed_by_provider', array['INSERT', 'UPDATE', 'DELETE']),
      ('patient_status', 'feed_by_panel', array['INSERT', 'UPDATE', 'DELETE']),
      ('vital_signs', 'feed_by_panel', array['INSERT', 'UPDATE']),
      ('messages', 'feed_by_patient', array['INSERT', 'UPDATE', 'DELETE']),
      ('care_plans', 'feed_by_patient', array['INSERT', 'UPDATE', 'DELETE']),
      ('system_metrics', 'feed_by_tenant', array['INSERT'])
    ) as r(tbl, fn, ops)
  loop
    foreach v_op in array v_route.ops loop
      execute format(
        'create trigger %I after %s on public.%I referencing %s for each statement execute function private.%I()',
        'feed_' || lower(v_op), v_op, v_route.tbl,
        case v_op
          when 'INSERT' then 'new table as new_rows'
          when 'UPDATE' then 'old table as old_rows new table as new_rows'
          else 'old table as old_rows'
        end,
        v_route.fn);
    end loop;
  end loop;
end
$$;

-- The current seq of each topic the caller may read (0 before its first message); topics the caller
-- may not read are left out. A client reads it before a REST resync and then ignores messages at or
-- below it.
create or replace function public.feed_position(p_topics text[])
returns table (topic text, seq bigint)
language plpgsql stable security definer set search_path = '' as $$
#variable_conflict use_column
begin
  if cardinality(p_topics) > 1000 then
    raise exception 'feed_position takes at most 1000 topics, got %', cardinality(p_topics)
      using errcode = '22023';
  end if;
  return query
    select t.name, coalesce(f.seq, 0)::bigint
    from (select distinct u.name from unnest(p_topics) as u(name) where u.name is not null) t
    left join private.feed_topics f on f.topic = t.name
    where private.realtime_topic_allowed(t.name, false)
    order by t.name;
end
$$;

revoke all on function public.feed_position(text[]) from public, anon, service_role;
grant execute on function public.feed_position(text[]) to authenticated;

-- The care team around the station (issue 16): replies to patients, the tenant's quick replies,
-- workstation heartbeats, per-minute tenant metrics with their limits and the coordinators' alert, and
-- the audit of handoff exports.

-- 1. Replies ------------------------------------------------------------------------------------------
-- delivered_at: the patient's app received the message; read_at (already there): it was read.
-- action_id: the station's outbox id, so a replayed send writes one message.
alter table public.messages
  add column delivered_at timestamptz,
  add column action_id uuid;
create unique index messages_action_id_key on public.messages (action_id) where action_id is not null;
grant update (delivered_at) on public.messages to authenticated;

-- The station's one way to write to a patient: only a clinician actively assigned to the patient (what
-- private.visible_patient_ids grants a provider), at most 8 KB, once per action id. Security definer, so
-- it holds whatever the insert policies on messages say (a security migration may narrow them).
create or replace function public.send_message(p_patient_id uuid, p_body text, p_action_id uuid)
returns public.messages
language plpgsql volatile security definer set search_path = '' as $$
declare
  v_provider uuid := private.current_provider_id();
  v_message public.messages;
begin
  if v_provider is null then
    raise exception 'only an active provider may write to a patient' using errcode = '42501';
  end if;
  if p_action_id is null then
    raise exception 'an action id is required' using errcode = '22023';
  end if;
  if p_body is null or btrim(p_body) = '' or octet_length(p_body) > 8192 then
    raise exception 'a message is 1 to 8192 bytes, got %', coalesce(octet_length(p_body), 0)
      using errcode = '22023';
  end if;
  if p_patient_id is null or p_patient_id not in (
       select a.patient_id from public.provider_assignments a
         join public.patients p on p.id = a.patient_id and p.tenant_id = a.tenant_id
         join public.providers pr on pr.id = a.provider_id and pr.tenant_id = a.tenant_id
        where a.provider_id = v_provider and a.active and pr.active) then
    raise exception 'patient % is not assigned to you', p_patient_id using errcode = '42501';
  end if;
  -- A concurrent replay of the same action id waits on the unique index and then finds the message.
  insert into public.messages (patient_id, provider_id, sender_role, sender_user_id, body, action_id)
  values (p_patient_id, v_provider, 'provider', auth.uid(), p_body, p_action_id)
  on conflict (action_id) where action_id is not null do nothing
  returning * into v_message;
  if not found then
    select * into v_message from public.messages m where m.action_id = p_action_id;
    if v_message.patient_id <> p_patient_id or v_message.provider_id is distinct from v_provider then
      raise exception 'action id % was already used for another message', p_action_id using errcode = '22023';
    end if;
    return v_message;  -- a replay: the message already exists
  end if;
  perform private.write_audit(v_message.tenant_id, 'message.send', 'messages', v_message.id::text,
    p_patient_id, p_action_id, jsonb_build_object('bytes', octet_length(p_body)));
  return v_message;
end
$$;

revoke all on function public.send_message(uuid, text, uuid) from public, anon;
grant execute on function public.send_message(uuid, text, uuid) to authenticated;

-- A message's delivery and read marks only move forward: set once, never cleared or moved.
create or replace function private.keep_message_marks() returns trigger
language plpgsql set search_path = '' as $$
begin
  new.delivered_at := coalesce(old.delivered_at, new.delivered_at);
  new.read_at := coalesce(old.read_at, new.read_at);
  if new.read_at is not null and new.delivered_at is null then
    new.delivered_at := new.read_at;
  end if;
  return new;
end
$$;
revoke all on function private.keep_message_marks() from public;
create trigger keep_message_marks before update of delivered_at, read_at on public.messages
  for each row execute function private.keep_message_marks();

-- 2. Quick replies the tenant defines ----------------------------------------------------------------
create table public.quick_replies (
  id uuid primary key default gen_random_uuid(),
  tenant_id uuid not null references public.tenants(id) on delete cascade,
  label text not null check (char_length(label) between 1 and 60),
  body text not null check (octet_length(body) between 1 and 8192),
  position int not null default 0,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now()
);
create index quick_replies_tenant_idx on public.quick_replies (tenant_id, position);
alter table public.quick_replies enable row level security;
create trigger set_updated_at before update on public.quick_replies
  for each row execute function private.set_updated_at();

create policy "providers read their tenant's quick replies" on public.quick_replies
  for select to authenticated
  using (tenant_id = (select private.current_tenant_id()));
create policy "coordinators manage their tenant's quick replies" on public.quick_replies
  for all to authenticated
  using (tenant_id = (select private.current_tenant_id())
         and (select (private.current_provider()).role) in ('coordinator', 'admin'))
  with check (tenant_id = (select private.current_tenant_id())
              and (select (private.current_provider()).role) in ('coordinator', 'admin'));

-- 3. Workstation heartbeats ----------------------------------------------------------------------------
-- "Stations online" for the per-minute job: Realtime keeps presence in its own servers' memory, where a
-- database job cannot read it, so each signed-in station also says it is up here once a minute.
create table public.workstation_heartbeats (
  provider_id uuid not null references public.providers(id) on delete cascade,
  workstation text not null check (char_length(workstation) between 1 and 100),
  tenant_id uuid not null references public.tenants(id) on delete cascade,
  locked boolean not null default false,
  seen_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  primary key (provider_id, workstation)
);
create index workstation_heartbeats_tenant_idx on public.workstation_heartbeats (tenant_id, seen_at desc);
alter table public.workstation_heartbeats enable row level security;
create trigger set_updated_at before update on public.workstation_heartbeats
  for each row execute function private.set_updated_at();
revoke insert, update, delete on public.workstation_heartbeats from anon, authenticated;
create policy "providers read their tenant's workstations" on public.workstation_heartbeats
  for select to authenticated
  using (tenant_id = (select private.current_tenant_id()));

create or replace function public.workstation_heartbeat(p_workstation text, p_locked boolean default false)
returns timestamptz
language plpgsql volatile security definer set search_path = '' as $$
declare
  v_me public.providers := private.current_provider();
  v_at timestamptz := now();
begin
  if v_me.id is null then
    raise exception 'only an active provider has a workstation heartbeat' using errcode = '42501';
  end if;
  if p_workstation is null or char_length(p_workstation) not between 1 and 100 then
    raise exception 'a workstation name is 1 to 100 characters' using errcode = '22023';
  end if;
  insert into public.workstation_heartbeats (provider_id, workstation, tenant_id, locked, seen_at)
  values (v_me.id, p_workstation, v_me.tenant_id, coalesce(p_locked, false), v_at)
  on conflict (provider_id, workstation)
  do update set locked = excluded.locked, seen_at = excluded.seen_at, tenant_id = excluded.tenant_id;
  return v_at;
end
$$;
revoke all on function public.workstation_heartbeat(text, boolean) from public, anon;
grant execute on function public.workstation_heartbeat(text, boolean) to authenticated;

-- 4. Tenant metrics, limits and the coordinators' alert ---------------------------------------------
alter table public.tenants
  add column metrics_ack_p90_limit interval not null default interval '10 minutes'
    check (metrics_ack_p90_limit > interval '0'),
  add column metrics_stale_patients_limit int not null default 3
    check (metrics_stale_patients_limit >= 0),
  add column stale_data_after interval not null default interval '2 hours'
    check (stale_data_after > interval '0');

-- A tenant-wide alert (a metric over its limit) concerns no patient.
alter table public.patient_alerts alter column patient_id drop not null;

-- Low-priority alert to each active coordinator/admin of the tenant, once while the condition lasts
-- (an open one of the same kind is left as it is); resolved when the metric is back within its limit.
create or replace function private.tenant_alert(
  p_tenant uuid, p_kind text, p_crossed boolean, p_message text, p_value numeric, p_limit numeric, p_unit text
) returns void
language plpgsql volatile security definer set search_path = '' as $$
declare
  v_event uuid;
  v_rows jsonb;
begin
  -- One writer at a time per tenant (the job may overlap a manual run).
  perform 1 from public.tenants t where t.id = p_tenant for no key update;
  if not p_crossed then
    update public.patient_alerts a set state = 'resolved', resolved_at = now()
     where a.tenant_id = p_tenant and a.patient_id is null and a.kind = p_kind and a.state <> 'resolved';
    return;
  end if;
  if exists (select 1 from public.patient_alerts a where a.tenant_id = p_tenant and a.patient_id is null
               and a.kind = p_kind and a.state <> 'resolved') then
    return;
  end if;
  v_event := gen_random_uuid();
  insert into public.patient_alerts (event_id, tenant_id, patient_id, provider_id, priority, kind, message,
                                     value, limit_value, unit)
  select v_event, p_tenant, null, pr.id, 'low', p_kind, p_message, p_value, p_limit, p_unit
    from public.providers pr
   where pr.tenant_id = p_tenant and pr.active and pr.role in ('coordinator', 'admin');
  if not found then
    raise warning 'tenant % has no coordinator to tell: %', p_tenant, p_message;
    return;
  end if;
  select coalesce(jsonb_agg(jsonb_build_object('alert_id', a.id, 'provider_id', a.provider_id)), '[]')
    into v_rows from public.patient_alerts a where a.event_id = v_event;
  perform private.write_audit(p_tenant, 'alert.raise', 'patient_alerts', v_event::text, null, null,
    jsonb_build_object('kind', p_kind, 'priority', 'low', 'message', p_message, 'value', p_value,
                       'limit', p_limit, 'unit', p_unit, 'routed', v_rows));
end
$$;

-- One row per tenant and metric for the minute ending at p_at:
--   alerts_raised      alert events raised in the minute (escalated copies not counted again)
--   ack_median_s/_p90  seconds from raise to the first acknowledge/accept (least() skips nulls), over
--                      events answered in the last hour (a per-minute sample would be too thin to mean anything)
--   escalations        events escalated in the minute
--   stations_online    workstations whose heartbeat is under 2 minutes old
--   stale_patients     actively assigned patients with no vitals for the tenant's stale_data_after
-- Then the limits: p90 over metrics_ack_p90_limit, stale patients over metrics_stale_patients_limit.
-- Rows older than 8 days go (the view shows 7).
create or replace function private.record_tenant_metrics(p_at timestamptz default now()) returns int
language plpgsql volatile security definer set search_path = '' as $$
declare
  t public.tenants;
  v_count int := 0;
  v_raised int;
  v_escalations int;
  v_median double precision;
  v_p90 double precision;
  v_stations int;
  v_stale int;
begin
  for t in select * from public.tenants order by id loop
    select count(distinct a.event_id) into v_raised from public.patient_alerts a
     where a.tenant_id = t.id and a.escalated_from is null
       and a.raised_at >= p_at - interval '1 minute' and a.raised_at < p_at;
    select count(distinct a.event_id) into v_escalations from public.patient_alerts a
     where a.tenant_id = t.id and a.escalated_at >= p_at - interval '1 minute' and a.escalated_at < p_at;
    select percentile_cont(0.5) within group (order by r.seconds),
           percentile_cont(0.9) within group (order by r.seconds)
      into v_median, v_p90
      from (select extract(epoch from min(least(a.acknowledged_at, a.accepted_at)) - min(a.raised_at)) as seconds
              from public.patient_alerts a
             where a.tenant_id = t.id and a.patient_id is not null
             group by a.event_id
            having min(least(a.acknowledged_at, a.accepted_at)) between p_at - interval '1 hour' and p_at) r;
    select count(*) into v_stations from public.workstation_heartbeats h
     where h.tenant_id = t.id and h.seen_at > p_at - interval '2 minutes' and h.seen_at <= p_at;
    select count(*) into v_stale from public.patients p
     left join public.patient_status s on s.patient_id = p.id
     where p.tenant_id = t.id
       and exists (select 1 from public.provider_assignments a where a.patient_id = p.id and a.active)
       and (s.last_vitals_at is null or s.last_vitals_at < p_at - t.stale_data_after);

    insert into public.system_metrics (tenant_id, metric, value, recorded_at)
    select t.id, m.metric, m.value, p_at
      from (values ('alerts_raised', v_raised::double precision), ('ack_median_s', v_median),
                   ('ack_p90_s', v_p90), ('escalations', v_escalations::double precision),
                   ('stations_online', v_stations::double precision),
                   ('stale_patients', v_stale::double precision)) m(metric, value);
    v_count := v_count + 6;

    perform private.tenant_alert(t.id, 'tenant.ack_p90',
      coalesce(v_p90 > extract(epoch from t.metrics_ack_p90_limit), false),
      format('Time to acknowledge (p90) %s min is over the limit of %s min',
             round((v_p90 / 60)::numeric, 1), round(extract(epoch from t.metrics_ack_p90_limit) / 60, 1)),
      round(v_p90::numeric, 1), extract(epoch from t.metrics_ack_p90_limit), 's');
    perform private.tenant_alert(t.id, 'tenant.stale_patients', v_stale > t.metrics_stale_patients_limit,
      format('%s patients have no recent data (limit %s)', v_stale, t.metrics_stale_patients_limit),
      v_stale, t.metrics_stale_patients_limit, null);
  end loop;
  delete from public.system_metrics m where m.recorded_at < p_at - interval '8 days';
  return v_count;
end
$$;

revoke all on function
  private.tenant_alert(uuid, text, boolean, text, numeric, numeric, text),
  private.record_tenant_metrics(timestamptz)
  from public, anon, authenticated;

-- The metrics view reads buckets, not every minute of 7 days: per metric, the average and the maximum
-- of each bucket of p_bucket (at least a minute), for the caller's tenant only.
create or replace function public.tenant_metrics(p_since timestamptz, p_bucket interval default interval '1 minute')
returns table (metric text, bucket timestamptz, avg_value double precision, max_value double precision)
language plpgsql stable security definer set search_path = '' as $$
#variable_conflict use_column
declare
  v_tenant uuid := private.current_tenant_id();
  v_step double precision := greatest(extract(epoch from p_bucket), 60);
begin
  if v_tenant is null then
    raise exception 'only an active provider reads tenant metrics' using errcode = '42501';
  end if;
  if p_since is null or p_since < now() - interval '8 days' then
    raise exception 'metrics are kept for 8 days' using errcode = '22023';
  end if;
  return query
    select m.metric,
           to_timestamp(floor(extract(epoch from m.recorded_at) / v_step) * v_step) as bucket,
           avg(m.value), max(m.value)
      from public.system_metrics m
     where m.tenant_id = v_tenant and m.recorded_at >= p_since
     group by 1, 2
     order by 1, 2;
end
$$;
revoke all on function public.tenant_metrics(timestamptz, interval) from public, anon;
grant execute on function public.tenant_metrics(timestamptz, interval) to authenticated;

-- 5. Handoff export audit -------------------------------------------------------------------------------
-- One audit row per exported patient (so each patient's audit shows it), all with the export's action
-- id; refused whole if any patient is not visible to the caller.
create or replace function public.audit_handoff_export(p_patient_ids uuid[], p_language text, p_action_id uuid)
returns int
language plpgsql volatile security definer set search_path = '' as $$
declare
  v_me public.providers := private.current_provider();
  v_id uuid;
begin
  if v_me.id is null then
    raise exception 'only an active provider exports a handoff' using errcode = '42501';
  end if;
  if p_action_id is null or p_patient_ids is null or cardinality(p_patient_ids) > 5000 then
    raise exception 'an action id and at most 5000 patients are required' using errcode = '22023';
  end if;
  if exists (select 1 from unnest(p_patient_ids) u(id)
              where u.id is null or u.id not in (select private.visible_patient_ids())) then
    raise exception 'the handoff names a patient you do not see' using errcode = '42501';
  end if;
  if exists (select 1 from public.audit_log l where l.action_id = p_action_id and l.action = 'handoff.export') then
    return 0;  -- a replay
  end if;
  foreach v_id in array array(select distinct u.id from unnest(p_patient_ids) u(id)) loop
    perform private.write_audit(v_me.tenant_id, 'handoff.export', 'patients', v_id::text, v_id, p_action_id,
      jsonb_build_object('language', left(coalesce(p_language, ''), 16), 'patients', cardinality(p_patient_ids)));
  end loop;
  return cardinality(p_patient_ids);
end
$$;
revoke all on function public.audit_handoff_export(uuid[], text, uuid) from public, anon;
grant execute on function public.audit_handoff_export(uuid[], text, uuid) to authenticated;

-- 6. The job: every minute, from the cron database only (as the escalation job).
do $$
declare
  v_cron_db text;
begin
  if not exists (select 1 from pg_catalog.pg_extension where extname = 'pg_cron') then
    begin
      v_cron_db := pg_catalog.current_setting('cron.database_name', true);
    exception when insufficient_privilege then
      v_cron_db := null;
    end;
    if v_cron_db is distinct from pg_catalog.current_database() then
      raise warning 'pg_cron is not installed in %: tenant metrics are not recorded here',
        pg_catalog.current_database();
      return;
    end if;
    create extension if not exists pg_cron;
  end if;
  perform cron.schedule('tjv-tenant-metrics', '* * * * *', 'select private.record_tenant_metrics()');
end
$$;

-- 7. Row times. Where the database owns created_at/updated_at (private.stamp_row_times, security
-- migration 20261206003001), the two new tables take its trigger as every table of public does; on a
-- schema without it, set_updated_at above keeps updated_at moving.
do $$
declare
  t text;
begin
  if pg_catalog.to_regprocedure('private.stamp_row_times()') is null then
    return;
  end if;
  foreach t in array array['quick_replies', 'workstation_heartbeats'] loop
    execute format('create trigger stamp_row_times before insert or update on public.%I '
                   'for each row execute function private.stamp_row_times()', t);
  end loop;
end
$$;

-- Escalation when nobody responds: an alert event none of whose copies was acknowledged or accepted
-- (every copy still 'active' or 'rejected') for longer than the tenant's delay gets a copy for each of
-- the tenant's coordinators/admins and for each actively assigned clinician who has none. The original
-- copies record when and to whom (escalated_at, escalated_to); each new copy points at the original
-- (escalated_from). Escalated copies do not escalate again. Runs every minute with pg_cron.

alter table public.tenants
  add column alert_escalation_after interval not null default interval '5 minutes'
    check (alert_escalation_after > interval '0'),
  add column alert_escalation_after_high interval
    check (alert_escalation_after_high > interval '0');
comment on column public.tenants.alert_escalation_after_high is
  'Delay for high-priority alerts; null: alert_escalation_after.';

alter table public.patient_alerts
  add column escalated_at timestamptz,
  add column escalated_to uuid[],
  add column escalated_from uuid references public.patient_alerts(id) on delete cascade;
create index patient_alerts_unanswered_idx on public.patient_alerts (created_at)
  where state in ('active', 'rejected') and escalated_at is null and escalated_from is null;
create index patient_alerts_escalated_from_idx on public.patient_alerts (escalated_from)
  where escalated_from is not null;

-- Returns the number of events escalated now. Safe to run concurrently and repeatedly: each event is
-- re-checked under its patient's lock (the lock raise_alert and the vital-signs trigger take).
create or replace function private.escalate_unanswered_alerts() returns int
language plpgsql volatile security definer set search_path = '' as $$
declare
  e record;
  v_original public.patient_alerts;
  v_to uuid[];
  v_copies jsonb;
  v_count int := 0;
begin
  for e in
    select a.event_id, a.patient_id, a.tenant_id
      from public.patient_alerts a
      join public.tenants t on t.id = a.tenant_id
     where a.escalated_from is null and a.state <> 'resolved'
     group by a.event_id, a.patient_id, a.tenant_id, t.alert_escalation_after, t.alert_escalation_after_high
    having bool_and(a.state in ('active', 'rejected') and a.escalated_at is null)
       and min(a.created_at) + case when max(private.priority_rank(a.priority)) = 3
                                    then coalesce(t.alert_escalation_after_high, t.alert_escalation_after)
                                    else t.alert_escalation_after end <= now()
  loop
    perform 1 from public.patients p where p.id = e.patient_id for no key update;
    -- Acknowledged, accepted, resolved or escalated since the candidates were read: nothing to do.
    continue when exists (
      select 1 from public.patient_alerts a
       where a.event_id = e.event_id and a.escalated_from is null
         and (a.escalated_at is not null or a.state not in ('active', 'rejected')));
    select * into v_original from public.patient_alerts a
     where a.event_id = e.event_id and a.escalated_from is null order by a.created_at, a.id limit 1;

    v_to := array(
      select pr.id from public.providers pr
       where pr.tenant_id = e.tenant_id and pr.active and pr.role in ('coordinator', 'admin')
      union
      select a.provider_id from public.provider_assignments a
        join public.providers pr on pr.id = a.provider_id and pr.active and pr.tenant_id = e.tenant_id
       where a.patient_id = e.patient_id and a.active
         and not exists (select 1 from public.patient_alerts x
                          where x.event_id = e.event_id and x.provider_id = a.provider_id)
      order by 1);

    with copies as (
      insert into public.patient_alerts (event_id, tenant_id, patient_id, provider_id, priority, kind, message,
                                         value, limit_value, unit, news2_score, raised_at, escalated_from)
      select v_original.event_id, v_original.tenant_id, v_original.patient_id, r.provider_id,
             v_original.priority, v_original.kind, v_original.message, v_original.value,
             v_original.limit_value, v_original.unit, v_original.news2_score, v_original.raised_at,
             v_original.id
        from unnest(v_to) r(provider_id)
       where not exists (select 1 from public.patient_alerts x
                          where x.event_id = e.event_id and x.provider_id = r.provider_id)
      returning id, provider_id
    )
    select coalesce(jsonb_agg(jsonb_build_object('alert_id', c.id, 'provider_id', c.provider_id)), '[]')
      into v_copies from copies c;

    update public.patient_alerts a set escalated_at = now(), escalated_to = v_to
     where a.event_id = e.event_id and a.escalated_from is null;

    perform private.write_audit(e.tenant_id, 'alert.escalate_unanswered', 'patient_alerts', e.event_id::text,
      e.patient_id, null,
      jsonb_build_object('kind', v_original.kind, 'priority', v_original.priority,
                         'unanswered_since', v_original.created_at, 'escalated_to', to_jsonb(v_to),
                         'copies', v_copies));
    if cardinality(v_to) = 0 then
      raise warning 'unanswered alert event % has no coordinator to escalate to', e.event_id;
    end if;
    v_count := v_count + 1;
  end loop;
  return v_count;
end
$$;

revoke all on function private.escalate_unanswered_alerts() from public;

-- pg_cron runs jobs from one database (cron.database_name; on Supabase, postgres). In any other
-- database of the same cluster (the sandbox's test databases) the job cannot be scheduled: said, not failed.
do $$
declare
  v_cron_db text;
begin
  if not exists (select 1 from pg_catalog.pg_extension where extname = 'pg_cron') then
    begin
      v_cron_db := pg_catalog.current_setting('cron.database_name', true);
      if v_cron_db is null then
        raise exception 'pg_cron is not loaded: it must be in shared_preload_libraries (hosted Supabase has it)'
          using errcode = '55000';
      end if;
    exception when insufficient_privilege then
      v_cron_db := null;  -- not readable by this role: create extension decides
    end;
    if v_cron_db <> pg_catalog.current_database() then
      raise warning 'pg_cron schedules jobs from database %, not %: unanswered alerts are not escalated here',
        v_cron_db, pg_catalog.current_database();
      return;
    end if;
    create extension if not exists pg_cron;
  end if;
  perform cron.schedule('tjv-escalate-unanswered-alerts', '* * * * *',
                        'select private.escalate_unanswered_alerts()');
end
$$;

-- The clinical work is done by the database: every committed insert into vital_signs is scored (NEWS2),
-- judged against the tenant's alert rules (with the patient's own limits from an active care plan),
-- and turned into patient_status, raised alerts, priority rises and resolutions. Nothing else has to
-- run beside the migrations for alerts to reach the stations.
--
-- Contract:
--   alert_rules            per tenant: (kind, priority) -> measure, direction, limit. New tenants get
--                          private.default_alert_rules(); coordinators and admins edit their tenant's.
--   patient_alert_limits   a care plan's own limit for one rule (kind, priority, measure) of its patient; applies
--                          while the care plan is active (the most recently updated plan wins).
--   care_plans.spo2_scale  2 = NEWS2 SpO2 scale 2 (hypercapnic respiratory failure); null or 1 = scale 1.
--   tenants.alert_clear_after  an open alert resolves once its condition was judged absent for this long.
--   Storm bound: one open alert (per event, one copy per recipient) per patient and kind; a worse
--   priority updates it and annunciates it again.

-- ---------------------------------------------------------------------------------------------------
-- Settings

alter table public.tenants
  add column alert_clear_after interval not null default interval '2 minutes'
    check (alert_clear_after >= interval '0');

alter table public.care_plans
  add column spo2_scale smallint check (spo2_scale in (1, 2));
grant update (spo2_scale) on public.care_plans to authenticated;

-- ---------------------------------------------------------------------------------------------------
-- NEWS2 (Royal College of Physicians, 2017). Sub-scores of the parameters present; absent ones are
-- counted in `missing`, never guessed. Temperature is scored at its recorded 0.1 °C resolution.

create type private.news2_result as (
  respiratory_rate int, spo2 int, on_oxygen int, systolic_bp int, heart_rate int, consciousness int,
  temperature int, aggregate int, max_single int, risk text, missing int
);

create or replace function private.news2(
  p_respiratory_rate int, p_spo2 int, p_on_oxygen boolean, p_systolic_bp int, p_heart_rate int,
  p_consciousness text, p_temperature numeric, p_spo2_scale int default 1
) returns private.news2_result
language sql immutable set search_path = '' as $$
  select s.rr, s.sp, s.o2, s.sbp, s.hr, s.cons, s.temp, a.total, a.top,
         case when a.total >= 7 then 'high' when a.total >= 5 then 'medium'
              when a.top >= 3 then 'low-medium' else 'low' end,
         num_nulls(s.rr, s.sp, s.sbp, s.hr, s.cons, s.temp)
  from (
    select
      case when p_respiratory_rate is null then null when p_respiratory_rate <= 8 then 3
           when p_respiratory_rate <= 11 then 1 when p_respiratory_rate <= 20 then 0
           when p_respiratory_rate <= 24 then 2 else 3 end as rr,
      case when p_spo2 is null then null
           when coalesce(p_spo2_scale, 1) = 2 then
             case when p_spo2 <= 83 then 3 when p_spo2 <= 85 then 2 when p_spo2 <= 87 then 1
                  when p_spo2 <= 92 or not coalesce(p_on_oxygen, false) then 0
                  when p_spo2 <= 94 then 1 when p_spo2 <= 96 then 2 else 3 end
           when p_spo2 <= 91 then 3 when p_spo2 <= 93 then 2 when p_spo2 <= 95 then 1 else 0 end as sp,
      case when coalesce(p_on_oxygen, false) then 2 else 0 end as o2,
      case when p_systolic_bp is null then null when p_systolic_bp <= 90 then 3
           when p_systolic_bp <= 100 then 2 when p_systolic_bp <= 110 then 1
           when p_systolic_bp <= 219 then 0 else 3 end as sbp,
      case when p_heart_rate is null then null when p_heart_rate <= 40 then 3
           when p_heart_rate <= 50 then 1 when p_heart_rate <= 90 then 0
           when p_heart_rate <= 110 then 1 when p_heart_rate <= 130 then 2 else 3 end as hr,
      case when p_consciousness is null then null when upper(p_consciousness) = 'A' then 0 else 3 end as cons,
      case when p_temperature is null then null when round(p_temperature, 1) <= 35.0 then 3
           when round(p_temperature, 1) <= 36.0 then 1 when round(p_temperature, 1) <= 38.0 then 0
           when round(p_temperature, 1) <= 39.0 then 1 else 2 end as temp
  ) s
  cross join lateral (
    select coalesce(s.rr, 0) + coalesce(s.sp, 0) + s.o2 + coalesce(s.sbp, 0) + coalesce(s.hr, 0)
             + coalesce(s.cons, 0) + coalesce(s.temp, 0) as total,
           greatest(s.rr, s.sp, s.o2, s.sbp, s.hr, s.cons, s.temp) as top
  ) a
$$;

-- ---------------------------------------------------------------------------------------------------
-- Alert rules: data, per tenant, with per-patient limits

-- What a rule can read, and how a message names it.
create or replace function private.alert_measure_label(p_measure text, out label text, out unit text)
language sql immutable set search_path = '' as $$
  select m.label, m.unit from (values
    ('news2', 'NEWS2 score', 'points'), ('news2_single', 'NEWS2 single-parameter score', 'points'),
    ('temperature', 'Temperature', '°C'), ('heart_rate', 'Heart rate', 'bpm'), ('spo2', 'SpO2', '%'),
    ('systolic_bp', 'Systolic BP', 'mmHg'), ('diastolic_bp', 'Diastolic BP', 'mmHg'),
    ('respiratory_rate', 'Respiratory rate', '/min'), ('pain_score', 'Pain score', '/10')
  ) m(measure, label, unit) where m.measure = p_measure
$$;

create table public.alert_rules (
  id uuid primary key default gen_random_uuid(),
  tenant_id uuid not null references public.tenants(id) on delete cascade,
  kind text not null check (kind ~ '^[a-z][a-z0-9_]{0,39}$'),
  priority text not null check (priority in ('high', 'medium', 'low')),
  measure text not null check (measure in ('news2', 'news2_single', 'temperature', 'heart_rate', 'spo2',
                                           'systolic_bp', 'diastolic_bp', 'respiratory_rate', 'pain_score')),
  direction text not null check (direction in ('above', 'below')),
  limit_value numeric not null,
  enabled boolean not null default true,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  unique (tenant_id, kind, priority, measure)
);
comment on table public.alert_rules is
  'Fires when the measure is beyond limit_value (above: value > limit, below: value < limit). Of the '
  'rules of one kind that fire, the highest priority is the alert (one open alert per patient and kind).';

create table public.patient_alert_limits (
  id uuid primary key default gen_random_uuid(),
  tenant_id uuid not null references public.tenants(id),
  patient_id uuid not null references public.patients(id) on delete cascade,
  care_plan_id uuid not null references public.care_plans(id) on delete cascade,
  kind text not null,
  priority text not null check (priority in ('high', 'medium', 'low')),
  measure text not null,
  limit_value numeric not null,
  created_by uuid references public.providers(id) on delete set null default private.current_provider_id(),
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  unique (care_plan_id, kind, priority, measure)
);
create index patient_alert_limits_patient_idx on public.patient_alert_limits (patient_id);

-- The defaults a tenant starts with (the product's rules; the client's domain/news2.py shows the same).
create or replace function private.default_alert_rules()
returns table (kind text, priority text, measure text, direction text, limit_value numeric)
language sql immutable set search_path = '' as $$
  values
    ('news2',       'high',   'news2',            'above',  6),    -- aggregate >= 7
    ('news2',       'medium', 'news2',            'above',  4),    -- aggregate 5-6 (or a single 3, below)
    ('news2',       'medium', 'news2_single',     'above',  2),    -- any parameter scores 3
    ('fever',       'low',    'temperature',      'above',  38.0),
    ('fever',       'medium', 'temperature',      'above',  39.0),
    ('tachycardia', 'medium', 'heart_rate',       'above',  110),
    ('tachycardia', 'high',   'heart_rate',       'above',  130),
    ('hypoxia',     'medium', 'spo2',             'below',  94),   -- <= 93 %
    ('hypoxia',     'high',   'spo2',             'below',  92),   -- <= 91 %
    ('hypotension', 'medium', 'systolic_bp',      'below',  101),
    ('hypotension', 'high',   'systolic_bp',      'below',  91),
    ('tachypnoea',  'low',    'respiratory_rate', 'above',  20),
    ('tachypnoea',  'high',   'respiratory_rate', 'above',  24),
    ('pain',        'low',    'pain_score',       'above',  6),
    ('pain',        'medium', 'pain_score',       'above',  8)
$$;

create or replace function private.add_default_alert_rules() returns trigger
language plpgsql security definer set search_path = '' as $$
begin
  insert into public.alert_rules (tenant_id, kind, priority, measure, direction, limit_value)
  select n.id, d.kind, d.priority, d.measure, d.direction, d.limit_value
    from new_tenants n cross join private.default_alert_rules() d
  on conflict (tenant_id, kind, priority, measure) do nothing;
  return null;
end
$$;

create trigger add_default_alert_rules after insert on public.tenants
  referencing new table as new_tenants
  for each statement execute function private.add_default_alert_rules();

insert into public.alert_rules (tenant_id, kind, priority, measure, direction, limit_value)
select t.id, d.kind, d.priority, d.measure, d.direction, d.limit_value
  from public.tenants t cross join private.default_alert_rules() d
on conflict (tenant_id, kind, priority, measure) do nothing;

-- A limit belongs to its care plan's patient and tenant, whatever the writer sent.
create or replace function private.fill_limit_from_care_plan() returns trigger
language plpgsql security definer set search_path = '' as $$
begin
  select c.patient_id, c.tenant_id into new.patient_id, new.tenant_id
    from public.care_plans c where c.id = new.care_plan_id;
  return new;
end
$$;

create trigger fill_limit_from_care_plan before insert or update on public.patient_alert_limits
  for each row execute function private.fill_limit_from_care_plan();

-- Who changed which limit is kept (Joint Commission NPSG.06.01.01: who may change alarm settings).
create or replace function private.audit_rule_change() returns trigger
language plpgsql security definer set search_path = '' as $$
declare
  v_row jsonb := to_jsonb(coalesce(new, old));
begin
  perform private.write_audit((v_row ->> 'tenant_id')::uuid, tg_table_name || '.' || lower(tg_op), tg_table_name,
    v_row ->> 'id', (v_row ->> 'patient_id')::uuid, null,
    jsonb_build_object('old', case when tg_op <> 'INSERT' then to_jsonb(old) end,
                       'new', case when tg_op <> 'DELETE' then to_jsonb(new) end));
  return null;
end
$$;

create trigger audit_rule_change after insert or update or delete on public.alert_rules
  for each row execute function private.audit_rule_change();
create trigger audit_rule_change after insert or update or delete on public.patient_alert_limits
  for each row execute function private.audit_rule_change();
create trigger audit_spo2_scale_change after update of spo2_scale on public.care_plans
  for each row when (old.spo2_scale is distinct from new.spo2_scale)
  execute function private.audit_rule_change();

do $$
declare
  t text;
begin
  foreach t in array array['alert_rules', 'patient_alert_limits'] loop
    execute format('create trigger set_updated_at before update on public.%I '
                   'for each row execute function private.set_updated_at()', t);
    execute format('alter table public.%I enable row level security', t);
    execute format('revoke truncate, references, trigger on public.%I from anon, authenticated', t);
  end loop;
end
$$;

create policy "providers read their tenant's alert rules" on public.alert_rules
  for select to authenticated
  using (tenant_id = (select private.current_tenant_id()));

create policy "coordinators write their tenant's alert rules" on public.alert_rules
  for all to authenticated
  using (tenant_id = (select private.current_tenant_id())
         and (select (private.current_provider()).role) in ('coordinator', 'admin'))
  with check (tenant_id = (select private.current_tenant_id())
              and (select (private.current_provider()).role) in ('coordinator', 'admin'));

create policy "limits of visible patients" on public.patient_alert_limits
  for select to authenticated
  using (patient_id in (select private.visible_patient_ids()));

-- The care team sets limits on the care plans it may edit (same reach as "providers update care plans").
create policy "providers set limits of visible patients" on public.patient_alert_limits
  for all to authenticated
  using ((select private.current_provider_id()) is not null
         and patient_id in (select private.visible_patient_ids()))
  with check ((select private.current_provider_id()) is not null
              and patient_id in (select private.visible_patient_ids()));

-- ---------------------------------------------------------------------------------------------------
-- Judging samples

-- Effective rules of the patients given: the tenant's enabled rules, the limit replaced by an active
-- care plan's own limit for that rule.
create or replace function private.effective_alert_rules(p_patient_ids uuid[])
returns table (patient_id uuid, kind text, priority text, measure text, direction text, limit_value numeric)
language plpgsql stable security definer set search_path = '' as $$
#variable_conflict use_column
begin
  return query
  select p.id, r.kind, r.priority, r.measure, r.direction, coalesce(o.limit_value, r.limit_value)
    from public.patients p
    join public.alert_rules r on r.tenant_id = p.tenant_id and r.enabled
    left join lateral (
      select l.limit_value from public.patient_alert_limits l
        join public.care_plans c on c.id = l.care_plan_id and c.status = 'active'
       where l.patient_id = p.id and l.kind = r.kind and l.priority = r.priority and l.measure = r.measure
       order by c.updated_at desc limit 1
    ) o on true
   where p.id = any(p_patient_ids);
end
$$;

-- Every sample with its NEWS2 and, per rule kind of its patient, the highest-priority rule that fires
-- (fire_rank null: none) and whether the sample measured what the kind reads (can_judge). A sample whose
-- tenant has no rules still yields one row, with kind null.
create or replace function private.judge_vitals(p_vitals public.vital_signs[])
returns table (
  vital_id bigint, patient_id uuid, tenant_id uuid, measured_at timestamptz, at timestamptz,
  news2 private.news2_result,
  kind text, fire_rank int, priority text, measure text, value numeric, limit_value numeric,
  can_judge boolean
)
language plpgsql stable security definer set search_path = '' as $$
#variable_conflict use_column
begin
  -- PL/pgSQL, not SQL: its plan is kept for the session instead of being made again at every insert.
  return query
  with v as materialized (
    select x.* from unnest(p_vitals) x
  ), scales as materialized (
    select p.id as patient_id,
           coalesce((select c.spo2_scale from public.care_plans c
                      where c.patient_id = p.id and c.status = 'active' and c.spo2_scale is not null
                      order by c.updated_at desc limit 1), 1) as scale
      from public.patients p where p.id in (select v.patient_id from v)
  ), scored as materialized (  -- once per sample: a composite used by field is otherwise re-evaluated
    select v.*, private.news2(v.respiratory_rate, v.spo2, v.on_oxygen, v.systolic_bp, v.heart_rate,
                              v.consciousness, v.temperature, s.scale) as n2
      from v join scales s on s.patient_id = v.patient_id
  ), rules as (
    select * from private.effective_alert_rules(array(select distinct v.patient_id from v))
  ), evaluated as materialized (
    select sc.id, sc.patient_id, sc.tenant_id, sc.measured_at, least(sc.measured_at, now()) as at, sc.n2,
           r.kind, r.priority, r.measure, r.limit_value, m.value,
           m.value is not null and case r.direction when 'above' then m.value > r.limit_value
                                                    else m.value < r.limit_value end as fires,
           case when r.measure in ('news2', 'news2_single') then (sc.n2).missing = 0
                else m.value is not null end as judgeable
      from scored sc
      left join rules r on r.patient_id = sc.patient_id
      left join lateral (select case r.measure
          when 'news2' then (sc.n2).aggregate when 'news2_single' then (sc.n2).max_single
          when 'temperature' then sc.temperature when 'heart_rate' then sc.heart_rate
          when 'spo2' then sc.spo2 when 'systolic_bp' then sc.systolic_bp
          when 'diastolic_bp' then sc.diastolic_bp when 'respiratory_rate' then sc.respiratory_rate
          when 'pain_score' then sc.pain_score end::numeric as value) m on true
  )
  select distinct on (e.id, e.kind)
         e.id, e.patient_id, e.tenant_id, e.measured_at, e.at, e.n2, e.kind,
         case when e.fires then private.priority_rank(e.priority) end,
         e.priority, e.measure, e.value, e.limit_value,
         bool_and(e.judgeable) over (partition by e.id, e.kind)
    from evaluated e
   order by e.id, e.kind, e.fires desc nulls last, private.priority_rank(e.priority) desc;
end
$$;

create or replace function private.format_measure(p_measure text, p_value numeric) returns text
language sql immutable set search_path = '' as $$
  select case when p_measure = 'temperature' then to_char(round(p_value, 1), 'FM990.0')
              else trim_scale(p_value)::text end
         || case when l.unit like '/%' then l.unit else ' ' || l.unit end
    from private.alert_measure_label(p_measure) l
$$;

-- "Heart rate 134 bpm (limit 130 bpm)"; NEWS2 kinds add the risk band or the parameters scoring 3.
create or replace function private.describe_alert(
  p_measure text, p_value numeric, p_limit numeric, p_vital public.vital_signs, p_news2 private.news2_result
) returns text
language sql stable set search_path = '' as $$
  select l.label || ' ' || private.format_measure(p_measure, p_value)
         || ' (limit ' || private.format_measure(p_measure, p_limit) || ')'
         || case p_measure
              when 'news2' then ', ' || p_news2.risk || ' risk'
                || case when p_news2.missing > 0 then ' (' || p_news2.missing || ' not measured)' else '' end
              when 'news2_single' then ': ' || coalesce((
                select string_agg(c.text, ', ' order by c.ord) from (values
                  (1, p_news2.respiratory_rate, 'Respiratory rate ' || private.format_measure('respiratory_rate', p_vital.respiratory_rate)),
                  (2, p_news2.spo2, 'SpO2 ' || private.format_measure('spo2', p_vital.spo2)),
                  (3, p_news2.systolic_bp, 'Systolic BP ' || private.format_measure('systolic_bp', p_vital.systolic_bp)),
                  (4, p_news2.heart_rate, 'Heart rate ' || private.format_measure('heart_rate', p_vital.heart_rate)),
                  (5, p_news2.consciousness, 'new confusion'),
                  (6, p_news2.temperature, 'Temperature ' || private.format_measure('temperature', p_vital.temperature))
                ) c(ord, score, text) where c.score = 3), '')
              else '' end
    from private.alert_measure_label(p_measure) l
$$;

-- ---------------------------------------------------------------------------------------------------
-- Alerts from samples

-- When an open alert's condition was first judged absent (deleted when the condition returns or the
-- alert resolves). Keyed by event: every copy of an alert shares it.
create table private.alert_clearing (
  event_id uuid primary key,
  cleared_since timestamptz not null
);

-- One copy per actively assigned active provider, else per coordinator/admin (as raise_alert routes).
-- Returns the event id, or null when nobody could be routed to (audited, never an error: the sample
-- that warranted it must not be lost).
create or replace function private.open_vital_alert(
  p_patient_id uuid, p_tenant_id uuid, p_priority text, p_kind text, p_message text, p_value numeric,
  p_limit numeric, p_unit text, p_news2 int, p_raised_at timestamptz
) returns uuid
language plpgsql volatile security definer set search_path = '' as $$
declare
  v_event uuid := gen_random_uuid();
  v_rows jsonb;
begin
  insert into public.patient_alerts (event_id, tenant_id, patient_id, provider_id, priority, kind, message,
                                     value, limit_value, unit, news2_score, raised_at)
  select v_event, p_tenant_id, p_patient_id, a.provider_id, p_priority, p_kind, p_message,
         p_value, p_limit, p_unit, p_news2, p_raised_at
    from public.provider_assignments a
    join public.providers pr on pr.id = a.provider_id
   where a.patient_id = p_patient_id and a.active and pr.active and pr.tenant_id = p_tenant_id;
  if not found then
    insert into public.patient_alerts (event_id, tenant_id, patient_id, provider_id, priority, kind, message,
                                       value, limit_value, unit, news2_score, raised_at)
    select v_event, p_tenant_id, p_patient_id, pr.id, p_priority, p_kind, p_message,
           p_value, p_limit, p_unit, p_news2, p_raised_at
      from public.providers pr
     where pr.tenant_id = p_tenant_id and pr.active and pr.role in ('coordinator', 'admin');
  end if;
  select coalesce(jsonb_agg(jsonb_build_object('alert_id', a.id, 'provider_id', a.provider_id)), '[]')
    into v_rows from public.patient_alerts a where a.event_id = v_event;
  perform private.write_audit(p_tenant_id, case when v_rows = '[]' then 'alert.unroutable' else 'alert.raise' end,
    'patient_alerts', v_event::text, p_patient_id, null,
    jsonb_build_object('kind', p_kind, 'priority', p_priority, 'message', p_message, 'value', p_value,
                       'limit', p_limit, 'unit', p_unit, 'news2', p_news2, 'routed', v_rows,
                       'source', 'vital_signs', 'raised_at', p_raised_at));
  if v_rows = '[]' then
    raise warning 'alert % for patient % has no one to route to: no active assignment and no coordinator',
      p_kind, p_patient_id;
    return null;
  end if;
  return v_event;
end
$$;

-- A worse condition updates every open copy and annunciates it again (IEC 60601-1-8), as raise_alert does.
create or replace function private.raise_vital_alert_priority(
  p_event_id uuid, p_priority text, p_message text, p_value numeric, p_limit numeric, p_unit text,
  p_news2 int
) returns void
language plpgsql volatile security definer set search_path = '' as $$
declare
  v_tenant uuid;
  v_patient uuid;
  v_kind text;
begin
  with raised as (
    update public.patient_alerts a
       set priority = p_priority, message = p_message, value = p_value, limit_value = p_limit, unit = p_unit,
           news2_score = p_news2, state = 'active', acknowledged_by = null, acknowledged_at = null
     where a.event_id = p_event_id and a.state <> 'resolved'
    returning a.tenant_id, a.patient_id, a.kind
  )
  select r.tenant_id, r.patient_id, r.kind into v_tenant, v_patient, v_kind from raised r limit 1;
  perform private.write_audit(v_tenant, 'alert.escalate', 'patient_alerts', p_event_id::text, v_patient, null,
    jsonb_build_object('kind', v_kind, 'priority', p_priority, 'message', p_message, 'value', p_value,
                       'limit', p_limit, 'unit', p_unit, 'news2', p_news2, 'source', 'vital_signs'));
end
$$;

create or replace function private.resolve_vital_alert(p_event_id uuid, p_at timestamptz) returns void
language plpgsql volatile security definer set search_path = '' as $$
declare
  v_ids jsonb;
  v_tenant uuid;
  v_patient uuid;
  v_kind text;
begin
  with resolved as (
    update public.patient_alerts a set state = 'resolved', resolved_at = p_at
     where a.event_id = p_event_id and a.state <> 'resolved'
    returning a.id, a.tenant_id, a.patient_id, a.kind
  )
  select jsonb_agg(r.id), min(r.tenant_id::text)::uuid, min(r.patient_id::text)::uuid, min(r.kind)
    into v_ids, v_tenant, v_patient, v_kind from resolved r;
  delete from private.alert_clearing c where c.event_id = p_event_id;
  if v_ids is not null then
    perform private.write_audit(v_tenant, 'alert.resolve', 'patient_alerts', p_event_id::text, v_patient, null,
      jsonb_build_object('kind', v_kind, 'alert_ids', v_ids, 'source', 'vital_signs', 'resolved_at', p_at));
  end if;
end
$$;

create or replace function private.status_of(p_news2 private.news2_result, p_alert_rank int) returns text
language sql immutable set search_path = '' as $$
  select (array['stable', 'watch', 'deteriorating', 'critical'])[greatest(
    case p_news2.risk when 'high' then 4 when 'medium' then 3 when 'low-medium' then 2 else 1 end,
    case when p_alert_rank >= 3 then 3 when p_alert_rank >= 1 then 2 else 1 end)]
$$;
comment on function private.status_of(private.news2_result, int) is
  'patient_status.status of a sample: its NEWS2 risk band (low stable, low-medium watch, medium '
  'deteriorating, high critical), raised to watch by any alert it warrants and to deteriorating by a high one.';

-- The statement-level trigger: a gateway's batch is judged in one pass, each patient's samples in time
-- order. Patients are locked (as raise_alert does) so concurrent writers cannot open the same alert twice.
create or replace function private.apply_vital_rules() returns trigger
language plpgsql volatile security definer set search_path = '' as $$
declare
  v_all public.vital_signs[];
  r record;
  v_pair text;
  v_event uuid;
  v_rank int;
  v_cleared timestamptz;
  v_cleared_was timestamptz;
  v_clear_after interval;
  v_unit text;
begin
  select array_agg(n order by n.patient_id, n.measured_at, n.id) into v_all from new_vitals n;
  if v_all is null then
    return null;
  end if;
  perform 1 from public.patients p
   where p.id in (select n.patient_id from new_vitals n) order by p.id for no key update;

  -- Status from each patient's newest sample, unless a newer one is already known.
  insert into public.patient_status as s (patient_id, tenant_id, provider_id, status, news2_score, news2_risk,
                                          last_vitals_at)
  select j.patient_id, j.tenant_id,
         (select a.provider_id from public.provider_assignments a
            join public.providers pr on pr.id = a.provider_id and pr.active and pr.role = 'clinician'
           where a.patient_id = j.patient_id and a.active order by a.assigned_at, a.provider_id limit 1),
         private.status_of(j.news2, max(j.fire_rank)), (j.news2).aggregate, (j.news2).risk, j.measured_at
    from private.judge_vitals(array(
           select distinct on (n.patient_id) n from unnest(v_all) n order by n.patient_id, n.measured_at desc, n.id desc
         )) j
   group by j.vital_id, j.patient_id, j.tenant_id, j.news2, j.measured_at
  on conflict (patient_id) do update
     set status = excluded.status, news2_score = excluded.news2_score, news2_risk = excluded.news2_risk,
         last_vitals_at = excluded.last_vitals_at,
         provider_id = coalesce(s.provider_id, excluded.provider_id)
   where s.last_vitals_at is null or s.last_vitals_at <= excluded.last_vitals_at;

  -- Alerts: only (patient, kind) pairs with an open alert or a firing sample can change.
  for r in
    with judged as (
      select j.*, bool_or(j.fire_rank is not null) over (partition by j.patient_id, j.kind) as any_fire
        from private.judge_vitals(v_all) j where j.kind is not null
    ), open_alerts as (
      select a.patient_id, a.kind, (array_agg(a.event_id order by a.created_at))[1] as event_id,
             max(private.priority_rank(a.priority)) as open_rank
        from public.patient_alerts a
       where a.patient_id in (select n.patient_id from new_vitals n) and a.state <> 'resolved'
       group by a.patient_id, a.kind
    )
    select j.*, o.event_id, o.open_rank, c.cleared_since, t.alert_clear_after,
           j.patient_id::text || '/' || j.kind as pair
      from judged j
      join public.tenants t on t.id = j.tenant_id
      left join open_alerts o on o.patient_id = j.patient_id and o.kind = j.kind
      left join private.alert_clearing c on c.event_id = o.event_id
     where j.any_fire or o.event_id is not null
     order by j.patient_id, j.kind, j.at, j.vital_id
  loop
    if v_pair is distinct from r.pair then
      if v_event is not null and v_cleared is distinct from v_cleared_was then
        perform private.save_clearing(v_event, v_cleared);
      end if;
      v_pair := r.pair;
      v_event := r.event_id;
      v_rank := r.open_rank;
      v_cleared := r.cleared_since;
      v_cleared_was := r.cleared_since;
      v_clear_after := r.alert_clear_after;
    end if;
    if r.fire_rank is not null then
      v_unit := (private.alert_measure_label(r.measure)).unit;
      if v_event is null then
        v_event := private.open_vital_alert(r.patient_id, r.tenant_id, r.priority, r.kind,
          private.describe_alert(r.measure, r.value, r.limit_value,
                                 (select x from unnest(v_all) x where x.id = r.vital_id), r.news2),
          r.value, r.limit_value, v_unit, (r.news2).aggregate, r.at);
        v_rank := r.fire_rank;
        v_cleared_was := null;
      elsif r.fire_rank > v_rank then
        perform private.raise_vital_alert_priority(v_event, r.priority,
          private.describe_alert(r.measure, r.value, r.limit_value,
                                 (select x from unnest(v_all) x where x.id = r.vital_id), r.news2),
          r.value, r.limit_value, v_unit, (r.news2).aggregate);
        v_rank := r.fire_rank;
      end if;
      v_cleared := null;
    elsif r.can_judge and v_event is not null then
      v_cleared := coalesce(v_cleared, r.at);
      if r.at - v_cleared >= v_clear_after then
        perform private.resolve_vital_alert(v_event, r.at);
        v_event := null;
        v_rank := null;
        v_cleared := null;
        v_cleared_was := null;
      end if;
    end if;
  end loop;
  if v_event is not null and v_cleared is distinct from v_cleared_was then
    perform private.save_clearing(v_event, v_cleared);
  end if;
  return null;
end
$$;

create or replace function private.save_clearing(p_event_id uuid, p_cleared_since timestamptz) returns void
language sql volatile security definer set search_path = '' as $$
  delete from private.alert_clearing c where c.event_id = p_event_id and p_cleared_since is null;
  insert into private.alert_clearing (event_id, cleared_since)
  select p_event_id, p_cleared_since where p_cleared_since is not null
  on conflict (event_id) do update set cleared_since = excluded.cleared_since;
$$;

create trigger apply_vital_rules after insert on public.vital_signs
  referencing new table as new_vitals
  for each statement execute function private.apply_vital_rules();

revoke all on all functions in schema private from public;
revoke all on table private.alert_clearing from public, anon, authenticated;
alter table private.alert_clearing enable row level security;  -- no policy: only its owner's functions

-- Core tables of TJV Desktop. Applied unchanged to hosted Supabase and to the sandbox.
-- Every table: uuid (or identity) primary key, tenant_id, updated_at maintained by a trigger; RLS is
-- enabled and the policies are written in the next migration.

create schema if not exists private;
-- Not exposed by the API; authenticated needs usage only to evaluate the policy helpers.
revoke all on schema private from public;
grant usage on schema private to authenticated;

-- Strictly increasing per row, so a client can always tell the newer version of a row.
create or replace function private.set_updated_at() returns trigger
language plpgsql set search_path = '' as $$
begin
  new.updated_at := greatest(clock_timestamp(), old.updated_at + interval '1 microsecond');
  return new;
end
$$;

-- Child rows of a patient always carry the patient's tenant: tenant_id is derived, never trusted.
create or replace function private.fill_tenant_from_patient() returns trigger
language plpgsql security definer set search_path = '' as $$
declare
  v_tenant uuid;
begin
  if new.patient_id is not null then
    select p.tenant_id into v_tenant from public.patients p where p.id = new.patient_id;
    -- A missing patient is left to the foreign key to report.
    new.tenant_id := coalesce(v_tenant, new.tenant_id);
  end if;
  return new;
end
$$;

create or replace function private.check_assignment_tenant() returns trigger
language plpgsql security definer set search_path = '' as $$
begin
  if not exists (
    select 1 from public.providers pr join public.patients p on p.tenant_id = pr.tenant_id
    where pr.id = new.provider_id and p.id = new.patient_id and p.tenant_id = new.tenant_id
  ) then
    raise exception 'provider %, patient % and tenant % of an assignment must share one tenant',
      new.provider_id, new.patient_id, new.tenant_id using errcode = '23514';
  end if;
  return new;
end
$$;

revoke all on all functions in schema private from public;

create table public.tenants (
  id uuid primary key default gen_random_uuid(),
  name text not null,
  slug text not null unique,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now()
);

create table public.providers (
  id uuid primary key default gen_random_uuid(),
  tenant_id uuid not null references public.tenants(id),
  user_id uuid unique references auth.users(id) on delete set null,
  full_name text not null,
  email text,
  role text not null check (role in ('clinician', 'coordinator', 'admin')),
  discipline text,
  active boolean not null default true,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now()
);
create index providers_tenant_idx on public.providers (tenant_id);

create table public.patients (
  id uuid primary key default gen_random_uuid(),
  tenant_id uuid not null references public.tenants(id),
  user_id uuid unique references auth.users(id) on delete set null,
  mrn text,
  full_name text not null,
  date_of_birth date,
  procedure text check (procedure in ('THA', 'TKA')),
  side text check (side in ('left', 'right', 'bilateral')),
  surgery_date date,
  discharge_date date,
  surgeon_id uuid references public.providers(id) on delete set null,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  unique (tenant_id, mrn)
);
create index patients_tenant_idx on public.patients (tenant_id);

create table public.provider_assignments (
  id uuid primary key default gen_random_uuid(),
  tenant_id uuid not null references public.tenants(id),
  provider_id uuid not null references public.providers(id) on delete cascade,
  patient_id uuid not null references public.patients(id) on delete cascade,
  permissions text[] not null default '{view,acknowledge,accept}',
  active boolean not null default true,
  assigned_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  unique (provider_id, patient_id)
);
create index provider_assignments_patient_idx on public.provider_assignments (patient_id) where active;

create table public.vital_signs (
  id bigint generated always as identity primary key,
  tenant_id uuid not null references public.tenants(id),
  patient_id uuid not null references public.patients(id) on delete cascade,
  measured_at timestamptz not null,
  heart_rate int,
  spo2 int,
  respiratory_rate int,
  temperature numeric(4, 1),
  systolic_bp int,
  diastolic_bp int,
  pain_score int check (pain_score between 0 and 10),
  consciousness text not null default 'A' check (consciousness in ('A', 'C', 'V', 'P', 'U')),
  on_oxygen boolean not null default false,
  source text not null default 'device' check (source in ('device', 'manual', 'simulator')),
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now()
);
create index vital_signs_patient_measured_idx on public.vital_signs (patient_id, measured_at desc);
create index vital_signs_updated_idx on public.vital_signs (updated_at);

create table public.patient_alerts (
  id uuid primary key default gen_random_uuid(),
  event_id uuid not null,
  tenant_id uuid not null references public.tenants(id),
  patient_id uuid not null references public.patients(id) on delete cascade,
  provider_id uuid not null references public.providers(id) on delete cascade,
  priority text not null check (priority in ('high', 'medium', 'low')),
  kind text not null,
  message text not null,
  value numeric,
  limit_value numeric,
  unit text,
  news2_score int,
  raised_at timestamptz not null default now(),
  state text not null default 'active'
    check (state in ('active', 'acknowledged', 'accepted', 'rejected', 'resolved')),
  acknowledged_by uuid references public.providers(id) on delete set null,
  acknowledged_at timestamptz,
  accepted_by uuid references public.providers(id) on delete set null,
  accepted_at timestamptz,
  rejected_by uuid references public.providers(id) on delete set null,
  rejected_at timestamptz,
  rejection_reason text,
  resolved_at timestamptz,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now()
);
create index patient_alerts_provider_state_idx on public.patient_alerts (provider_id, state);
create index patient_alerts_patient_idx on public.patient_alerts (patient_id);
create index patient_alerts_event_idx on public.patient_alerts (event_id);
create index patient_alerts_updated_idx on public.patient_alerts (updated_at);
-- Realtime needs the whole old row to check RLS on UPDATE/DELETE events.
alter table public.patient_alerts replica identity full;

create table public.patient_status (
  patient_id uuid primary key references public.patients(id) on delete cascade,
  tenant_id uuid not null references public.tenants(id),
  provider_id uuid references public.providers(id) on delete set null,
  status text not null default 'stable'
    check (status in ('stable', 'watch', 'deteriorating', 'critical', 'offline')),
  news2_score int,
  news2_risk text check (news2_risk in ('low', 'low-medium', 'medium', 'high')),
  last_vitals_at timestamptz,
  updated_at timestamptz not null default now()
);
create index patient_status_provider_idx on public.patient_status (provider_id);
alter table public.patient_status replica identity full;

create table public.messages (
  id uuid primary key default gen_random_uuid(),
  tenant_id uuid not null references public.tenants(id),
  patient_id uuid not null references public.patients(id) on delete cascade,
  provider_id uuid references public.providers(id) on delete set null,
  sender_role text not null check (sender_role in ('patient', 'provider', 'system')),
  sender_user_id uuid default auth.uid(),
  body text not null,
  read_at timestamptz,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now()
);
create index messages_patient_created_idx on public.messages (patient_id, created_at desc);
create index messages_updated_idx on public.messages (updated_at);

create table public.care_plans (
  id uuid primary key default gen_random_uuid(),
  tenant_id uuid not null references public.tenants(id),
  patient_id uuid not null references public.patients(id) on delete cascade,
  title text not null,
  goals jsonb not null default '[]'::jsonb,
  instructions text,
  status text not null default 'active' check (status in ('active', 'completed')),
  created_by uuid references public.providers(id) on delete set null,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now()
);
create index care_plans_patient_idx on public.care_plans (patient_id);

create table public.system_metrics (
  id bigint generated by default as identity primary key,
  tenant_id uuid not null references public.tenants(id),
  metric text not null,
  value double precision,
  labels jsonb not null default '{}'::jsonb,
  recorded_at timestamptz not null default now(),
  updated_at timestamptz not null default now()
);
create index system_metrics_tenant_recorded_idx on public.system_metrics (tenant_id, recorded_at desc);

create table public.collaboration_sessions (
  id uuid primary key default gen_random_uuid(),
  tenant_id uuid not null references public.tenants(id),
  title text not null,
  kind text not null default 'handoff' check (kind in ('handoff', 'case_review')),
  patient_id uuid references public.patients(id) on delete set null,
  created_by uuid not null references public.providers(id),
  status text not null default 'open' check (status in ('open', 'closed')),
  document_state text,
  document_text text,
  closed_at timestamptz,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now()
);
create index collaboration_sessions_tenant_idx on public.collaboration_sessions (tenant_id, status);

create or replace function private.stamp_session_closed() returns trigger
language plpgsql set search_path = '' as $$
begin
  if new.status = 'closed' and old.status <> 'closed' and new.closed_at is null then
    new.closed_at := now();
  end if;
  return new;
end
$$;
revoke all on function private.stamp_session_closed() from public;

-- No foreign keys to patients or providers: an audit row must outlive what it names, and a
-- cascading "set null" would be an UPDATE, which the append-only trigger refuses.
create table public.audit_log (
  id bigint generated always as identity primary key,
  tenant_id uuid not null references public.tenants(id),
  actor_user_id uuid,
  actor_provider_id uuid,
  action text not null,
  entity text not null,
  entity_id text,
  patient_id uuid,
  action_id uuid,
  details jsonb not null default '{}'::jsonb,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now()
);
create index audit_log_tenant_created_idx on public.audit_log (tenant_id, created_at desc);
create index audit_log_patient_idx on public.audit_log (patient_id);
create index audit_log_actor_idx on public.audit_log (actor_user_id);

create or replace function private.audit_log_append_only() returns trigger
language plpgsql set search_path = '' as $$
begin
  raise exception 'audit_log is append-only: % is not allowed', tg_op using errcode = '42501';
end
$$;
revoke all on function private.audit_log_append_only() from public;

-- The idempotency ledger of alert commands: one row per client-generated action id.
create table public.alert_actions (
  action_id uuid primary key,
  alert_id uuid not null references public.patient_alerts(id) on delete cascade,
  kind text not null check (kind in ('acknowledge', 'accept', 'reject')),
  provider_id uuid not null references public.providers(id) on delete cascade,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now()
);
create index alert_actions_alert_idx on public.alert_actions (alert_id);

-- Triggers.
do $$
declare
  t text;
begin
  foreach t in array array[
    'tenants', 'providers', 'patients', 'provider_assignments', 'vital_signs', 'patient_alerts',
    'patient_status', 'messages', 'care_plans', 'system_metrics', 'collaboration_sessions', 'audit_log',
    'alert_actions'
  ] loop
    execute format(
      'create trigger set_updated_at before update on public.%I '
      'for each row execute function private.set_updated_at()', t);
    execute format('alter table public.%I enable row level security', t);
  end loop;
  foreach t in array array[
    'provider_assignments', 'vital_signs', 'patient_alerts', 'patient_status', 'messages', 'care_plans',
    'collaboration_sessions'
  ] loop
    execute format(
      'create trigger fill_tenant_from_patient before insert or update of tenant_id, patient_id on public.%I '
      'for each row execute function private.fill_tenant_from_patient()', t);
  end loop;
end
$$;

-- Named to fire after fill_tenant_from_patient (BEFORE triggers fire in name order).
create trigger verify_assignment_tenant
  before insert or update of tenant_id, provider_id, patient_id on public.provider_assignments
  for each row execute function private.check_assignment_tenant();

create trigger stamp_session_closed before update on public.collaboration_sessions
  for each row execute function private.stamp_session_closed();

create trigger audit_log_append_only before update or delete on public.audit_log
  for each row execute function private.audit_log_append_only();
create trigger audit_log_no_truncate before truncate on public.audit_log
  for each statement execute function private.audit_log_append_only();

-- Row-level security. Who sees what:
--   provider (providers.user_id = auth.uid(), active): patients ACTIVELY assigned to them in their tenant;
--   patient (patients.user_id = auth.uid()): their own rows;
--   anon: nothing (no policy names anon); service_role bypasses RLS.
-- Helpers live in `private` (not exposed by the API), are security definer and are called as
-- `(select private.f())` so each runs once per statement.

create or replace function private.current_provider() returns public.providers
language sql stable security definer set search_path = '' as $$
  select pr.* from public.providers pr where pr.user_id = auth.uid() and pr.active
$$;

create or replace function private.current_provider_id() returns uuid
language sql stable security definer set search_path = '' as $$
  select pr.id from public.providers pr where pr.user_id = auth.uid() and pr.active
$$;

-- The tenant of the signed-in active provider (null for patients).
create or replace function private.current_tenant_id() returns uuid
language sql stable security definer set search_path = '' as $$
  select pr.tenant_id from public.providers pr where pr.user_id = auth.uid() and pr.active
$$;

create or replace function private.current_patient_id() returns uuid
language sql stable security definer set search_path = '' as $$
  select p.id from public.patients p where p.user_id = auth.uid()
$$;

create or replace function private.visible_patient_ids() returns setof uuid
language sql stable security definer set search_path = '' as $$
  select a.patient_id
  from public.provider_assignments a
  join public.providers pr on pr.id = a.provider_id
  join public.patients p on p.id = a.patient_id
  where pr.user_id = auth.uid() and pr.active and a.active
    and a.tenant_id = pr.tenant_id and p.tenant_id = pr.tenant_id
  union
  select p.id from public.patients p where p.user_id = auth.uid()
$$;

revoke all on all functions in schema private from public;
grant execute on function
  private.current_provider(), private.current_provider_id(), private.current_tenant_id(),
  private.current_patient_id(), private.visible_patient_ids()
  to authenticated, service_role;

-- TRUNCATE ignores RLS, and REFERENCES/TRIGGER are never needed by API clients.
revoke truncate, references, trigger on all tables in schema public from anon, authenticated;
alter default privileges in schema public revoke truncate, references, trigger on tables
  from anon, authenticated;
-- Otherwise Supabase's convention holds: API roles keep table privileges and RLS decides, so a write
-- without a policy fails (INSERT) or touches no row (UPDATE/DELETE). The log tables are refused outright.
revoke insert, update, delete on public.audit_log, public.alert_actions from anon, authenticated;
-- Where clients may update, only these columns.
revoke update, delete on public.messages from anon, authenticated;
grant update (read_at) on public.messages to authenticated;
revoke update, delete on public.care_plans from anon, authenticated;
grant update (title, goals, instructions, status) on public.care_plans to authenticated;
revoke update, delete on public.collaboration_sessions from anon, authenticated;
grant update (title, status, document_state, document_text) on public.collaboration_sessions
  to authenticated;

-- tenants, providers, assignments
create policy "providers read their tenant" on public.tenants
  for select to authenticated
  using (id = (select private.current_tenant_id()));

create policy "providers read themselves and colleagues" on public.providers
  for select to authenticated
  using (user_id = (select auth.uid()) or tenant_id = (select private.current_tenant_id()));

create policy "providers read their own assignments" on public.provider_assignments
  for select to authenticated
  using (provider_id = (select private.current_provider_id()));

-- patient data
create policy "visible patients" on public.patients
  for select to authenticated
  using (id in (select private.visible_patient_ids()));

create policy "vitals of visible patients" on public.vital_signs
  for select to authenticated
  using (patient_id in (select private.visible_patient_ids()));

create policy "patients record their own manual vitals" on public.vital_signs
  for insert to authenticated
  with check (patient_id = (select private.current_patient_id()) and source = 'manual');

create policy "alerts of visible patients" on public.patient_alerts
  for select to authenticated
  using (patient_id in (select private.visible_patient_ids()));

create policy "status of visible patients" on public.patient_status
  for select to authenticated
  using (patient_id in (select private.visible_patient_ids()));

create policy "messages of visible patients" on public.messages
  for select to authenticated
  using (patient_id in (select private.visible_patient_ids()));

create policy "patients write their own messages" on public.messages
  for insert to authenticated
  with check (
    patient_id = (select private.current_patient_id())
    and sender_role = 'patient'
    and sender_user_id = (select auth.uid())
  );

create policy "providers write to visible patients" on public.messages
  for insert to authenticated
  with check (
    provider_id = (select private.current_provider_id())
    and sender_role = 'provider'
    and sender_user_id = (select auth.uid())
    and patient_id in (select private.visible_patient_ids())
  );

-- Only read_at is updatable (column grant): the recipient marks a message read.
create policy "recipients mark messages read" on public.messages
  for update to authenticated
  using (
    (patient_id = (select private.current_patient_id()) and sender_role <> 'patient')
    or ((select private.current_provider_id()) is not null and sender_role <> 'provider'
        and patient_id in (select private.visible_patient_ids()))
  );

create policy "care plans of visible patients" on public.care_plans
  for select to authenticated
  using (patient_id in (select private.visible_patient_ids()));

create policy "providers create care plans" on public.care_plans
  for insert to authenticated
  with check (
    created_by = (select private.current_provider_id())
    and patient_id in (select private.visible_patient_ids())
  );

create policy "providers update care plans" on public.care_plans
  for update to authenticated
  using ((select private.current_provider_id()) is not null
         and patient_id in (select private.visible_patient_ids()));

-- tenant-wide tables
create policy "providers read their tenant's metrics" on public.system_metrics
  for select to authenticated
  using (tenant_id = (select private.current_tenant_id()));

create policy "providers read their tenant's sessions" on public.collaboration_sessions
  for select to authenticated
  using (tenant_id = (select private.current_tenant_id()));

create policy "providers open sessions" on public.collaboration_sessions
  for insert to authenticated
  with check (
    tenant_id = (select private.current_tenant_id())
    and created_by = (select private.current_provider_id())
    and status = 'open'
    and (patient_id is null or patient_id in (select private.visible_patient_ids()))
  );

create policy "providers edit open sessions" on public.collaboration_sessions
  for update to authenticated
  using (tenant_id = (select private.current_tenant_id()) and status = 'open')
  with check (tenant_id = (select private.current_tenant_id()));

-- audit: read-only for clients; rows are written by security definer functions.
create policy "providers read audit of visible patients or their own acts" on public.audit_log
  for select to authenticated
  using (
    actor_user_id = (select auth.uid())
    or (tenant_id = (select private.current_tenant_id())
        and patient_id in (select private.visible_patient_ids()))
  );

create policy "providers read their own alert actions" on public.alert_actions
  for select to authenticated
  using (provider_id = (select private.current_provider_id()));

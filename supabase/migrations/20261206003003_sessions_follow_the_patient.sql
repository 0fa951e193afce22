-- Collaboration sessions follow their patient. Before, every clinician of the tenant read and wrote
-- every session (title, document text), including sessions about patients they cannot see, and any of
-- them could close it; the session:<id> topic followed the same tenant-wide rule and did not check that
-- the session is open.
--
-- Now:
--   * read:  a session without a patient is the tenant's (every active provider of it); a session tied
--            to a patient is visible to those who see the patient, and to the tenant's coordinators
--            and admins;
--   * write (document, title): the same people, while the session is open;
--   * close: only its creator or a coordinator/admin of the tenant;
--   * topic session:<id>: join (read) and send (write) need the write rule: a visible, OPEN session.
--     Enforced by RESTRICTIVE policies on realtime.messages, which AND with the permissive ones
--     (private.realtime_topic_allowed), so this rule composes with any rewrite of that function.

-- Whether the signed-in provider may see a session of this tenant about this patient (or none). Takes
-- the row's columns, not its id: a policy must not look its own row up (an INSERT ... RETURNING would
-- not find the row it is inserting).
create or replace function private.may_see_session(p_tenant_id uuid, p_patient_id uuid) returns boolean
language sql stable security definer set search_path = '' as $$
  select exists (
    select 1
    from public.providers me
    where me.user_id = auth.uid() and me.active and me.tenant_id = p_tenant_id
      and (p_patient_id is null
           or me.role in ('coordinator', 'admin')
           or p_patient_id in (select private.visible_patient_ids()))
  )
$$;

-- The same rule for a session named by id; p_write also requires it to be open.
create or replace function private.session_visible(p_session_id uuid, p_write boolean) returns boolean
language sql stable security definer set search_path = '' as $$
  select coalesce((
    select (not p_write or s.status = 'open') and private.may_see_session(s.tenant_id, s.patient_id)
    from public.collaboration_sessions s where s.id = p_session_id
  ), false)
$$;

-- Who may set status = 'closed' on a session of their tenant.
create or replace function private.may_close_session(p_created_by uuid) returns boolean
language sql stable security definer set search_path = '' as $$
  select exists (
    select 1 from public.providers me
    where me.user_id = auth.uid() and me.active and (me.id = p_created_by or me.role in ('coordinator', 'admin'))
  )
$$;

-- True for every topic but session:<id>, which needs an open session the user may see.
create or replace function private.session_topic_allowed(p_topic text) returns boolean
language sql stable security definer set search_path = '' as $$
  select coalesce(split_part(p_topic, ':', 1) <> 'session', true)
      or coalesce(private.session_visible(private.try_uuid(split_part(p_topic, ':', 2)), true), false)
$$;

revoke all on function private.may_see_session(uuid, uuid), private.session_visible(uuid, boolean),
  private.may_close_session(uuid), private.session_topic_allowed(text) from public;
grant execute on function private.may_see_session(uuid, uuid), private.session_visible(uuid, boolean),
  private.may_close_session(uuid), private.session_topic_allowed(text) to authenticated;

drop policy if exists "providers read their tenant's sessions" on public.collaboration_sessions;
drop policy if exists "providers edit open sessions" on public.collaboration_sessions;

create policy "providers read sessions they may see" on public.collaboration_sessions
  for select to authenticated
  using (private.may_see_session(tenant_id, patient_id));

create policy "providers edit open sessions they may see" on public.collaboration_sessions
  for update to authenticated
  using (status = 'open' and private.may_see_session(tenant_id, patient_id))
  with check (
    tenant_id = (select private.current_tenant_id())
    and (status = 'open' or private.may_close_session(created_by))
  );

create policy "tjv: session topics need an open session the user may see" on realtime.messages
  as restrictive for select to authenticated
  using ((select private.session_topic_allowed((select realtime.topic()))));

create policy "tjv: session topics need an open session the user may write" on realtime.messages
  as restrictive for insert to authenticated
  with check ((select private.session_topic_allowed((select realtime.topic()))));

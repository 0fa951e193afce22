-- Who may join which private topic of the database-broadcast plan (architecture §4).
--
-- Broadcast read (join) and client broadcast write, decided by private.realtime_topic_allowed:
--   provider:<provider_id>            that provider's own user: read
--   patient:<patient_id>              anyone who sees the patient (assigned provider, the patient): read
--   tenant:<tenant_id>                active providers of the tenant: read
--   tenant:<tenant_id>:announcements  active providers of the tenant read; coordinators/admins write
--   session:<session_id>              active providers of the session's tenant: read + write
-- provider:, patient: and tenant:<id> carry the database's messages (their seq lets a client detect a
-- lost one), so no client may broadcast on them: only triggers send there, as the table owner. Presence
-- on them is granted separately (private.realtime_presence_allowed) for the features that track there.
-- The earlier vitals:<provider>:<n> and tenant:<id>:metrics topics are gone: provider: and tenant: carry
-- their rows now.
create or replace function private.realtime_topic_allowed(p_topic text, p_write boolean) returns boolean
language plpgsql stable security definer set search_path = '' as $$
declare
  v_parts text[] := string_to_array(p_topic, ':');
  v_n int := coalesce(array_length(v_parts, 1), 0);
  v_id uuid := private.try_uuid(v_parts[2]);
  v_me public.providers;
begin
  if v_id is null then
    return false;
  end if;
  if v_parts[1] = 'patient' and v_n = 2 then
    return not p_write and v_id in (select private.visible_patient_ids());
  end if;
  v_me := private.current_provider();
  if v_me.id is null then
    return false;
  end if;
  return case
    when v_parts[1] = 'provider' and v_n = 2 then not p_write and v_id = v_me.id
    when v_parts[1] = 'tenant' and v_n = 2 then not p_write and v_id = v_me.tenant_id
    when v_parts[1] = 'tenant' and v_n = 3 and v_parts[3] = 'announcements' then
      v_id = v_me.tenant_id and (not p_write or v_me.role in ('coordinator', 'admin'))
    when v_parts[1] = 'session' and v_n = 2 then
      exists (select 1 from public.collaboration_sessions s where s.id = v_id and s.tenant_id = v_me.tenant_id)
    else false
  end;
end
$$;

-- Presence writes (track) on the database's topics: a provider on their own topic (e.g. a liveness
-- probe), the patient and the providers who see them on patient:<id>, the care team on tenant:<id>.
create or replace function private.realtime_presence_allowed(p_topic text) returns boolean
language plpgsql stable security definer set search_path = '' as $$
declare
  v_parts text[] := string_to_array(p_topic, ':');
  v_id uuid := private.try_uuid(v_parts[2]);
begin
  if v_id is null or coalesce(array_length(v_parts, 1), 0) <> 2 then
    return false;
  end if;
  return case v_parts[1]
    when 'provider' then v_id = private.current_provider_id()
    when 'patient' then v_id in (select private.visible_patient_ids())
    when 'tenant' then v_id = private.current_tenant_id()
    else false
  end;
end
$$;

revoke all on function private.realtime_presence_allowed(text) from public, anon, service_role;
grant execute on function private.realtime_presence_allowed(text) to authenticated;

create policy "tjv: presence on the database topics" on realtime.messages
  for insert to authenticated
  with check (
    realtime.messages.extension = 'presence'
    and (select private.realtime_presence_allowed((select realtime.topic())))
  );

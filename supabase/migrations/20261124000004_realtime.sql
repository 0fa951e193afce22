-- Realtime: the tables whose changes are streamed, and who may join which private channel.

alter publication supabase_realtime add table
  public.patient_alerts, public.patient_status, public.vital_signs, public.messages, public.care_plans,
  public.system_metrics, public.collaboration_sessions;

-- Topics come from clients: text that is not a uuid yields null instead of an error.
create or replace function private.try_uuid(p_text text) returns uuid
language plpgsql immutable set search_path = '' as $$
begin
  if p_text ~* '^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$' then
    return p_text::uuid;
  end if;
  return null;
end
$$;

-- Channel plan (docs/architecture.md section 4):
--   provider:<provider_id>               that provider's own user: read + write (presence)
--   vitals:<provider_id>:<n>             that provider's own user: read
--   patient:<patient_id>                 anyone who sees the patient (assigned provider, the patient): read
--   tenant:<tenant_id>:announcements     active providers of the tenant read; coordinators/admins write
--   tenant:<tenant_id>:metrics           active providers of the tenant read
--   session:<session_id>                 active providers of the session's tenant: read + write
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
    when v_parts[1] = 'provider' and v_n = 2 then v_id = v_me.id
    when v_parts[1] = 'vitals' and v_n = 3 then not p_write and v_id = v_me.id
    when v_parts[1] = 'tenant' and v_n = 3 and v_parts[3] = 'announcements' then
      v_id = v_me.tenant_id and (not p_write or v_me.role in ('coordinator', 'admin'))
    when v_parts[1] = 'tenant' and v_n = 3 and v_parts[3] = 'metrics' then
      not p_write and v_id = v_me.tenant_id
    when v_parts[1] = 'session' and v_n = 2 then
      exists (select 1 from public.collaboration_sessions s where s.id = v_id and s.tenant_id = v_me.tenant_id)
    else false
  end;
end
$$;

revoke all on function private.try_uuid(text), private.realtime_topic_allowed(text, boolean) from public;
grant execute on function private.try_uuid(text), private.realtime_topic_allowed(text, boolean)
  to authenticated;

create policy "tjv: join permitted topics" on realtime.messages
  for select to authenticated
  using ((select private.realtime_topic_allowed((select realtime.topic()), false)));

create policy "tjv: send on permitted topics" on realtime.messages
  for insert to authenticated
  with check ((select private.realtime_topic_allowed((select realtime.topic()), true)));

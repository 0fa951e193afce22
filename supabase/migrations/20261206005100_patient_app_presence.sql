-- The patient app's presence, on its own topic patient:<patient_id>:app (presence only).
--
-- Not on patient:<id> itself: a station holds patient:<id> open for the patient whose detail it shows
-- (the database feed of messages and care plans), and one socket cannot join a topic twice, so the
-- station could not watch the app presence of its whole panel and the feed of the shown patient at
-- once. Who may join and track: the patient (their own app) and every provider who sees the patient
-- (private.visible_patient_ids). Nothing but presence is allowed there: no broadcast read or write.
create or replace function private.patient_app_topic_allowed(p_topic text) returns boolean
language plpgsql stable security definer set search_path = '' as $$
declare
  v_parts text[] := string_to_array(p_topic, ':');
  v_id uuid;
begin
  if coalesce(array_length(v_parts, 1), 0) <> 3 or v_parts[1] <> 'patient' or v_parts[3] <> 'app' then
    return false;
  end if;
  v_id := private.try_uuid(v_parts[2]);
  return v_id is not null and v_id in (select private.visible_patient_ids());
end
$$;

revoke all on function private.patient_app_topic_allowed(text) from public, anon, service_role;
grant execute on function private.patient_app_topic_allowed(text) to authenticated;

create policy "tjv: see a patient app's presence" on realtime.messages
  for select to authenticated
  using (
    realtime.messages.extension = 'presence'
    and (select private.patient_app_topic_allowed((select realtime.topic())))
  );

create policy "tjv: track a patient app's presence" on realtime.messages
  for insert to authenticated
  with check (
    realtime.messages.extension = 'presence'
    and (select private.patient_app_topic_allowed((select realtime.topic())))
  );

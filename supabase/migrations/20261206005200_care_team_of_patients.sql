-- Who else cares for my patients: the active assignments (provider ids) of the patients the caller sees,
-- for the station to show which of a patient's other clinicians are online. A function, not a wider
-- policy on provider_assignments: a provider still reads only their own assignment rows (the panel), and
-- learns no more than which colleague is assigned to a patient they already see.
create or replace function public.care_team_of(p_patient_ids uuid[])
returns table (patient_id uuid, provider_id uuid)
language plpgsql stable security definer set search_path = '' as $$
#variable_conflict use_column
begin
  if private.current_provider_id() is null then
    raise exception 'only an active provider reads care teams' using errcode = '42501';
  end if;
  if cardinality(p_patient_ids) > 5000 then
    raise exception 'care_team_of takes at most 5000 patients' using errcode = '22023';
  end if;
  return query
    select a.patient_id, a.provider_id
      from public.provider_assignments a
      join public.providers pr on pr.id = a.provider_id and pr.active and pr.tenant_id = a.tenant_id
     where a.active and a.patient_id = any(p_patient_ids)
       and a.patient_id in (select private.visible_patient_ids())
     order by a.patient_id, a.provider_id;
end
$$;

revoke all on function public.care_team_of(uuid[]) from public, anon;
grant execute on function public.care_team_of(uuid[]) to authenticated;

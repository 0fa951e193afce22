-- Patient messages: a bounded body, addressed only to a provider assigned to that patient. Before, a
-- 7 MB body and a message naming another tenant's provider were both accepted.

-- 8 KB of text. NOT VALID: rows already stored are left alone; every new or changed row is checked.
alter table public.messages
  add constraint messages_body_at_most_8kb check (octet_length(body) <= 8192) not valid;

-- Whether a provider is actively assigned to a patient, within the patient's tenant.
create or replace function private.provider_assigned(p_provider_id uuid, p_patient_id uuid) returns boolean
language sql stable security definer set search_path = '' as $$
  select exists (
    select 1
    from public.provider_assignments a
    join public.providers pr on pr.id = a.provider_id
    join public.patients p on p.id = a.patient_id
    where a.provider_id = p_provider_id and a.patient_id = p_patient_id and a.active and pr.active
      and a.tenant_id = p.tenant_id and pr.tenant_id = p.tenant_id
  )
$$;
revoke all on function private.provider_assigned(uuid, uuid) from public;
grant execute on function private.provider_assigned(uuid, uuid) to authenticated;

drop policy if exists "patients write their own messages" on public.messages;
create policy "patients write their own messages" on public.messages
  for insert to authenticated
  with check (
    patient_id = (select private.current_patient_id())
    and sender_role = 'patient'
    and sender_user_id = (select auth.uid())
    and (provider_id is null or private.provider_assigned(provider_id, patient_id))
  );

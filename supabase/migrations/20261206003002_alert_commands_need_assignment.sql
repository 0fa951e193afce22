-- Alert commands require the caller's active assignment to the patient, and answer only with what the
-- caller may read. Before, acknowledge/accept/reject checked only alert.provider_id = caller: a clinician
-- removed from a patient still accepted that patient's alert, and the (security definer) function
-- returned the whole row the RLS policy hides from them.
--
-- Who may act on an alert copy (always only on a copy routed to them, in their own tenant):
--   * a clinician with an ACTIVE assignment to the alert's patient in their tenant;
--   * a coordinator or admin of the alert's tenant, assigned or not: the database routed that copy to
--     them (unassigned patients, escalation copies), so acknowledging, accepting or rejecting it is
--     theirs to do.
-- A replay of an action id already applied by the same provider to the same alert and command
-- succeeds whatever changed since (the action happened once); the answer is still limited to what the
-- caller may read now.
--
-- The public functions keep their signatures but run as the caller (SECURITY INVOKER): the work is
-- done by private.apply_alert_command (security definer), then the row is read back under the
-- caller's RLS, so a copy the caller may not see comes back as an empty row.

create or replace function private.claim_alert_action(
  p_alert_id uuid, p_action_id uuid, p_kind text,
  out alert public.patient_alerts, out caller_provider_id uuid, out replay boolean
)
language plpgsql volatile security definer set search_path = '' as $$
declare
  v_me public.providers;
  v_action public.alert_actions;
begin
  v_me := private.current_provider();
  caller_provider_id := v_me.id;
  if caller_provider_id is null then
    raise exception 'only an active provider may % an alert', p_kind using errcode = '42501';
  end if;
  if p_action_id is null then
    raise exception 'an action id is required' using errcode = '22023';
  end if;
  select * into alert from public.patient_alerts a where a.id = p_alert_id for update;
  if not found then
    raise exception 'alert % not found', p_alert_id using errcode = 'P0002';
  end if;
  select * into v_action from public.alert_actions x where x.action_id = p_action_id;
  if found then
    if v_action.alert_id <> p_alert_id or v_action.kind <> p_kind
       or v_action.provider_id <> caller_provider_id then
      raise exception 'action id % was already used for another alert or command', p_action_id
        using errcode = '22023';
    end if;
    replay := true;
    return;
  end if;
  if alert.provider_id <> caller_provider_id or alert.tenant_id <> v_me.tenant_id then
    raise exception 'alert % is not routed to you', p_alert_id using errcode = '42501';
  end if;
  if v_me.role not in ('coordinator', 'admin') and not exists (
    select 1 from public.provider_assignments pa
    where pa.provider_id = caller_provider_id and pa.patient_id = alert.patient_id and pa.active
      and pa.tenant_id = v_me.tenant_id
  ) then
    raise exception 'you are not assigned to the patient of alert %', p_alert_id using errcode = '42501';
  end if;
  insert into public.alert_actions (action_id, alert_id, kind, provider_id)
  values (p_action_id, p_alert_id, p_kind, caller_provider_id);
  replay := false;
end
$$;

-- The state change of one command (the former bodies of the public functions, unchanged in effect).
create or replace function private.apply_alert_command(
  p_alert_id uuid, p_action_id uuid, p_kind text, p_reason text default null
) returns void
language plpgsql volatile security definer set search_path = '' as $$
declare
  c record;
  v_alert public.patient_alerts;
  v_prev text;
  v_siblings int;
begin
  if p_kind not in ('acknowledge', 'accept', 'reject') then
    raise exception 'unknown alert command %', p_kind using errcode = '22023';
  end if;
  select * into c from private.claim_alert_action(p_alert_id, p_action_id, p_kind);
  v_alert := c.alert;
  v_prev := v_alert.state;
  if c.replay then
    return;
  end if;
  if v_alert.state = 'resolved' then
    raise exception 'alert % is resolved', p_alert_id using errcode = '22023';
  end if;

  if p_kind = 'acknowledge' then
    if v_alert.state <> 'active' then
      return;  -- already acknowledged, accepted or rejected: nothing to change
    end if;
    update public.patient_alerts a
       set state = 'acknowledged', acknowledged_by = c.caller_provider_id, acknowledged_at = now()
     where a.id = p_alert_id
    returning * into v_alert;
    perform private.write_audit(v_alert.tenant_id, 'alert.acknowledge', 'patient_alerts', p_alert_id::text,
      v_alert.patient_id, p_action_id,
      jsonb_build_object('previous_state', v_prev, 'new_state', v_alert.state, 'event_id', v_alert.event_id));

  elsif p_kind = 'accept' then
    if v_alert.state = 'accepted' then
      return;
    end if;
    update public.patient_alerts a
       set state = 'accepted', accepted_by = c.caller_provider_id, accepted_at = now(),
           acknowledged_by = coalesce(a.acknowledged_by, c.caller_provider_id),
           acknowledged_at = coalesce(a.acknowledged_at, now())
     where a.id = p_alert_id
    returning * into v_alert;
    -- Other stations see who took responsibility; their own state is left as it is.
    update public.patient_alerts a
       set accepted_by = c.caller_provider_id, accepted_at = v_alert.accepted_at
     where a.event_id = v_alert.event_id and a.id <> p_alert_id and a.state <> 'accepted';
    get diagnostics v_siblings = row_count;
    perform private.write_audit(v_alert.tenant_id, 'alert.accept', 'patient_alerts', p_alert_id::text,
      v_alert.patient_id, p_action_id,
      jsonb_build_object('previous_state', v_prev, 'new_state', v_alert.state,
                         'event_id', v_alert.event_id, 'siblings_marked', v_siblings));

  else
    if v_alert.state = 'rejected' then
      return;
    end if;
    update public.patient_alerts a
       set state = 'rejected', rejected_by = c.caller_provider_id, rejected_at = now(), rejection_reason = p_reason,
           accepted_by = case when a.accepted_by = c.caller_provider_id then null else a.accepted_by end,
           accepted_at = case when a.accepted_by = c.caller_provider_id then null else a.accepted_at end
     where a.id = p_alert_id
    returning * into v_alert;
    if v_prev = 'accepted' then
      -- Handing back responsibility: the other stations no longer show this provider as owner.
      update public.patient_alerts a
         set accepted_by = null, accepted_at = null
       where a.event_id = v_alert.event_id and a.id <> p_alert_id and a.accepted_by = c.caller_provider_id
         and a.state <> 'accepted';
    end if;
    perform private.write_audit(v_alert.tenant_id, 'alert.reject', 'patient_alerts', p_alert_id::text,
      v_alert.patient_id, p_action_id,
      jsonb_build_object('previous_state', v_prev, 'new_state', v_alert.state,
                         'event_id', v_alert.event_id, 'reason', p_reason));
  end if;
end
$$;

revoke all on function private.claim_alert_action(uuid, uuid, text) from public;
revoke all on function private.apply_alert_command(uuid, uuid, text, text) from public;
grant execute on function private.apply_alert_command(uuid, uuid, text, text) to authenticated;

create or replace function public.acknowledge_alert(p_alert_id uuid, p_action_id uuid)
returns public.patient_alerts
language plpgsql volatile security invoker set search_path = '' as $$
declare
  v_alert public.patient_alerts;
begin
  perform private.apply_alert_command(p_alert_id, p_action_id, 'acknowledge');
  select a.* into v_alert from public.patient_alerts a where a.id = p_alert_id;
  return v_alert;
end
$$;

create or replace function public.accept_alert(p_alert_id uuid, p_action_id uuid)
returns public.patient_alerts
language plpgsql volatile security invoker set search_path = '' as $$
declare
  v_alert public.patient_alerts;
begin
  perform private.apply_alert_command(p_alert_id, p_action_id, 'accept');
  select a.* into v_alert from public.patient_alerts a where a.id = p_alert_id;
  return v_alert;
end
$$;

create or replace function public.reject_alert(p_alert_id uuid, p_action_id uuid, p_reason text default null)
returns public.patient_alerts
language plpgsql volatile security invoker set search_path = '' as $$
declare
  v_alert public.patient_alerts;
begin
  perform private.apply_alert_command(p_alert_id, p_action_id, 'reject', p_reason);
  select a.* into v_alert from public.patient_alerts a where a.id = p_alert_id;
  return v_alert;
end
$$;

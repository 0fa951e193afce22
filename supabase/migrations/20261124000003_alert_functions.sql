-- Alert commands. Clients never write patient_alerts directly: acknowledge/accept/reject go through
-- these functions (idempotent on a client-generated action id, so an outbox replay applies once), and
-- the backend raises and resolves alerts with raise_alert/resolve_alerts as service_role.
-- Every effective change writes one audit_log row.

create or replace function private.write_audit(
  p_tenant_id uuid, p_action text, p_entity text, p_entity_id text, p_patient_id uuid,
  p_action_id uuid, p_details jsonb
) returns void
language sql volatile security definer set search_path = '' as $$
  insert into public.audit_log (tenant_id, actor_user_id, actor_provider_id, action, entity, entity_id,
                                patient_id, action_id, details)
  values (p_tenant_id, auth.uid(), private.current_provider_id(), p_action, p_entity, p_entity_id,
          p_patient_id, p_action_id, coalesce(p_details, '{}'::jsonb))
$$;

create or replace function private.priority_rank(p_priority text) returns int
language sql immutable set search_path = '' as $$
  select case p_priority when 'high' then 3 when 'medium' then 2 when 'low' then 1 end
$$;

-- Common start of an alert command: authorizes the caller, locks the alert and records the action
-- id. replay = true when this action id was already applied to this alert with this kind.
create or replace function private.claim_alert_action(
  p_alert_id uuid, p_action_id uuid, p_kind text,
  out alert public.patient_alerts, out caller_provider_id uuid, out replay boolean
)
language plpgsql volatile security definer set search_path = '' as $$
declare
  v_action public.alert_actions;
begin
  caller_provider_id := private.current_provider_id();
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
  if alert.provider_id <> caller_provider_id then
    raise exception 'alert % is not routed to you', p_alert_id using errcode = '42501';
  end if;
  insert into public.alert_actions (action_id, alert_id, kind, provider_id)
  values (p_action_id, p_alert_id, p_kind, caller_provider_id)
  on conflict (action_id) do nothing;
  replay := not found;
  if replay then
    select * into v_action from public.alert_actions x where x.action_id = p_action_id;
    if v_action.alert_id <> p_alert_id or v_action.kind <> p_kind then
      raise exception 'action id % was already used for another alert or command', p_action_id
        using errcode = '22023';
    end if;
  end if;
end
$$;

create or replace function public.acknowledge_alert(p_alert_id uuid, p_action_id uuid)
returns public.patient_alerts
language plpgsql volatile security definer set search_path = '' as $$
declare
  c record;
  v_alert public.patient_alerts;
  v_prev text;
begin
  select * into c from private.claim_alert_action(p_alert_id, p_action_id, 'acknowledge');
  v_alert := c.alert;
  v_prev := v_alert.state;
  if c.replay then
    return v_alert;
  end if;
  if v_alert.state = 'resolved' then
    raise exception 'alert % is resolved', p_alert_id using errcode = '22023';
  end if;
  if v_alert.state <> 'active' then
    return v_alert;  -- already acknowledged, accepted or rejected: nothing to change
  end if;
  update public.patient_alerts a
     set state = 'acknowledged', acknowledged_by = c.caller_provider_id, acknowledged_at = now()
   where a.id = p_alert_id
  returning * into v_alert;
  perform private.write_audit(v_alert.tenant_id, 'alert.acknowledge', 'patient_alerts', p_alert_id::text,
    v_alert.patient_id, p_action_id,
    jsonb_build_object('previous_state', v_prev, 'new_state', v_alert.state,
                       'event_id', v_alert.event_id));
  return v_alert;
end
$$;

create or replace function public.accept_alert(p_alert_id uuid, p_action_id uuid)
returns public.patient_alerts
language plpgsql volatile security definer set search_path = '' as $$
declare
  c record;
  v_alert public.patient_alerts;
  v_prev text;
  v_siblings int;
begin
  select * into c from private.claim_alert_action(p_alert_id, p_action_id, 'accept');
  v_alert := c.alert;
  v_prev := v_alert.state;
  if c.replay or v_alert.state = 'accepted' then
    return v_alert;
  end if;
  if v_alert.state = 'resolved' then
    raise exception 'alert % is resolved', p_alert_id using errcode = '22023';
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
  return v_alert;
end
$$;

create or replace function public.reject_alert(p_alert_id uuid, p_action_id uuid, p_reason text default null)
returns public.patient_alerts
language plpgsql volatile security definer set search_path = '' as $$
declare
  c record;
  v_alert public.patient_alerts;
  v_prev text;
begin
  select * into c from private.claim_alert_action(p_alert_id, p_action_id, 'reject');
  v_alert := c.alert;
  v_prev := v_alert.state;
  if c.replay or v_alert.state = 'rejected' then
    return v_alert;
  end if;
  if v_alert.state = 'resolved' then
    raise exception 'alert % is resolved', p_alert_id using errcode = '22023';
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
  return v_alert;
end
$$;

-- Routes one row per active assignment (one shared event_id). An open alert of the same kind is
-- escalated instead (when the new priority is higher) and its rows returned.
create or replace function public.raise_alert(
  p_patient_id uuid, p_priority text, p_kind text, p_message text, p_value numeric default null,
  p_limit numeric default null, p_unit text default null, p_news2 int default null
) returns setof public.patient_alerts
language plpgsql volatile security definer set search_path = '' as $$
declare
  v_tenant uuid;
  v_rank int := private.priority_rank(p_priority);
  v_open_rank int;
  v_event uuid;
  v_rows jsonb;
begin
  if v_rank is null then
    raise exception 'priority must be high, medium or low, not %', p_priority using errcode = '22023';
  end if;
  if p_kind is null or p_message is null then
    raise exception 'kind and message are required' using errcode = '22023';
  end if;
  -- Serializes raise/resolve per patient (does not block foreign-key checks).
  select p.tenant_id into v_tenant from public.patients p where p.id = p_patient_id for no key update;
  if not found then
    raise exception 'patient % not found', p_patient_id using errcode = 'P0002';
  end if;

  select max(private.priority_rank(a.priority)), (array_agg(a.event_id))[1] into v_open_rank, v_event
    from public.patient_alerts a
   where a.patient_id = p_patient_id and a.kind = p_kind
     and a.state in ('active', 'acknowledged', 'accepted');

  if v_open_rank is not null then
    if v_rank > v_open_rank then
      -- A worse condition is annunciated again (IEC 60601-1-8): an acknowledged or accepted alert
      -- returns to 'active'; who accepted it stays on record.
      update public.patient_alerts a
         set priority = p_priority, message = p_message, value = p_value, limit_value = p_limit,
             unit = p_unit, news2_score = p_news2, state = 'active',
             acknowledged_by = null, acknowledged_at = null
       where a.patient_id = p_patient_id and a.kind = p_kind
         and a.state in ('active', 'acknowledged', 'accepted');
      perform private.write_audit(v_tenant, 'alert.escalate', 'patient_alerts', v_event::text,
        p_patient_id, null,
        jsonb_build_object('kind', p_kind, 'priority', p_priority, 'message', p_message,
                           'value', p_value, 'limit', p_limit, 'unit', p_unit, 'news2', p_news2));
    end if;
    return query
      select a.* from public.patient_alerts a
       where a.patient_id = p_patient_id and a.kind = p_kind
         and a.state in ('active', 'acknowledged', 'accepted')
       order by a.raised_at, a.id;
    return;
  end if;

  v_event := gen_random_uuid();
  insert into public.patient_alerts (event_id, tenant_id, patient_id, provider_id, priority, kind, message,
                                     value, limit_value, unit, news2_score)
  select v_event, v_tenant, p_patient_id, a.provider_id, p_priority, p_kind, p_message,
         p_value, p_limit, p_unit, p_news2
    from public.provider_assignments a
    join public.providers pr on pr.id = a.provider_id
   where a.patient_id = p_patient_id and a.active and pr.active and pr.tenant_id = v_tenant;

  -- An alert is never dropped: a patient nobody is actively assigned to goes to the tenant's
  -- coordinators, and with no coordinator either the writer gets an error instead of silence.
  if not found then
    insert into public.patient_alerts (event_id, tenant_id, patient_id, provider_id, priority, kind, message,
                                       value, limit_value, unit, news2_score)
    select v_event, v_tenant, p_patient_id, pr.id, p_priority, p_kind, p_message,
           p_value, p_limit, p_unit, p_news2
      from public.providers pr
     where pr.tenant_id = v_tenant and pr.active and pr.role in ('coordinator', 'admin');
    if not found then
      raise exception 'alert for patient % has no one to route to: no active assignment and no coordinator',
        p_patient_id using errcode = 'P0001';
    end if;
  end if;

  select coalesce(jsonb_agg(jsonb_build_object('alert_id', a.id, 'provider_id', a.provider_id)), '[]')
    into v_rows from public.patient_alerts a where a.event_id = v_event;
  perform private.write_audit(v_tenant, 'alert.raise', 'patient_alerts', v_event::text, p_patient_id, null,
    jsonb_build_object('kind', p_kind, 'priority', p_priority, 'message', p_message, 'value', p_value,
                       'limit', p_limit, 'unit', p_unit, 'news2', p_news2, 'routed', v_rows));
  return query select a.* from public.patient_alerts a where a.event_id = v_event order by a.id;
end
$$;

create or replace function public.resolve_alerts(p_patient_id uuid, p_kind text default null)
returns int
language plpgsql volatile security definer set search_path = '' as $$
declare
  v_count int;
begin
  perform 1 from public.patients p where p.id = p_patient_id for no key update;
  with resolved as (
    update public.patient_alerts a
       set state = 'resolved', resolved_at = now()
     where a.patient_id = p_patient_id and a.state <> 'resolved' and (p_kind is null or a.kind = p_kind)
    returning a.id, a.event_id, a.tenant_id, a.kind
  ), audited as (
    insert into public.audit_log (tenant_id, actor_user_id, actor_provider_id, action, entity, entity_id,
                                  patient_id, details)
    select r.tenant_id, auth.uid(), null, 'alert.resolve', 'patient_alerts', r.event_id::text, p_patient_id,
           jsonb_build_object('kind', r.kind, 'alert_ids', jsonb_agg(r.id))
      from resolved r
     group by r.tenant_id, r.event_id, r.kind
  )
  select count(*) into v_count from resolved;
  return v_count;
end
$$;

revoke all on all functions in schema private from public;
grant execute on function private.priority_rank(text) to authenticated, service_role;

revoke all on function public.acknowledge_alert(uuid, uuid) from public, anon, service_role;
revoke all on function public.accept_alert(uuid, uuid) from public, anon, service_role;
revoke all on function public.reject_alert(uuid, uuid, text) from public, anon, service_role;
grant execute on function public.acknowledge_alert(uuid, uuid) to authenticated;
grant execute on function public.accept_alert(uuid, uuid) to authenticated;
grant execute on function public.reject_alert(uuid, uuid, text) to authenticated;

revoke all on function public.raise_alert(uuid, text, text, text, numeric, numeric, text, int)
  from public, anon, authenticated;
revoke all on function public.resolve_alerts(uuid, text) from public, anon, authenticated;
grant execute on function public.raise_alert(uuid, text, text, text, numeric, numeric, text, int)
  to service_role;
grant execute on function public.resolve_alerts(uuid, text) to service_role;

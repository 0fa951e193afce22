-- The database feed sends one message per topic per transaction instead of one per table and statement.
--
-- Why: a wearable cloud's commit of one second's samples wrote vital_signs, and the clinical rules
-- updated patient_status in the same transaction, so each clinician's topic got two messages for one
-- commit: about 380 messages a second for 190 clinicians at the hospital model, half of the project's
-- billed rate and half of what Realtime fans out. The staged rows of a transaction are now packed per
-- topic, in the order they were staged, into messages of at most 200 rows (a larger transaction still
-- makes several, each with its own seq).
--
-- Payload: a message with one part keeps the shape it always had, {seq, table, op, rows, at}; a message
-- with several has {seq, parts: [{table, op, rows}, …], at}, the parts in the order the changes were
-- made (consecutive parts of one table and operation are merged). Clients read both: messages sent
-- before this migration stay replayable for 72 hours.

create or replace function private.feed_send_parts(p_topic text, p_parts jsonb)
returns bigint
language plpgsql security definer set search_path = '' as $$
declare
  v_seq bigint;
  v_head jsonb;
begin
  insert into private.feed_topics as t (topic, seq) values (p_topic, 1)
  on conflict (topic) do update set seq = t.seq + 1, updated_at = now()
  returning t.seq into v_seq;
  v_head := jsonb_build_object('seq', v_seq, 'at', floor(extract(epoch from clock_timestamp()) * 1000)::bigint);
  perform realtime.send(
    case when jsonb_array_length(p_parts) = 1 then v_head || (p_parts -> 0)
         else v_head || jsonb_build_object('parts', p_parts) end,
    'change', p_topic, true);
  return v_seq;
end
$$;

-- At commit: sends the transaction's staged rows, one message per topic (more when over 200 rows),
-- topic by topic in sorted order (the counters are locked in that order: concurrent writers cannot
-- deadlock on them).
create or replace function private.feed_flush() returns trigger
language plpgsql security definer set search_path = '' as $$
declare
  v record;
  v_topic text;
  v_parts jsonb;
  v_rows integer := 0;
  v_size integer;
  v_last jsonb;
begin
  perform set_config('tjv.feed_tx', '', true);  -- what is staged after this needs a flush of its own
  for v in
    with sent as (delete from private.feed_pending where tx = txid_current() returning *)
    select * from sent order by topic, id
  loop
    v_size := jsonb_array_length(v.body);
    if v_topic is distinct from v.topic or v_rows + v_size > 200 then
      if v_topic is not null then
        perform private.feed_send_parts(v_topic, v_parts);
      end if;
      v_topic := v.topic;
      v_parts := '[]'::jsonb;
      v_rows := 0;
    end if;
    v_last := v_parts -> -1;
    if v_last is not null and v_last ->> 'table' = v.tbl and v_last ->> 'op' = v.op then
      v_parts := jsonb_set(v_parts, '{-1,rows}', (v_last -> 'rows') || v.body);
    else
      v_parts := v_parts || jsonb_build_array(jsonb_build_object('table', v.tbl, 'op', v.op, 'rows', v.body));
    end if;
    v_rows := v_rows + v_size;
  end loop;
  if v_topic is not null then
    perform private.feed_send_parts(v_topic, v_parts);
  end if;
  return null;
end
$$;

revoke all on function private.feed_send_parts(text, jsonb), private.feed_flush()
  from public, anon, authenticated, service_role;

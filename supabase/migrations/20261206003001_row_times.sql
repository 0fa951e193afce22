-- The database owns created_at and updated_at. INSERT used to keep whatever the client sent (the
-- set_updated_at trigger fires on UPDATE only), so a patient posting a vital with
-- updated_at = 2099-01-01 moved every station's resync cursor past all later rows.
--
-- On INSERT, updated_at is the server clock for every writer; created_at is now() for the API roles
-- (anon, authenticated, service_role), while migrations and the seed (the table owner) may still
-- write history. On UPDATE, created_at keeps its stored value (updated_at stays set_updated_at's).
-- Columns a table lacks are skipped, so one function serves every table.

create or replace function private.stamp_row_times() returns trigger
language plpgsql set search_path = '' as $$
declare
  v_times jsonb;
begin
  if tg_op = 'INSERT' then
    v_times := jsonb_build_object('updated_at', clock_timestamp());
    if current_user in ('anon', 'authenticated', 'service_role') then
      v_times := v_times || jsonb_build_object('created_at', now());
    end if;
  else
    v_times := jsonb_build_object('created_at', to_jsonb(old) -> 'created_at');
  end if;
  new := jsonb_populate_record(new, v_times);
  return new;
end
$$;
revoke all on function private.stamp_row_times() from public;

-- Every table of public holding either column (a table added later needs the same trigger; the
-- schema test checks that none is missing).
do $$
declare
  t text;
begin
  for t in
    select distinct c.relname
    from pg_class c
    join pg_namespace n on n.oid = c.relnamespace
    join pg_attribute a on a.attrelid = c.oid and a.attnum > 0 and not a.attisdropped
    where n.nspname = 'public' and c.relkind in ('r', 'p') and a.attname in ('created_at', 'updated_at')
      and not exists (select 1 from pg_trigger g where g.tgrelid = c.oid and g.tgname = 'stamp_row_times')
    order by 1
  loop
    execute format(
      'create trigger stamp_row_times before insert or update on public.%I '
      'for each row execute function private.stamp_row_times()', t);
  end loop;
end
$$;

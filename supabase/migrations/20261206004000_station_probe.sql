-- The station's liveness probe (tjv_desktop/backend/realtime.py): a broadcast each station sends to
-- itself on the private topic probe:<its own user id>, with self-echo, to measure that the socket still
-- answers. Only that user reads or writes it, only as a broadcast: the data topics (provider:, patient:,
-- tenant:) stay written by the database alone.
create policy "tjv: a station reads its own probe topic" on realtime.messages
  for select to authenticated
  using ((select realtime.topic()) = 'probe:' || (select auth.uid())::text);

create policy "tjv: a station sends on its own probe topic" on realtime.messages
  for insert to authenticated
  with check ((select realtime.topic()) = 'probe:' || (select auth.uid())::text and extension = 'broadcast');

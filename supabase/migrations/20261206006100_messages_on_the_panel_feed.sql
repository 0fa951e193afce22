-- Patients' messages (and their delivered/read marks) also reach every clinician who sees the patient, on
-- provider:<id>, so the census's unread counts move live for the whole panel. Until now they went only to
-- patient:<id>, which a station joins for the one patient it shows; the others waited for a resync.
--
-- Routing is private.feed_by_panel's: an active assignment of an active provider, all in one tenant, the
-- rule private.visible_patient_ids applies to a clinician reading public.messages, so nobody receives a
-- message they could not read. The patient:<id> triggers stay (the patient's app and the detail pane).
-- A transaction's messages share its one message per topic (20261206006000).

create trigger feed_panel_insert after insert on public.messages
  referencing new table as new_rows for each statement execute function private.feed_by_panel();
create trigger feed_panel_update after update on public.messages
  referencing old table as old_rows new table as new_rows for each statement execute function private.feed_by_panel();
create trigger feed_panel_delete after delete on public.messages
  referencing old table as old_rows for each statement execute function private.feed_by_panel();

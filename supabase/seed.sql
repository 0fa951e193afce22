-- Demo data for TJV Desktop (sandbox and `supabase db reset` alike). Re-running it changes nothing.
--
-- Every demo login uses the password  tjv-demo-2026
--
--   email                           role         tenant     sees patients (#n = ...00000000T0nn)
--   nurse@riverside.tjv.test        clinician    riverside  1-8   (inactive assignment to 9: not seen)
--   surgeon@riverside.tjv.test      clinician    riverside  5-12
--   physio@riverside.tjv.test       clinician    riverside  1-3, 10-12
--   coordinator@riverside.tjv.test  coordinator  riverside  1-12
--   patient1@riverside.tjv.test     patient      riverside  own record (patient 1)
--   patient2@riverside.tjv.test     patient      riverside  own record (patient 2)
--   ...and the same six logins @lakeside.tjv.test for Lakeside Joint Center.
--
-- Fixed ids (T = 1 riverside, 2 lakeside; NN = 01 nurse, 02 surgeon, 03 physio, 04 coordinator):
--   tenant        10000000-0000-4000-8000-00000000000T
--   provider user a0000000-0000-4000-8000-00000000T0NN    provider  b0000000-0000-4000-8000-00000000T0NN
--   patient       c0000000-0000-4000-8000-00000000T0nn (nn 01..12)
--   patient user  d0000000-0000-4000-8000-00000000T0nn (nn 01, 02)
--   open handoff session  5e550000-0000-4000-8000-00000000T001

insert into public.tenants (id, name, slug) values
  ('10000000-0000-4000-8000-000000000001', 'Riverside Orthopaedics', 'riverside'),
  ('10000000-0000-4000-8000-000000000002', 'Lakeside Joint Center', 'lakeside')
on conflict do nothing;

-- Temporary views (not tables with ON COMMIT DROP) so the seed also works when run statement by statement.
create or replace temporary view seed_people (t, k, kind, email, full_name, role, discipline) as values
  (1, 1, 'provider', 'nurse@riverside.tjv.test',       'Emma Clarke, RN',   'clinician',   'nurse'),
  (1, 2, 'provider', 'surgeon@riverside.tjv.test',     'Dr. Samuel Hart',   'clinician',   'surgeon'),
  (1, 3, 'provider', 'physio@riverside.tjv.test',      'Priya Raman, PT',   'clinician',   'physiotherapist'),
  (1, 4, 'provider', 'coordinator@riverside.tjv.test', 'Olivia Brooks',     'coordinator', null),
  (1, 1, 'patient',  'patient1@riverside.tjv.test',    'Margaret Thompson', null,          null),
  (1, 2, 'patient',  'patient2@riverside.tjv.test',    'Robert Chen',       null,          null),
  (2, 1, 'provider', 'nurse@lakeside.tjv.test',        'Hannah Lee, RN',    'clinician',   'nurse'),
  (2, 2, 'provider', 'surgeon@lakeside.tjv.test',      'Dr. Marcus Webb',   'clinician',   'surgeon'),
  (2, 3, 'provider', 'physio@lakeside.tjv.test',       'Lukas Berg, PT',    'clinician',   'physiotherapist'),
  (2, 4, 'provider', 'coordinator@lakeside.tjv.test',  'Grace Kim',         'coordinator', null),
  (2, 1, 'patient',  'patient1@lakeside.tjv.test',     'Helen Schmidt',     null,          null),
  (2, 2, 'patient',  'patient2@lakeside.tjv.test',     'George Nakamura',   null,          null);

-- t = tenant digit, k = provider slot or patient number.
create or replace temporary view seed_ids as
select p.*,
       ('10000000-0000-4000-8000-00000000000' || p.t)::uuid as tenant_id,
       (case p.kind when 'provider' then 'a' else 'd' end || '0000000-0000-4000-8000-00000000'
         || p.t || '0' || lpad(p.k::text, 2, '0'))::uuid as user_id,
       (case p.kind when 'provider' then 'b' else 'c' end || '0000000-0000-4000-8000-00000000'
         || p.t || '0' || lpad(p.k::text, 2, '0'))::uuid as record_id
from seed_people p;

insert into auth.users (
  instance_id, id, aud, role, email, encrypted_password, email_confirmed_at,
  confirmation_token, recovery_token, email_change_token_new, email_change,
  raw_app_meta_data, raw_user_meta_data, created_at, updated_at
)
select '00000000-0000-0000-0000-000000000000', s.user_id, 'authenticated', 'authenticated', s.email,
       extensions.crypt('tjv-demo-2026', extensions.gen_salt('bf')), now(),
       '', '', '', '',
       jsonb_build_object(
         'provider', 'email', 'providers', jsonb_build_array('email'),
         'tjv_role', coalesce(s.role, 'patient'), 'tenant_id', s.tenant_id,
         case s.kind when 'provider' then 'provider_id' else 'patient_id' end, s.record_id),
       jsonb_build_object('full_name', s.full_name), now(), now()
from seed_ids s
on conflict do nothing;

-- Hosted Supabase Auth signs in through auth.identities; the sandbox has no such table.
do $$
begin
  if to_regclass('auth.identities') is not null then
    execute $sql$
      insert into auth.identities (id, provider_id, user_id, identity_data, provider, last_sign_in_at,
                                   created_at, updated_at)
      select u.id, u.id::text, u.id,
             jsonb_build_object('sub', u.id::text, 'email', u.email, 'email_verified', true),
             'email', now(), now(), now()
      from auth.users u where u.email like '%.tjv.test'
      on conflict do nothing
    $sql$;
  end if;
end
$$;

insert into public.providers (id, tenant_id, user_id, full_name, email, role, discipline)
select s.record_id, s.tenant_id, s.user_id, s.full_name, s.email, s.role, s.discipline
from seed_ids s where s.kind = 'provider'
on conflict do nothing;

-- Patients: surgery d days ago, discharged after los days (never in the future).
insert into public.patients (id, tenant_id, mrn, full_name, date_of_birth, procedure, side, surgery_date,
                             discharge_date, surgeon_id)
select ('c0000000-0000-4000-8000-00000000' || v.t || '0' || lpad(v.n::text, 2, '0'))::uuid,
       ('10000000-0000-4000-8000-00000000000' || v.t)::uuid,
       v.mrn, v.full_name, v.dob::date, v.procedure, v.side,
       (now() - make_interval(days => v.d))::date,
       (now() - make_interval(days => v.d - least(v.los, v.d)))::date,
       ('b0000000-0000-4000-8000-00000000' || v.t || '002')::uuid
from (values
  (1,  1, 'RIV-100201', 'Margaret Thompson', '1952-03-14', 'TKA', 'left',      3, 2),
  (1,  2, 'RIV-100202', 'Robert Chen',       '1958-11-02', 'THA', 'right',     6, 1),
  (1,  3, 'RIV-100203', 'Linda Okafor',      '1961-07-23', 'TKA', 'right',     9, 3),
  (1,  4, 'RIV-100204', 'James Whitaker',    '1949-01-30', 'THA', 'left',      2, 1),
  (1,  5, 'RIV-100205', 'Patricia Nowak',    '1955-05-18', 'TKA', 'bilateral', 12, 3),
  (1,  6, 'RIV-100206', 'Michael Alvarez',   '1963-09-09', 'THA', 'right',     4, 2),
  (1,  7, 'RIV-100207', 'Barbara Jensen',    '1947-12-01', 'TKA', 'left',      7, 2),
  (1,  8, 'RIV-100208', 'William Foster',    '1959-04-27', 'THA', 'left',      1, 1),
  (1,  9, 'RIV-100209', 'Susan Patel',       '1966-02-11', 'TKA', 'right',    10, 2),
  (1, 10, 'RIV-100210', 'David Kowalski',    '1953-08-05', 'THA', 'right',     5, 1),
  (1, 11, 'RIV-100211', 'Dorothy Reyes',     '1944-10-19', 'TKA', 'left',     14, 3),
  (1, 12, 'RIV-100212', 'Richard O''Brien',  '1957-06-08', 'THA', 'left',      8, 2),
  (2,  1, 'LAK-500301', 'Helen Schmidt',     '1950-06-21', 'THA', 'left',      4, 1),
  (2,  2, 'LAK-500302', 'George Nakamura',   '1956-02-17', 'TKA', 'right',     2, 2),
  (2,  3, 'LAK-500303', 'Carol Andersen',    '1962-09-30', 'THA', 'right',    11, 2),
  (2,  4, 'LAK-500304', 'Frank Morales',     '1948-04-04', 'TKA', 'left',      6, 3),
  (2,  5, 'LAK-500305', 'Ruth Fischer',      '1954-12-12', 'TKA', 'bilateral', 9, 3),
  (2,  6, 'LAK-500306', 'Thomas Byrne',      '1960-01-25', 'THA', 'left',      3, 1),
  (2,  7, 'LAK-500307', 'Joan Delgado',      '1951-08-16', 'TKA', 'right',     1, 1),
  (2,  8, 'LAK-500308', 'Charles Lindqvist', '1945-03-03', 'THA', 'right',    13, 2),
  (2,  9, 'LAK-500309', 'Shirley Moreau',    '1964-11-28', 'TKA', 'left',      5, 2),
  (2, 10, 'LAK-500310', 'Kenneth Adeyemi',   '1958-07-07', 'THA', 'left',      8, 1),
  (2, 11, 'LAK-500311', 'Evelyn Russo',      '1946-05-15', 'TKA', 'right',    12, 3),
  (2, 12, 'LAK-500312', 'Walter Haugen',     '1953-10-10', 'THA', 'bilateral', 7, 2)
) as v(t, n, mrn, full_name, dob, procedure, side, d, los)
on conflict do nothing;

-- Logins of patients 1 and 2 of each tenant.
update public.patients p set user_id = s.user_id
from seed_ids s
where s.kind = 'patient' and p.id = s.record_id and p.user_id is null;

-- Panels: nurse 1-8, surgeon 5-12, physio 1-3 and 10-12, coordinator all; the nurse's former
-- assignment to patient 9 is inactive (it must grant nothing).
insert into public.provider_assignments (id, tenant_id, provider_id, patient_id, active)
select md5('seed-assignment-' || t || '-' || slot || '-' || n)::uuid,
       ('10000000-0000-4000-8000-00000000000' || t)::uuid,
       ('b0000000-0000-4000-8000-00000000' || t || '0' || lpad(slot::text, 2, '0'))::uuid,
       ('c0000000-0000-4000-8000-00000000' || t || '0' || lpad(n::text, 2, '0'))::uuid,
       not (slot = 1 and n = 9)
from generate_series(1, 2) t, generate_series(1, 4) slot, generate_series(1, 12) n
where (slot = 1 and n <= 9)
   or (slot = 2 and n >= 5)
   or (slot = 3 and (n <= 3 or n >= 10))
   or slot = 4
on conflict do nothing;

-- Six hourly readings per patient, all within NEWS2 0 ranges.
insert into public.vital_signs (tenant_id, patient_id, measured_at, heart_rate, spo2, respiratory_rate,
                                temperature, systolic_bp, diastolic_bp, pain_score, source)
select p.tenant_id, p.id, date_trunc('minute', now()) - make_interval(hours => h),
       62 + (k * 7 + h * 3) % 20, 96 + (k + h) % 4, 14 + (k + h) % 5,
       36.5 + ((k * 3 + h) % 8) / 10.0, 118 + (k * 5 + h * 2) % 25, 70 + (k + h * 3) % 15,
       (k + h) % 4, 'device'
from (select p.*, right(p.id::text, 2)::int + 12 * (substr(right(p.id::text, 4), 1, 1)::int - 1) as k
      from public.patients p where p.id::text like 'c0000000-0000-4000-8000-%') p,
     generate_series(0, 5) h
where not exists (select 1 from public.vital_signs v where v.patient_id = p.id);

insert into public.patient_status (patient_id, tenant_id, provider_id, status, news2_score, news2_risk,
                                   last_vitals_at)
select p.id, p.tenant_id,
       ('b0000000-0000-4000-8000-00000000' || substr(right(p.id::text, 4), 1, 1)
         || case when right(p.id::text, 2)::int <= 8 then '001' else '002' end)::uuid,
       'stable', 0, 'low',
       (select max(v.measured_at) from public.vital_signs v where v.patient_id = p.id)
from public.patients p where p.id::text like 'c0000000-0000-4000-8000-%'
on conflict do nothing;

insert into public.care_plans (id, tenant_id, patient_id, title, goals, instructions, created_by)
select ('e0000000-0000-4000-8000-00000000' || t || '0' || lpad(n::text, 2, '0'))::uuid,
       ('10000000-0000-4000-8000-00000000000' || t)::uuid,
       ('c0000000-0000-4000-8000-00000000' || t || '0' || lpad(n::text, 2, '0'))::uuid,
       title, goals::jsonb, instructions,
       ('b0000000-0000-4000-8000-00000000' || t || '003')::uuid
from (values
  (1, 1, 'Knee replacement: weeks 1-2',
   '["Knee flexion 90 degrees by day 14", "Walk 200 m with a cane", "Pain at rest 3/10 or less"]',
   'Ankle pumps and quad sets 3x daily. Ice 20 minutes after exercise. Keep the wound dry.'),
  (1, 2, 'Hip replacement: posterior precautions',
   '["Walk without walker by week 3", "Independent stairs with rail"]',
   'No hip flexion beyond 90 degrees, no crossing legs, no inward rotation for 6 weeks.'),
  (1, 5, 'Bilateral knee replacement: early mobility',
   '["Stand and transfer independently", "Knee extension to 0 degrees"]',
   'Alternate legs for exercises. Report calf pain or swelling at once.'),
  (2, 1, 'Hip replacement: weeks 1-2',
   '["Walk 150 m with walker", "Sleep on back with pillow between knees"]',
   'Anterior approach: avoid hip extension with outward rotation. Daily wound check.'),
  (2, 2, 'Knee replacement: range of motion',
   '["Knee flexion 100 degrees by week 3", "Pain at rest 3/10 or less"]',
   'Heel slides 10x three times a day. Elevate the leg when resting.'),
  (2, 4, 'Knee replacement: swelling control',
   '["Reduce swelling", "Walk indoors without aid"]',
   'Compression stocking during the day. Ice and elevate after each session.')
) as c(t, n, title, goals, instructions)
on conflict do nothing;

insert into public.messages (id, tenant_id, patient_id, provider_id, sender_role, sender_user_id, body,
                             read_at, created_at)
select ('e1000000-0000-4000-8000-00000000' || t || '0' || lpad(m::text, 2, '0'))::uuid,
       ('10000000-0000-4000-8000-00000000000' || t)::uuid,
       ('c0000000-0000-4000-8000-00000000' || t || '0' || lpad(n::text, 2, '0'))::uuid,
       case when slot is null then null
            else ('b0000000-0000-4000-8000-00000000' || t || '0' || lpad(slot::text, 2, '0'))::uuid end,
       sender_role,
       case sender_role
         when 'patient' then ('d0000000-0000-4000-8000-00000000' || t || '0' || lpad(n::text, 2, '0'))::uuid
         when 'provider' then ('a0000000-0000-4000-8000-00000000' || t || '0' || lpad(slot::text, 2, '0'))::uuid
       end,
       body,
       case when is_read then now() - make_interval(hours => age_h - 1) end,
       now() - make_interval(hours => age_h)
from (values
  (1, 1, 1, null, 'system',   'Welcome to home monitoring. Your care team sees your readings.', 30, true),
  (1, 2, 1, 1,    'patient',  'My knee is more swollen this morning than yesterday. Is that normal?', 5, true),
  (1, 3, 1, 1,    'provider', 'Some swelling is expected. Ice and elevate for 20 minutes; we will watch your readings.', 4, false),
  (1, 4, 2, null, 'system',   'Welcome to home monitoring. Your care team sees your readings.', 60, false),
  (2, 1, 1, null, 'system',   'Welcome to home monitoring. Your care team sees your readings.', 40, true),
  (2, 2, 2, 1,    'patient',  'Can I shower yet?', 3, false)
) as x(t, m, n, slot, sender_role, body, age_h, is_read)
on conflict do nothing;

-- Two historic events, routed to the patients' active assignments, acknowledged and resolved.
insert into public.patient_alerts (id, event_id, tenant_id, patient_id, provider_id, priority, kind, message,
                                   value, limit_value, unit, raised_at, state, acknowledged_by,
                                   acknowledged_at, resolved_at)
select md5('seed-alert-' || e.event_id || '-' || a.provider_id)::uuid, e.event_id::uuid, a.tenant_id,
       a.patient_id, a.provider_id, e.priority, e.kind, e.message, e.value, e.limit_value, e.unit,
       now() - make_interval(hours => e.age_h), 'resolved',
       case when a.provider_id = e.acked_by::uuid then a.provider_id end,
       case when a.provider_id = e.acked_by::uuid then now() - make_interval(hours => e.age_h) + interval '4 minutes' end,
       now() - make_interval(hours => e.age_h) + interval '3 hours'
from (values
  ('f1000000-0000-4000-8000-000000001003', 'c0000000-0000-4000-8000-000000001003', 'medium', 'fever',
   'Temperature 38.4 °C (limit 38.0 °C)', 38.4, 38.0, '°C', 26, 'b0000000-0000-4000-8000-000000001001'),
  ('f1000000-0000-4000-8000-000000002006', 'c0000000-0000-4000-8000-000000002006', 'high', 'tachycardia',
   'Heart rate 132 /min (limit 130 /min)', 132, 130, 'bpm', 20, 'b0000000-0000-4000-8000-000000002001')
) as e(event_id, patient_id, priority, kind, message, value, limit_value, unit, age_h, acked_by)
join public.provider_assignments a on a.patient_id = e.patient_id::uuid and a.active
on conflict do nothing;

insert into public.collaboration_sessions (id, tenant_id, title, kind, patient_id, created_by)
select ('5e550000-0000-4000-8000-00000000' || t || '001')::uuid,
       ('10000000-0000-4000-8000-00000000000' || t)::uuid,
       'Morning handoff', 'handoff', null,
       ('b0000000-0000-4000-8000-00000000' || t || '004')::uuid
from generate_series(1, 2) t
on conflict do nothing;

drop view seed_ids;
drop view seed_people;

-- Quick replies each tenant offers its clinicians (coordinators edit them).
insert into public.quick_replies (id, tenant_id, label, body, position)
select md5('seed-quick-reply-' || t || '-' || q.position)::uuid,
       ('10000000-0000-4000-8000-00000000000' || t)::uuid, q.label, q.body, q.position
from generate_series(1, 2) t,
     (values (1, 'Ice and elevate', 'Ice the joint for 20 minutes and keep the leg raised; we are watching your readings.'),
             (2, 'We will call you', 'A nurse will call you within the next hour.'),
             (3, 'Call 911', 'If you are short of breath or have chest pain, call 911 now.'),
             (4, 'Reading received', 'Thank you, we received your reading.')) as q(position, label, body)
on conflict do nothing;

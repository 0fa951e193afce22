"""Collaborative sessions without Qt and without Supabase: the shared I-PASS handoff document (a pycrdt
CRDT), the end-to-end envelope of session broadcasts (AES-GCM), the replay window, message validation,
the presence model, and ``SessionEngine``, which ties them together behind two plain functions (send a
broadcast, track presence). ``backend/sessions.py`` connects the engine to the realtime link;
``ui/sessions.py`` shows it.
"""

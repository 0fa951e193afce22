"""The REST queries of resync and the alert commands, over the official supabase client.

Failures are sorted into the two kinds the sync engine acts on: ``TransientError`` (network, server
busy, token being refreshed: try again later) and ``PermanentError`` (the server refused the request for
good: do not retry).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from datetime import UTC, datetime

import httpx
from postgrest.exceptions import APIError
from supabase import AsyncClient

from ..domain.alerts import Command
from ..tasks import cancel_and_wait

log = logging.getLogger(__name__)

PAGE = 1000
ID_CHUNK = 100
# Requests of one resync table in flight at once: the server answers them in parallel.
PARALLEL = 4


class RestError(Exception):
    pass


class TransientError(RestError):
    """The request may succeed later (offline, timeout, 5xx, expired token)."""


class PermanentError(RestError):
    """The server refused the request; retrying cannot help."""


def _classify(exc: Exception) -> RestError:
    if isinstance(exc, APIError):
        code = str(exc.code or "")
        if code in ("PGRST301", "PGRST303", "PGRST001") or code.startswith(("08", "53", "57")):
            return TransientError(f"{code}: {exc.message}")
        return PermanentError(f"{code}: {exc.message}")
    return TransientError(str(exc) or exc.__class__.__name__)


def _iso(ts: datetime) -> str:
    return ts.astimezone(UTC).isoformat()


class PostgrestApi:
    """A PostgREST client whose failures come out as ``RestError`` (transient or permanent)."""

    def __init__(self, client: AsyncClient):
        self.client = client

    async def _run(self, query):
        try:
            return (await query.execute()).data
        except (APIError, httpx.HTTPError, OSError) as exc:
            raise _classify(exc) from exc


class RestGateway(PostgrestApi):

    async def patients(self) -> list[dict]:
        return await self._run(self.client.table("patients").select("*").order("id"))

    async def open_alerts(self, provider_id: str) -> list[dict]:
        """Every alert routed to the provider that is not resolved: the bounded set resync takes whole."""
        return await self._run(self.client.table("patient_alerts").select("*")
                               .eq("provider_id", provider_id).neq("state", "resolved"))

    async def alerts_changed_since(self, provider_id: str, since: datetime) -> list[dict]:
        """Alerts of the provider changed at or after ``since``, open or not (e.g. raised and resolved
        while this station was offline)."""
        rows: list[dict] = []
        offset = 0
        while True:
            page = await self._run(self.client.table("patient_alerts").select("*").eq("provider_id", provider_id)
                                   .gte("updated_at", _iso(since)).order("updated_at").order("id")
                                   .range(offset, offset + PAGE - 1))
            rows += page
            if len(page) < PAGE:
                return rows
            offset += PAGE

    async def alerts_by_id(self, ids: list[str]) -> list[dict]:
        rows: list[dict] = []
        for start in range(0, len(ids), ID_CHUNK):
            rows += await self._run(self.client.table("patient_alerts").select("*").in_("id", ids[start:start + ID_CHUNK]))
        return rows

    async def statuses(self, patient_ids: list[str]) -> list[dict]:
        rows: list[dict] = []
        for start in range(0, len(patient_ids), ID_CHUNK):
            rows += await self._run(self.client.table("patient_status").select("*")
                                    .in_("patient_id", patient_ids[start:start + ID_CHUNK]))
        return rows

    async def changed_since(self, table: str, patient_ids: list[str], since: datetime | None) -> list[dict]:
        """Rows of the patients' high-volume table with ``updated_at`` at or after ``since``, all pages."""
        rows: list[dict] = []
        async for page in self.changed_pages(table, patient_ids, since):
            rows += page
        return rows

    async def changed_pages(self, table: str, patient_ids: list[str], since: datetime | None, *,
                            parallel: int = PARALLEL) -> AsyncIterator[list[dict]]:
        """``changed_since`` page by page, as the pages arrive: the patients are split into up to
        ``parallel`` groups fetched at once (each group's pages in order), so the caller can store one
        page while the next ones are on their way. Pages of different groups come in any order."""
        size = max(1, min(ID_CHUNK, -(-len(patient_ids) // parallel)))
        groups = [patient_ids[start:start + size] for start in range(0, len(patient_ids), size)]
        pages: asyncio.Queue[list[dict] | None] = asyncio.Queue()
        gate = asyncio.Semaphore(parallel)

        async def fetch(group: list[str]) -> None:
            async with gate:
                offset = 0
                while True:
                    query = self.client.table(table).select("*").in_("patient_id", group)
                    if since is not None:
                        query = query.gte("updated_at", _iso(since))
                    page = await self._run(query.order("updated_at").order("id").range(offset, offset + PAGE - 1))
                    pages.put_nowait(page)
                    if len(page) < PAGE:
                        return
                    offset += PAGE

        async def fetch_all() -> None:
            fetches = [asyncio.create_task(fetch(group)) for group in groups]
            try:
                await asyncio.gather(*fetches)  # the first failure, as raised (a RestError)
            finally:
                await cancel_and_wait(fetches)
                pages.put_nowait(None)

        producer = asyncio.create_task(fetch_all(), name=f"tjv-fetch-{table}")
        try:
            while (page := await pages.get()) is not None:
                yield page
            await producer  # a failed fetch raises here (the first RestError)
        finally:
            await cancel_and_wait([producer])

    async def feed_position(self, topics: list[str]) -> dict[str, int]:
        """The database feed's current ``seq`` of each topic the user may read (``supabase/migrations``:
        ``public.feed_position``); topics the user may not read are left out."""
        if not topics:
            return {}
        rows = await self._run(self.client.rpc("feed_position", {"p_topics": list(topics)}))
        return {row["topic"]: int(row["seq"]) for row in rows or []}

    async def command(self, kind: str, alert_id: str, action_id: str, args: dict | None = None) -> dict:
        """Runs an alert command; the database function is idempotent on ``action_id``."""
        params = {"p_alert_id": alert_id, "p_action_id": action_id}
        command = Command(kind)
        if command is Command.REJECT:
            params["p_reason"] = (args or {}).get("reason")
        try:
            return (await self.client.rpc(command.rpc, params).execute()).data
        except (APIError, httpx.HTTPError, OSError) as exc:
            raise _classify(exc) from exc

    async def send_reply(self, patient_id: str, body: str, action_id: str) -> dict:
        """A clinician's message to the patient (``public.send_message``: assigned clinicians only, at most
        8 KB, idempotent on ``action_id``); returns the message row."""
        return await self._run(self.client.rpc("send_message", {"p_patient_id": patient_id, "p_body": body,
                                                                "p_action_id": action_id}))

    async def audit_handoff_export(self, patient_ids: list[str], language: str, action_id: str) -> int:
        """Records a handoff export on the server (one audit row per patient; refused whole if one is not
        the caller's to see)."""
        return await self._run(self.client.rpc("audit_handoff_export", {
            "p_patient_ids": patient_ids, "p_language": language, "p_action_id": action_id}))

    async def workstation_heartbeat(self, workstation: str, locked: bool) -> str:
        return await self._run(self.client.rpc("workstation_heartbeat", {"p_workstation": workstation,
                                                                         "p_locked": locked}))

    async def provider(self, provider_id: str) -> dict | None:
        rows = await self._run(self.client.table("providers").select("id, full_name, role, tenant_id")
                               .eq("id", provider_id))
        return rows[0] if rows else None

    async def quick_replies(self) -> list[dict]:
        """The tenant's quick replies (RLS: the caller's tenant only), in their order."""
        return await self._run(self.client.table("quick_replies").select("id, label, body, position")
                               .order("position").order("label"))

    async def tenant_metrics(self, since: datetime, bucket_seconds: int) -> list[dict]:
        """Per metric, the average and maximum of each bucket since ``since`` (``public.tenant_metrics``)."""
        return await self._run(self.client.rpc("tenant_metrics", {"p_since": _iso(since),
                                                                  "p_bucket": f"{int(bucket_seconds)} seconds"}))

    async def tenant_limits(self, tenant_id: str) -> dict[str, float]:
        """The tenant's metric limits in the metrics' units (seconds, patients)."""
        rows = await self._run(self.client.table("tenants").select("metrics_ack_p90_limit, metrics_stale_patients_limit")
                               .eq("id", tenant_id))
        if not rows:
            return {}
        return {"ack_p90_s": _interval_seconds(rows[0]["metrics_ack_p90_limit"]),
                "stale_patients": float(rows[0]["metrics_stale_patients_limit"])}

    async def handoff_notes(self) -> dict[str, str]:
        """Patient -> the shared note (I-PASS) of the newest open session about them, where the session is
        not end-to-end encrypted (an encrypted one keeps no text on the server)."""
        rows = await self._run(self.client.table("collaboration_sessions").select("patient_id, document_text")
                               .eq("status", "open").not_.is_("patient_id", "null")
                               .not_.is_("document_text", "null").order("updated_at", desc=True))
        notes: dict[str, str] = {}
        for row in rows or []:
            if (row.get("document_text") or "").strip():
                notes.setdefault(str(row["patient_id"]), row["document_text"])
        return notes

    async def care_team_of(self, patient_ids: list[str]) -> dict[str, set[str]]:
        """Patient -> the providers actively assigned to them (``public.care_team_of``; the caller's patients)."""
        team: dict[str, set[str]] = {}
        for start in range(0, len(patient_ids), ID_CHUNK):
            rows = await self._run(self.client.rpc("care_team_of", {"p_patient_ids": patient_ids[start:start + ID_CHUNK]}))
            for row in rows or []:
                team.setdefault(str(row["patient_id"]), set()).add(str(row["provider_id"]))
        return team

def _interval_seconds(text: str) -> float:
    """PostgreSQL's interval output ("00:10:00", "1 day 02:00:00") in seconds."""
    days, _, clock = str(text).rpartition(" ")
    hours, minutes, seconds = (float(x) for x in clock.split(":"))
    day_count = float(days.split()[0]) if days else 0.0
    return day_count * 86400 + hours * 3600 + minutes * 60 + seconds


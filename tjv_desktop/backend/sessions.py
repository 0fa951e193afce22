"""The ``collaboration_sessions`` rows over PostgREST. The joined session itself (its channel, engine
and saving) is ``collab/service.py``."""

from __future__ import annotations

from .rest import PostgrestApi, RestError

LIST_COLUMNS = "id,title,kind,patient_id,created_by,status,created_at,updated_at"


class SessionRefused(RestError):
    """The server does not let this user into the session (not its tenant, not a provider)."""


class SessionsApi(PostgrestApi):
    async def list_open(self) -> list[dict]:
        """Open sessions of the user's tenant (RLS decides which), newest first."""
        return await self._run(self.client.table("collaboration_sessions").select(LIST_COLUMNS)
                               .eq("status", "open").order("created_at", desc=True))

    async def create(self, title: str, tenant_id: str, provider_id: str, patient_id: str | None = None,
                     kind: str = "handoff") -> dict:
        rows = await self._run(self.client.table("collaboration_sessions").insert(
            {"title": title, "tenant_id": tenant_id, "created_by": provider_id, "patient_id": patient_id,
             "kind": kind}))
        return rows[0]

    async def load(self, session_id: str) -> dict | None:
        rows = await self._run(self.client.table("collaboration_sessions").select("*").eq("id", session_id))
        return rows[0] if rows else None

    async def save(self, session_id: str, state: str, text: str | None, expected_updated_at: str,
                   close: bool = False) -> dict | None:
        """Writes the document if the row is unchanged since it was read; None when it was not."""
        values = {"document_state": state, "document_text": text}
        if close:
            values["status"] = "closed"
        rows = await self._run(self.client.table("collaboration_sessions").update(values)
                               .eq("id", session_id).eq("updated_at", expected_updated_at))
        return rows[0] if rows else None

    async def my_name(self, user_id: str) -> str | None:
        rows = await self._run(self.client.table("providers").select("full_name").eq("user_id", user_id))
        return rows[0]["full_name"] if rows else None

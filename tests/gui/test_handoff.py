"""The handoff report: built from the store of the real window's engine, written to PDF by Qt in English
and in Spanish, its pages rendered to PNG with poppler's pdftoppm (artifacts, looked at), its text read
back with pdftotext; every export is in the local audit trail with the patients it named."""

from __future__ import annotations

import shutil
import subprocess
import unicodedata
import uuid
from datetime import UTC, datetime, timedelta

import pytest

from tests.support.gui import offline_station, populate, run_qt
from tjv_desktop.store import LocalStore
from tjv_desktop.ui import i18n
from tjv_desktop.ui.handoff_dialog import HandoffDialog

NOW = datetime(2026, 12, 6, 7, 0, tzinfo=UTC)

pytestmark = pytest.mark.skipif(not shutil.which("pdftoppm"), reason="poppler-utils (scripts/bootstrap.sh)")


def batch_with_an_unread_message() -> dict:
    batch = populate(NOW, patients=6)
    first = batch["patients"][3]["id"]  # one of the deteriorating patients
    batch["messages"] = [{"id": "m-1", "patient_id": first, "sender_role": "patient", "body": "My knee is hot",
                          "created_at": (NOW - timedelta(minutes=20)).isoformat(),
                          "updated_at": (NOW - timedelta(minutes=20)).isoformat()}]
    return batch


def text_of(pdf) -> str:
    """The PDF's text, ligatures ("ﬀ") unfolded."""
    return unicodedata.normalize("NFKC", subprocess.run(["pdftotext", "-layout", str(pdf), "-"], capture_output=True, text=True, check=True,
                          timeout=60).stdout)


@pytest.mark.parametrize("language", ["en", "es"])
def test_the_handoff_pdf_is_audited_and_rendered_in_the_interface_language(qapp, artifacts_dir, tmp_path, language):
    assert i18n.install_translator(qapp, language) == language
    try:
        async def scenario():
            async with offline_station(batch_with_an_unread_message(), size=(1280, 800)) as window:
                dialog = HandoffDialog(window.engine, "Emma Clarke, RN", window, now=lambda: NOW,
                                       notes={str(uuid.UUID(int=4)): "I: high risk. P: watch SpO₂."})
                await dialog.refresh()
                dialog.show()
                dialog.grab().save(str(artifacts_dir / f"handoff_dialog_{language}.png"))
                pdf = tmp_path / f"handoff_{language}.pdf"
                await dialog.export_pdf(str(pdf))
                trail = await window.engine.worker.call(LocalStore.audit_trail)
                dialog.close()
                return pdf, dialog.patients, trail

        pdf, patients, trail = run_qt(qapp, scenario)
    finally:
        i18n.install_translator(qapp, "en")

    # Worst first: the patients with open alerts lead, by priority then NEWS2.
    ranks = [(p.census.top_priority is None, -(p.census.news2 or 0)) for p in patients]
    assert ranks == sorted(ranks) and len(patients) == 6
    exported = [e for e in trail if e.action == "handoff.export"]
    assert len(exported) == 1
    assert exported[0].details["patients"] == [p.census.patient_id for p in patients]
    assert (exported[0].details["language"], exported[0].details["kind"]) == (language, "pdf")

    text = text_of(pdf)
    title, trend, unread = {"en": ("Handoff report", "NEWS2 over the shift", "Unread messages (1)"),
                            "es": ("Informe de relevo", "NEWS2 durante el turno", "Mensajes sin leer (1)")}[language]
    assert title in text and trend in text and unread in text
    assert "My knee is hot" in text and "watch SpO" in text  # the message and the I-PASS note
    assert text.index(patients[0].census.name) < text.index(patients[-1].census.name)

    prefix = artifacts_dir / f"handoff_{language}"
    subprocess.run(["pdftoppm", "-png", "-r", "70", "-f", "1", "-l", "2", str(pdf), str(prefix)], check=True,
                   timeout=60)
    pages = sorted(artifacts_dir.glob(f"handoff_{language}-*.png"))
    assert pages and all(p.stat().st_size > 10_000 for p in pages)


def test_the_machine_policy_decides_which_identifiers_leave_on_paper(qapp):
    """``handoff_identifiers`` set by policy: the dialog offers nothing else (the choice is disabled)."""
    async def scenario():
        async with offline_station(user_label="test") as window:
            dialog = HandoffDialog(window.engine, "Emma Clarke, RN", window, identifiers="initials",
                                   identifiers_locked=True)
            try:
                return dialog.identifiers.currentData(), dialog.identifiers.isEnabled()
            finally:
                dialog.close()

    assert run_qt(qapp, scenario) == ("initials", False)

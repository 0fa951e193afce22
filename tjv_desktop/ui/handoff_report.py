"""The handoff report as a document: laid out with QTextDocument from the store's records
(``sync/handoff.py``), written to PDF with QPdfWriter or sent to a printer, in the interface language.

Identifiers follow ``identifiers``: "full" (name and MRN) or "initials" (initials and the MRN's last
four characters) for a report that leaves the ward."""

from __future__ import annotations

import html
from collections.abc import Mapping, Sequence
from datetime import datetime

from PySide6.QtCore import QCoreApplication, QMarginsF
from PySide6.QtGui import QPagedPaintDevice, QPageLayout, QPageSize, QPdfWriter, QTextDocument

from tjv_desktop.domain.alerts import marker
from tjv_desktop.sync.handoff import HandoffPatient

from .i18n import local_time
from .models import age_text

IDENTIFIERS = ("full", "initials")


def _tr(text: str) -> str:
    return QCoreApplication.translate("handoff", text)


def _coded(value: str) -> str:
    """A coded value (status, state, side, a vital's short name): the census's own translation."""
    return QCoreApplication.translate("models", value)


def identify(patient: Mapping, name: str, identifiers: str) -> str:
    """How the report names a patient under the identifier policy."""
    mrn = str(patient.get("mrn") or "")
    if identifiers == "initials":
        initials = "".join(part[:1].upper() + "." for part in name.replace(",", " ").split() if part)
        return f"{initials} ···{mrn[-4:]}" if mrn else initials
    return f"{name} · {mrn}" if mrn else name


def _trend(points: Sequence[tuple[datetime, int]]) -> str:
    if not points:
        return _tr("no vitals in this shift")
    scores = [score for _when, score in points]
    # At most 12 points, evenly picked, so a long shift stays one line.
    step = max(1, len(scores) // 12)
    shown = scores[::step]
    if shown[-1] is not scores[-1]:
        shown.append(scores[-1])
    return _tr("{trend} (now {now}, highest {max})").format(
        trend=" → ".join(str(s) for s in shown), now=scores[-1], max=max(scores))


def _vitals(p: HandoffPatient, now: datetime) -> str:
    v = p.census.vitals
    if not v:
        return _tr("no vitals")
    parts = [f"{_coded('HR')} {v.get('heart_rate', '–')}", f"SpO₂ {v.get('spo2', '–')} %",
             f"{_coded('RR')} {v.get('respiratory_rate', '–')}", f"{_coded('Temp')} {v.get('temperature', '–')} °C",
             f"{_coded('BP')} {v.get('systolic_bp', '–')}/{v.get('diastolic_bp', '–')}",
             f"{_coded('Pain')} {v.get('pain_score', '–')}/10"]
    measured = p.census.measured_at
    age = age_text((now - measured).total_seconds() if measured else None)
    return html.escape("  ·  ".join(str(x) for x in parts)) + " — " + html.escape(_tr("{age} ago").format(age=age))


def report_html(patients: Sequence[HandoffPatient], *, author: str, now: datetime, shift_hours: int,
                identifiers: str, notes: Mapping[str, str] | None = None) -> str:
    """The report's HTML (what QTextDocument renders): a header, then one block per patient, worst first."""
    notes = notes or {}
    out = [f"<h1>{html.escape(_tr('Handoff report'))}</h1>",
           "<p>" + html.escape(_tr("Prepared by {author} on {when} · last {hours} h · {n} patients").format(
               author=author, when=local_time(now), hours=shift_hours, n=len(patients))) + "</p>"]
    for p in patients:
        row = p.census
        name = identify(p.patient, row.name, identifiers)
        status = _coded(row.status or "unknown")
        news2 = "–" if row.news2 is None else row.news2
        out.append("<hr/><h2>" + html.escape(f"{marker(row.top_priority) if row.top_priority else ''} {name}".strip())
                   + "</h2>")
        procedure = " ".join(x for x in (row.procedure, _coded(row.side) if row.side else None) if x)
        out.append("<p>" + html.escape(_tr("{procedure} · post-operative day {pod} · status {status} · NEWS2 {news2}")
                                       .format(procedure=procedure or "–", pod="–" if row.pod is None else row.pod,
                                               status=status, news2=news2)) + "</p>")
        out.append(f"<p><b>{html.escape(_tr('NEWS2 over the shift'))}:</b> {html.escape(_trend(p.news2_trend))}</p>")
        out.append(f"<p><b>{html.escape(_tr('Latest vitals'))}:</b> {_vitals(p, now)}</p>")
        if p.alerts:
            items = "".join(f"<li>{html.escape(marker(a.priority))} {html.escape(a.message)} "
                            f"({html.escape(local_time(a.raised_at) if a.raised_at else '–')}, "
                            f"{html.escape(_coded(a.state))})</li>" for a in p.alerts)
            out.append(f"<p><b>{html.escape(_tr('Open alerts'))}:</b></p><ul>{items}</ul>")
        else:
            out.append(f"<p><b>{html.escape(_tr('Open alerts'))}:</b> {html.escape(_tr('none'))}</p>")
        if p.unread:
            items = "".join(f"<li>{html.escape(str(m.get('body') or ''))}</li>" for m in p.unread[-5:])
            out.append("<p><b>" + html.escape(_tr("Unread messages ({n})").format(n=len(p.unread)))
                       + f":</b></p><ul>{items}</ul>")
        note = notes.get(row.patient_id)
        if note:
            out.append(f"<p><b>{html.escape(_tr('I-PASS note'))}:</b></p>"
                       f"<p style='white-space: pre-wrap'>{html.escape(note)}</p>")
    return "".join(out)


def document(report: str) -> QTextDocument:
    doc = QTextDocument()
    doc.setDefaultStyleSheet("h1 { font-size: 18pt; } h2 { font-size: 13pt; margin-top: 6px; } "
                             "p, li { font-size: 10pt; }")
    doc.setHtml(report)
    return doc


def paint(doc: QTextDocument, device: QPagedPaintDevice) -> None:
    """Lays the document out on A4 pages of ``device`` (a QPdfWriter or a QPrinter) and prints it."""
    device.setPageSize(QPageSize(QPageSize.PageSizeId.A4))
    device.setPageMargins(QMarginsF(15, 15, 15, 15), QPageLayout.Unit.Millimeter)
    doc.print_(device)


def write_pdf(report: str, path: str, title: str) -> None:
    writer = QPdfWriter(path)
    writer.setResolution(300)
    writer.setTitle(title)
    writer.setCreator("TJV Desktop")
    paint(document(report), writer)

"""The handoff dialog: pick the shift and the identifiers, preview the report, save it as PDF or print it.

Every export and print is audited before the file or the printer gets it (who, when, which patients):
in the local audit trail always, and on the server (``audit_handoff_export``) when online."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Mapping
from datetime import UTC, datetime, timedelta

from PySide6.QtCore import QLocale
from PySide6.QtPrintSupport import QPrintDialog, QPrinter
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QSpinBox,
    QTextBrowser,
    QVBoxLayout,
)

from . import handoff_report

SHIFT_HOURS = (8, 12)


class HandoffDialog(QDialog):
    """``engine`` gives ``handoff_patients(since)`` and ``audit_handoff(patient_ids, language, kind)``."""

    def __init__(self, engine, author: str, parent=None, *, now: Callable[[], datetime] = lambda: datetime.now(UTC),
                 notes: Mapping[str, str] | None = None, identifiers: str = "full",
                 identifiers_locked: bool = False):
        super().__init__(parent)
        self.engine, self.author, self.now, self.notes = engine, author, now, notes or {}
        self.patients: list = []
        self.html = ""
        self.setWindowTitle(self.tr("Handoff report"))
        self.setAccessibleName(self.tr("Handoff report"))

        self.hours = QSpinBox(self)
        self.hours.setRange(1, 24)
        self.hours.setValue(SHIFT_HOURS[1])
        self.hours.setSuffix(self.tr(" h"))
        self.hours.setAccessibleName(self.tr("Length of the shift"))
        self.identifiers = QComboBox(self)
        self.identifiers.addItem(self.tr("Name and MRN"), "full")
        self.identifiers.addItem(self.tr("Initials and last MRN digits"), "initials")
        self.identifiers.setCurrentIndex(handoff_report.IDENTIFIERS.index(identifiers))
        self.identifiers.setAccessibleName(self.tr("Patient identifiers"))
        if identifiers_locked:  # the machine policy says which identifiers may leave on paper
            self.identifiers.setEnabled(False)
            self.identifiers.setToolTip(self.tr("Set by this station's machine policy."))
        form = QFormLayout()
        form.addRow(self.tr("Shift:"), self.hours)
        form.addRow(self.tr("Identifiers:"), self.identifiers)

        self.preview = QTextBrowser(self)
        self.preview.setAccessibleName(self.tr("Report preview"))
        self.status = QLabel("", self)
        self.save_button = QPushButton(self.tr("Save as PDF…"), self)
        self.print_button = QPushButton(self.tr("Print…"), self)
        close = QPushButton(self.tr("Close"), self)
        buttons = QHBoxLayout()
        buttons.addWidget(self.status, 1)
        buttons.addWidget(self.save_button)
        buttons.addWidget(self.print_button)
        buttons.addWidget(close)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(self.preview, 1)
        layout.addLayout(buttons)
        self.resize(820, 640)

        self._tasks: set[asyncio.Task] = set()
        self.hours.valueChanged.connect(lambda _v: self._spawn(self.refresh()))
        self.identifiers.currentIndexChanged.connect(lambda _i: self._render())
        self.save_button.clicked.connect(self._ask_path)
        self.print_button.clicked.connect(self._ask_printer)
        close.clicked.connect(self.reject)

    def _spawn(self, coro) -> None:
        task = asyncio.ensure_future(coro)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def refresh(self) -> None:
        """Reads the panel from the store (on its thread) and shows the report."""
        since = self.now() - timedelta(hours=self.hours.value())
        self.patients = await self.engine.handoff_patients(since)
        self._render()

    def _render(self) -> None:
        self.html = handoff_report.report_html(
            self.patients, author=self.author, now=self.now(), shift_hours=self.hours.value(),
            identifiers=self.identifiers.currentData(), notes=self.notes)
        self.preview.setHtml(self.html)

    async def _audit(self, kind: str) -> None:
        ids = [p.census.patient_id for p in self.patients]
        await self.engine.audit_handoff(ids, QLocale().name().split("_")[0], kind)  # the interface's

    async def export_pdf(self, path: str) -> None:
        """Audits, then writes the report shown to ``path``."""
        await self._audit("pdf")
        handoff_report.write_pdf(self.html, path, self.tr("Handoff report"))
        self.status.setText(self.tr("Saved {n} patients to {path}").format(n=len(self.patients), path=path))

    async def print_to(self, printer: QPrinter) -> None:
        await self._audit("print")
        handoff_report.paint(handoff_report.document(self.html), printer)
        self.status.setText(self.tr("Sent {n} patients to the printer").format(n=len(self.patients)))

    def _ask_path(self) -> None:
        stamp = self.now().strftime("%Y%m%d-%H%M")
        path, _filter = QFileDialog.getSaveFileName(self, self.tr("Save the handoff report"),
                                                    f"handoff-{stamp}.pdf", self.tr("PDF files (*.pdf)"))
        if path:
            self._spawn(self.export_pdf(path))

    def _ask_printer(self) -> None:
        printer = QPrinter(QPrinter.PrinterMode.HighResolution)
        dialog = QPrintDialog(printer, self)
        if dialog.exec() == QDialog.DialogCode.Accepted:
            self._spawn(self.print_to(printer))

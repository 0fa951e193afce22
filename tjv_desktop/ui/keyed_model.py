"""Rows keyed by id in a table model whose cells Qt holds, and the sorting/filtering proxy over it.

A row's cells (text, colours, sort keys, tooltips) are computed in Python when the row changes, and held
by QStandardItemModel, so painting, sorting and measuring run in C++. With a Python ``data()`` Qt called
into Python about seven times per painted cell (and twice per comparison when sorting): painting the
200-patient census took 10–13 ms, about 2 ms now (benchmarks/ui_frame_time.py).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

from PySide6.QtCore import QSortFilterProxyModel, Qt
from PySide6.QtGui import QStandardItem, QStandardItemModel

SORT_ROLE = Qt.ItemDataRole.UserRole + 1
KEY_ROLE = Qt.ItemDataRole.UserRole + 2

Cell = dict[int, Any]  # role -> value; a role absent is None


def sort_text(*parts: Any) -> str:
    """One string that sorts like the tuple ``parts`` (numbers of up to 9 digits, then text): the proxy
    compares in C++, which knows strings and numbers, not Python tuples."""
    out = []
    for part in parts:
        if isinstance(part, bool | int | float):
            out.append(f"{float(part) + 1e9:021.6f}")  # non-negative and fixed width: text order is number order
        else:
            out.append(str(part))
    return "\x1f".join(out)


class KeyedTableModel(QStandardItemModel):
    """Rows keyed by id, in arrival order; subclasses say what each cell shows (``cells``).

    ``apply(rows)`` takes ``{key: row | None}``: a known key's changed cells are re-set, a new key is
    appended, None (or a row ``keep`` refuses) removes it; only the cells that changed are announced."""

    COLUMNS: tuple[str, ...] = ()

    def __init__(self, parent=None, now=lambda: datetime.now(UTC)):
        super().__init__(0, len(self.COLUMNS), parent)
        self._keys: list[str] = []
        self._rows: dict[str, Any] = {}
        self._items: dict[str, list[QStandardItem]] = {}
        self._shown: dict[str, list[Cell]] = {}  # what each cell holds now: only what differs is re-set
        self.now = now
        self._clock = now()

    # --- what subclasses say ------------------------------------------------------------------------

    def keep(self, row: Any) -> bool:
        return True

    def cells(self, row: Any, columns: Sequence[int]) -> list[Cell]:
        """The cells of ``row`` in ``columns``: every role this computes, None where a cell has none (so
        that a colour or tooltip that goes away is cleared); roles it leaves out are kept as set."""
        raise NotImplementedError

    def static_cell(self, column: int) -> Cell:
        """Roles fixed for a column (alignment, font), set once when a row is added."""
        return {}

    def prepare(self) -> None:
        """Called before a batch of cells is computed: one clock reading for all (and whatever else a
        subclass computes once per batch, not per cell)."""
        self._clock = self.now()

    def changed_columns(self, old: Any, new: Any) -> Sequence[int]:
        """The columns a change from ``old`` to ``new`` can show in; all unless a subclass knows better."""
        return range(len(self.COLUMNS))

    # --- updates ------------------------------------------------------------------------------------

    def reset(self, rows: dict[str, Any | None]) -> None:
        self.prepare()
        self.beginResetModel()
        self.blockSignals(True)  # one reset, not a signal per row added
        try:
            self.setRowCount(0)
            self._keys, self._rows, self._items, self._shown = [], {}, {}, {}
            for key, row in rows.items():
                if row is not None and self.keep(row):
                    self._append(key, row)
        finally:
            self.blockSignals(False)
        self.endResetModel()

    def apply(self, rows: dict[str, Any | None]) -> None:
        """Redraws, inserts or removes exactly the rows named."""
        self.prepare()
        changed: list[tuple[str, list[int]]] = []
        for key, row in rows.items():
            present = key in self._rows
            if row is None or not self.keep(row):
                if present:
                    index = self._keys.index(key)
                    del self._keys[index], self._rows[key], self._items[key], self._shown[key]
                    self.removeRow(index)
            elif present:
                old = self._rows[key]
                self._rows[key] = row
                columns = self.changed_columns(old, row)
                if columns:
                    changed.append((key, self._update(key, row, columns)))
            else:
                self._append(key, row)
        self._announce(changed)

    def refresh_columns(self, columns: Iterable[int], keys: Iterable[str] | None = None) -> None:
        """Re-computes ``columns`` (of the rows ``keys``, else all): what follows the clock or the window
        (ages, tooltips), not the data."""
        columns = list(columns)
        self.prepare()
        self._announce([(k, self._update(k, self._rows[k], columns)) for k in (self._keys if keys is None else keys)
                        if k in self._rows])

    def refresh_column(self, column: int) -> None:
        self.refresh_columns([column])

    def extra_cells(self, row: Any) -> list[Cell]:
        """Roles ``cells`` does not compute, set when a row is added (the census's tooltips)."""
        return [{} for _ in self.COLUMNS]

    def _append(self, key: str, row: Any) -> None:
        items = []
        cells = self.cells(row, range(len(self.COLUMNS)))
        for column, (cell, extra) in enumerate(zip(cells, self.extra_cells(row), strict=True)):
            cell.update(extra)
            item = QStandardItem()
            item.setEditable(False)
            for role, value in {KEY_ROLE: key, **self.static_cell(column), **cell}.items():
                if value is not None:
                    item.setData(value, role)
            items.append(item)
        self._keys.append(key)
        self._rows[key] = row
        self._items[key] = items
        self._shown[key] = cells
        self.appendRow(items)

    def _update(self, key: str, row: Any, columns: Sequence[int]) -> list[int]:
        """Re-computes ``columns`` of ``key`` and re-sets the roles that differ; returns the columns that
        changed."""
        return self._set(key, zip(columns, self.cells(row, columns), strict=True))

    def merge_roles(self, updates: Mapping[str, Mapping[int, Cell]]) -> None:
        """Sets some roles of some cells (``{key: {column: {role: value}}}``), the others kept: e.g. the
        tooltips alone, when only what they carry changed."""
        self._announce([(k, self._set(k, cells.items())) for k, cells in updates.items() if k in self._rows])

    def _set(self, key: str, cells: Iterable[tuple[int, Cell]]) -> list[int]:
        items, shown = self._items[key], self._shown[key]
        changed = []
        self.blockSignals(True)  # announced once for the whole batch (_announce)
        try:
            for column, cell in cells:
                before = shown[column]
                differ = [(role, value) for role, value in cell.items() if value != before.get(role)]
                if not differ:
                    continue
                item = items[column]
                for role, value in differ:
                    item.setData(value, role)
                    before[role] = value
                changed.append(column)
        finally:
            self.blockSignals(False)
        return changed

    def _announce(self, changed: list[tuple[str, list[int]]]) -> None:
        """One dataChanged per run of adjacent rows whose changed columns span the same columns: a vitals
        tick is one signal, and the sort proxy re-sorts only the rows whose span covers its sort column."""
        if not changed:
            return
        positions = {key: i for i, key in enumerate(self._keys)}
        by_span: dict[tuple[int, int], list[int]] = {}
        for key, columns in changed:
            row = positions.get(key)
            if row is not None and columns:
                by_span.setdefault((min(columns), max(columns)), []).append(row)
        for (first, last), rows in by_span.items():
            rows.sort()
            start = previous = rows[0]
            for row in [*rows[1:], None]:
                if row is not None and row == previous + 1:
                    previous = row
                    continue
                self.dataChanged.emit(self.index(start, first), self.index(previous, last))
                if row is not None:
                    start = previous = row

    # --- reads --------------------------------------------------------------------------------------

    def row(self, key: str) -> Any | None:
        return self._rows.get(key)

    def row_at(self, index: int) -> Any:
        return self._rows[self._keys[index]]

    def key_at(self, index: int) -> str:
        return self._keys[index]

    def keys(self) -> list[str]:
        return list(self._keys)

    def rows(self) -> list[Any]:
        return [self._rows[k] for k in self._keys]

    def headerData(self, section, orientation, role=Qt.ItemDataRole.DisplayRole):
        if orientation == Qt.Orientation.Horizontal and role == Qt.ItemDataRole.DisplayRole:
            return self.column_title(section)
        return None

    def column_title(self, section: int) -> str:
        return self.COLUMNS[section]

    def age_seconds(self, moment: datetime | None) -> float | None:
        """Seconds since ``moment`` at the batch's clock reading (``prepare``)."""
        return None if moment is None else (self._clock - moment).total_seconds()


class KeyedProxy(QSortFilterProxyModel):
    """Sorts by SORT_ROLE (strings and numbers, compared by Qt) and filters on one column's text,
    case-insensitively."""

    def __init__(self, source: KeyedTableModel, filter_column: int, sort_column: int, parent=None):
        super().__init__(parent)
        self.setSourceModel(source)
        self.setSortRole(SORT_ROLE)
        self.setDynamicSortFilter(True)
        self.setFilterKeyColumn(filter_column)
        self.setFilterCaseSensitivity(Qt.CaseSensitivity.CaseInsensitive)
        self.sort(sort_column, Qt.SortOrder.AscendingOrder)

    def key_at(self, row: int) -> str | None:
        index = self.index(row, 0)
        return index.data(KEY_ROLE) if index.isValid() else None

    def row_of(self, key: str) -> int | None:
        source: KeyedTableModel = self.sourceModel()
        if source.row(key) is None:
            return None
        return self.mapFromSource(source.index(source.keys().index(key), 0)).row()

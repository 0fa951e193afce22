"""What a write changed, so views update only those rows."""

from __future__ import annotations

from collections.abc import Hashable, Iterable, Mapping
from dataclasses import dataclass, field
from types import MappingProxyType


@dataclass(frozen=True)
class TableChanges:
    inserted: frozenset = frozenset()
    updated: frozenset = frozenset()
    deleted: frozenset = frozenset()

    @property
    def keys(self) -> frozenset:
        """Every key whose row is new, different or gone."""
        return self.inserted | self.updated | self.deleted

    def __bool__(self) -> bool:
        return bool(self.inserted or self.updated or self.deleted)

    def merged(self, other: TableChanges) -> TableChanges:
        """These changes followed by ``other``'s."""
        inserted = (self.inserted - other.deleted) | other.inserted
        deleted = (self.deleted - other.inserted) | other.deleted
        return TableChanges(inserted, (self.updated | other.updated) - inserted - deleted, deleted)


@dataclass(frozen=True)
class ChangeSet:
    """The keys a write changed, per table; false when nothing changed.

    ``changes.keys("alerts")`` is what an alerts view refreshes; ``changes["alerts"].inserted`` tells
    new rows (to insert in a model) from changed ones (to redraw).
    """

    tables: Mapping[str, TableChanges] = field(default_factory=dict)

    def __post_init__(self) -> None:
        kept = {name: changes for name, changes in self.tables.items() if changes}
        object.__setattr__(self, "tables", MappingProxyType(kept))

    @classmethod
    def of(
        cls,
        table: str,
        *,
        inserted: Iterable[Hashable] = (),
        updated: Iterable[Hashable] = (),
        deleted: Iterable[Hashable] = (),
    ) -> ChangeSet:
        return cls({table: TableChanges(frozenset(inserted), frozenset(updated), frozenset(deleted))})

    def __bool__(self) -> bool:
        return bool(self.tables)

    def __getitem__(self, table: str) -> TableChanges:
        return self.tables.get(table, TableChanges())

    def keys(self, table: str) -> frozenset:
        return self[table].keys

    def __or__(self, other: ChangeSet) -> ChangeSet:
        merged = dict(self.tables)
        for name, changes in other.tables.items():
            merged[name] = merged[name].merged(changes) if name in merged else changes
        return ChangeSet(merged)

    def __repr__(self) -> str:
        parts = []
        for name, c in self.tables.items():
            marks = (("+", c.inserted), ("~", c.updated), ("-", c.deleted))
            parts.append(f"{name}: " + " ".join(f"{m}{sorted(map(str, keys))}" for m, keys in marks if keys))
        return f"ChangeSet({'; '.join(parts)})"

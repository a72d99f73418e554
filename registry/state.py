"""The in-memory view every read is served from, rebuilt from the store at start-up."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field

from registry import subjects as subj
from registry.store.base import (
    ConfigRecord, ModeRecord, Record, SchemaRecord, VersionRecord, VersionRemoved,
)


@dataclass
class Context:
    schemas: dict[int, SchemaRecord] = field(default_factory=dict)
    by_guid: dict[str, int] = field(default_factory=dict)
    max_id: int = 0


class State:
    def __init__(self) -> None:
        self.contexts: dict[str, Context] = {subj.DEFAULT_CONTEXT: Context()}
        self.subjects: dict[str, dict[int, VersionRecord]] = {}
        self.configs: dict[str, dict] = {}
        self.modes: dict[str, str] = {}
        # (context, id) -> {(subject, version)} holding it
        self.holders: dict[tuple[str, int], set[tuple[str, int]]] = defaultdict(set)
        # qualified (subject, version) -> {ids in that subject's context referring to it}
        self.referrers: dict[tuple[str, int], set[int]] = defaultdict(set)

    def load(self, records: Iterable[Record]) -> None:
        for r in records:
            self.apply(r)

    def apply(self, r: Record) -> None:
        if isinstance(r, SchemaRecord):
            ctx = self.context(r.context)
            ctx.schemas[r.id] = r
            ctx.by_guid.setdefault(r.guid, r.id)
            ctx.max_id = max(ctx.max_id, r.id)
            for _, ref_subject, ref_version in r.references:
                self.referrers[(self.qualify_ref(r.context, ref_subject), ref_version)].add(r.id)
        elif isinstance(r, VersionRecord):
            versions = self.subjects.setdefault(r.subject, {})
            old = versions.get(r.version)
            ctx = subj.split(r.subject)[0]
            if old is not None:
                self.holders[(ctx, old.id)].discard((r.subject, r.version))
            versions[r.version] = r
            self.holders[(ctx, r.id)].add((r.subject, r.version))
            self.context(ctx)
        elif isinstance(r, VersionRemoved):
            versions = self.subjects.get(r.subject, {})
            old = versions.pop(r.version, None)
            if old is not None:
                self.holders[(subj.split(r.subject)[0], old.id)].discard((r.subject, r.version))
            if not versions:
                self.subjects.pop(r.subject, None)
        elif isinstance(r, ConfigRecord):
            if r.value is None:
                self.configs.pop(r.scope, None)
            else:
                self.configs[r.scope] = r.value
        elif isinstance(r, ModeRecord):
            if r.mode is None:
                self.modes.pop(r.scope, None)
            else:
                self.modes[r.scope] = r.mode

    def context(self, name: str) -> Context:
        ctx = self.contexts.get(name)
        if ctx is None:
            ctx = self.contexts[name] = Context()
        return ctx

    @staticmethod
    def qualify_ref(context: str, ref_subject: str) -> str:
        """A reference's subject, unqualified ones taken in the referrer's context."""
        ctx, name = subj.split(ref_subject)
        if ref_subject.startswith(":."):
            return subj.qualify(ctx, name)
        return subj.qualify(context, ref_subject)

    # -- queries -------------------------------------------------------------------------

    def versions(self, subject: str, *, deleted: bool = False) -> list[VersionRecord]:
        """Versions of `subject` in ascending order; soft-deleted ones only when asked."""
        versions = self.subjects.get(subject)
        if not versions:
            return []
        out = sorted(versions.values(), key=lambda v: v.version)
        return out if deleted else [v for v in out if not v.deleted]

    def schema(self, subject: str, id_: int) -> SchemaRecord | None:
        return self.contexts[subj.split(subject)[0]].schemas.get(id_) if subj.split(subject)[0] in self.contexts else None

    def is_held(self, ctx: str, id_: int, *, deleted: bool = True) -> bool:
        holders = self.holders.get((ctx, id_))
        if not holders:
            return False
        if deleted:
            return True
        return any(not self.subjects[s][v].deleted for s, v in holders)

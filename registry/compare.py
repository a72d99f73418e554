"""Comparing a candidate schema with a subject's versions: by identity hash, by Confluent's
semantic lookup (`canLookup`), and for compatibility.

A mixin of the Registry: it reads `self.state`, parses through `self.parsed` and keeps
its caches (`self._equivalences`, `self._verdicts`) on the instance.
"""

from __future__ import annotations

import contextlib
import hashlib
import time
from typing import Any

from registry import errors
from registry import metadata as md
from registry import subjects as subj
from registry.compat.levels import Previous, check, trailer
from registry.identity import schema_guid
from registry.store.base import VersionRecord
from serde.errors import SchemaParseError
from serde.schemas.base import ParsedSchema

VERDICT_CACHE = 4096
# A subject whose last fresh check took longer has its checks done off the event loop (`warm`).
SLOW_CHECK = 0.005


def digest(text: str) -> bytes:
    return hashlib.md5(text.encode()).digest()


def ref_dicts(refs: list[tuple[str, str, int]] | tuple[tuple[str, str, int], ...]) -> list[dict[str, Any]]:
    return [{"name": n, "subject": s, "version": v} for n, s, v in refs]


class Comparing:
    def worth_warming(self, subject: str, schema: str | None) -> bool:
        """Whether `warm` should run first: its thread hop costs more than a fast check saves."""
        return len(schema or "") > 65536 or subj.normalize(subject) in self._slow_subjects

    def _find(self, subject: str, versions: list[VersionRecord], parsed: ParsedSchema, schema_type: str,
              refs: list[tuple[str, str, int]], metadata: md.Metadata | None, *,
              latest_only: bool = False, semantic_only: bool = False) -> VersionRecord | None:
        """The version holding this schema: by identity hash, else by semantic lookup."""
        if latest_only:
            versions = versions[-1:]
        elif not semantic_only:
            guid = schema_guid(parsed.canonical(), ref_dicts(refs), metadata)
            for v in reversed(versions):
                rec = self._record(subject, v.id)
                if rec.guid == guid and rec.schema_type == schema_type:
                    return v
        ctx, _ = subj.split(subject)
        mine = digest(parsed.equivalence_key())
        for v in reversed(versions):
            if self._equivalence(ctx, v.id) == mine and self._can_lookup(ctx, schema_type, refs, metadata, v):
                return v
        return None

    def _can_lookup(self, ctx: str, schema_type: str, refs: list[tuple[str, str, int]],
                    metadata: md.Metadata | None, v: VersionRecord) -> bool:
        """Confluent's `canLookup` for a version whose schema is equivalent: the same schema
        sent with its references inlined, or with a `confluent:version` on one side only,
        finds the stored version."""
        rec = self.state.contexts[ctx].schemas[v.id]
        if rec.schema_type != schema_type:
            return False
        if list(rec.references) != refs and (refs or not rec.references):
            return False
        return md.same_for_lookup(metadata, rec.metadata, v.version)

    def _equivalence(self, ctx: str, id_: int) -> bytes:
        """A digest of a stored schema's equivalence key, kept: a semantic lookup compares the
        candidate with every version of the subject, so each must cost a dict lookup."""
        key = (ctx, id_, self.state.contexts[ctx].schemas[id_].guid)
        found = self._equivalences.get(key)
        if found is None:
            found = self._equivalences[key] = digest(self.parsed(ctx, id_).equivalence_key())
        return found

    def _check(self, subject: str, parsed: ParsedSchema, schema_type: str, config: dict[str, Any],
               versions: list[VersionRecord], metadata: md.Metadata | None) -> list[str]:
        """Confluent's messages for `parsed` against `versions` at the subject's level, after
        the reserved-field checks that `validateFields` adds."""
        level = config["compatibilityLevel"]
        validate_fields = bool(config.get("validateFields"))
        messages = self._reserved_messages(subject, parsed, metadata, versions) if validate_fields else []
        if level != "NONE" and versions:
            messages += self._level_messages(subject, parsed, schema_type, config, versions, metadata)
        if messages and not messages[-1].startswith("{validateFields: "):
            messages.append(trailer(level, validate_fields))
        return messages

    def _reserved_messages(self, subject: str, parsed: ParsedSchema, metadata: md.Metadata | None,
                           versions: list[VersionRecord]) -> list[str]:
        mine = md.reserved_fields(metadata)
        out = []
        if versions:
            removed = md.reserved_fields(self._record(subject, versions[-1].id).metadata) - mine
            out += [f"The new schema has reserved field {name} removed from its metadata which is present "
                    "in the old schema's metadata." for name in sorted(removed)]
        fields = parsed.top_level_fields() if mine else frozenset()
        out += [f"The new schema has field that conflicts with the reserved field {name}."
                for name in sorted(mine) if name in fields]
        return out

    def _level_messages(self, subject: str, parsed: ParsedSchema, schema_type: str, config: dict[str, Any],
                        versions: list[VersionRecord], metadata: md.Metadata | None) -> list[str]:
        """Verdicts are remembered: stored schemas never change, so the answer for one
        candidate (by guid) against the same stored ids, level and policy is fixed."""
        level = config["compatibilityLevel"]
        ctx, _ = subj.split(subject)
        group = config.get("compatibilityGroup")
        if group is None and not level.endswith("_TRANSITIVE"):
            versions = versions[-1:]
        policy = str(config.get("compatibilityPolicy") or "STRICT")
        validate_fields = bool(config.get("validateFields"))
        key = (schema_type, schema_guid(parsed.canonical()), ctx, tuple(v.id for v in versions),
               level, policy, validate_fields, group, repr(metadata) if group else None)
        cached = self._verdicts.get(key)
        if cached is not None:
            with contextlib.suppress(KeyError):  # `warm`, in its worker thread, may have trimmed it
                self._verdicts.move_to_end(key)
            return list(cached)
        previous = []
        for v in versions:
            rec = self._record(subject, v.id)
            if group:
                mine = ((metadata or {}).get("properties") or {}).get(group)
                theirs = ((rec.metadata or {}).get("properties") or {}).get(group)
                if mine != theirs:
                    continue
            previous.append(Previous(v.version, self.parsed(ctx, v.id), self._plugin(rec.schema_type).check))
        started = time.perf_counter()
        try:
            messages = check(level, parsed, self._plugin(schema_type).check, previous, policy=policy,
                             validate_fields=validate_fields)
        except SchemaParseError as exc:  # a checker that needs more of the schema than parsing did
            raise errors.invalid_schema(f"Invalid schema of type {schema_type}, details: {exc}") from None
        if time.perf_counter() - started > SLOW_CHECK:
            self._slow_subjects[subject] = True
        else:
            self._slow_subjects.pop(subject, None)
        self._verdicts[key] = messages
        while len(self._verdicts) > VERDICT_CACHE:
            with contextlib.suppress(KeyError):
                self._verdicts.popitem(last=False)
        return list(messages)

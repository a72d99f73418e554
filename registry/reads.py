"""Reads: subjects, versions, schemas by id and guid, contexts; Confluent's filters and paging.

A mixin of the Registry: it reads `self.state` and renders through `self.entity`,
`self._describe` and `self._text_of`, and keeps the hot GET /schemas/ids/{id} answers in
`self._by_id_bytes`.
"""

from __future__ import annotations

from typing import Any

import orjson

from registry import errors
from registry import subjects as subj
from registry.store.base import SchemaRecord, VersionRecord

MAX_VERSION = 2**31 - 1
LATEST = -1
BY_ID_CACHE = 50_000


def parse_version(text: str) -> int:
    """A `{version}` path segment: 1..2^31-1, `latest` or -1 (latest)."""
    value = text.strip()
    if value.lower() == "latest":
        return LATEST
    digits = value[1:] if value[:1] in "+-" else value
    if not (digits.isascii() and digits.isdigit()):  # Java's Integer.parseInt: no '_', no spaces inside
        raise errors.invalid_version(text)
    version = int(value)
    if version == LATEST or 1 <= version <= MAX_VERSION:
        return version
    raise errors.invalid_version(text)


class Reads:
    def list_subjects(self, prefix: str = ":*:", *, deleted: bool = False, deleted_only: bool = False,
                      offset: int = 0, limit: int = -1) -> list[str]:
        out = []
        for s, versions in self.state.subjects.items():
            if not subj.matches_prefix(s, prefix):
                continue
            live = any(not v.deleted for v in versions.values())
            if deleted_only:
                if live:
                    continue
            elif not live and not deleted:
                continue
            out.append(s)
        out.sort(key=_java_order)
        return _page(out, offset, limit)

    def list_versions(self, subject: str, *, deleted: bool = False, deleted_only: bool = False,
                      deleted_as_negative: bool = False, offset: int = 0, limit: int = -1) -> list[int]:
        subject = subj.normalize(subject)
        everything = self.state.versions(subject, deleted=True)
        if deleted_as_negative:
            out = [-v.version if v.deleted else v.version for v in everything]
        elif deleted_only:
            out = [v.version for v in everything if v.deleted]
        else:
            out = [v.version for v in everything if deleted or not v.deleted]
        if not out:
            raise errors.subject_not_found(subject)
        return _page(out, offset, limit)

    def _in_contexts(self, subject: str, *, deleted: bool) -> str:
        """An unqualified subject with no versions in the default context is looked for in
        the other contexts, as Confluent's `getUsingContexts` does."""
        if subject.startswith(":.") or self.state.versions(subject, deleted=deleted):
            return subject
        for ctx in sorted(self.state.contexts):
            candidate = subj.qualify(ctx, subject)
            if self.state.versions(candidate, deleted=deleted):
                return candidate
        return subject

    def _find_version(self, subject: str, version: str, *, deleted: bool) -> VersionRecord:
        number = parse_version(version)
        qualifying = self.state.versions(subject, deleted=deleted)
        if number == LATEST:
            live = self.state.versions(subject)
            if live:
                return live[-1]
        else:
            rec = self.state.subjects.get(subject, {}).get(number)
            if rec is not None and (deleted or not rec.deleted):
                return rec
        if not qualifying:
            raise errors.subject_not_found(subject)
        raise errors.version_not_found(number)

    def get_version(self, subject: str, version: str, *, deleted: bool = False,
                    fmt: str | None = None) -> dict[str, Any]:
        parse_version(version)
        subject = self._in_contexts(subj.normalize(subject), deleted=deleted)
        return self.entity(subject, self._find_version(subject, version, deleted=deleted), fmt)

    def get_version_text(self, subject: str, version: str, *, deleted: bool = False,
                         fmt: str | None = None) -> str:
        parse_version(version)
        subject = self._in_contexts(subj.normalize(subject), deleted=deleted)
        v = self._find_version(subject, version, deleted=deleted)
        return self._text_of(self._record(subject, v.id), fmt)

    def _referrers(self, subject: str, version: int, *, deleted: bool) -> list[int]:
        ctx = subj.split(subject)[0]
        ids = self.state.referrers.get((subject, version), ())
        return sorted(i for i in ids if self.state.is_held(ctx, i, deleted=deleted))

    def referenced_by(self, subject: str, version: str, *, deleted: bool = False) -> list[int]:
        subject = subj.normalize(subject)
        v = self._find_version(subject, version, deleted=True)
        return self._referrers(subject, v.version, deleted=deleted)

    def _schema_record(self, id_: int, subject: str | None) -> SchemaRecord:
        contexts = [subj.split(subj.normalize(subject))[0]] if subject else [subj.DEFAULT_CONTEXT]
        if subject and not subject.startswith(":."):
            contexts += [c for c in self.state.contexts if c not in contexts]
        for ctx in contexts:
            context = self.state.contexts.get(ctx)
            if context and id_ in context.schemas and self.state.is_held(ctx, id_):
                return context.schemas[id_]
        raise errors.schema_not_found(id_)

    def schema_by_id(self, id_: int, *, subject: str | None = None, fmt: str | None = None,
                     fetch_max_id: bool = False) -> dict[str, Any]:
        rec = self._schema_record(id_, subject)
        out: dict[str, Any] = {"guid": rec.guid} if self.api_version >= 8 else {}
        self._describe(rec, out, fmt)
        if fetch_max_id:
            out["maxId"] = self.state.contexts[rec.context].max_id
        return out

    def schema_bytes_by_id(self, id_: int) -> bytes:
        """`schema_by_id` with no parameters, rendered once per id (the most frequent read)."""
        body = self._by_id_bytes.get(id_)
        if body is None:
            # orjson's buffer has kilobytes of spare room; keep an exact-size copy
            body = bytes(bytearray(orjson.dumps(self.schema_by_id(id_))))
            if len(self._by_id_bytes) >= BY_ID_CACHE:
                self._by_id_bytes.pop(next(iter(self._by_id_bytes)))
            self._by_id_bytes[id_] = body
        return body

    def schema_text_by_id(self, id_: int, *, subject: str | None = None, fmt: str | None = None) -> str:
        return self._text_of(self._schema_record(id_, subject), fmt)

    def schema_by_guid(self, guid: str, *, fmt: str | None = None) -> dict[str, Any]:
        for ctx, context in self.state.contexts.items():
            id_ = context.by_guid.get(guid)
            if id_ is not None and self.state.is_held(ctx, id_):
                out: dict[str, Any] = {"guid": guid} if self.api_version >= 8 else {}
                self._describe(context.schemas[id_], out, fmt)
                return out
        raise errors.schema_not_found(guid)

    def id_versions(self, id_: int, *, subject: str | None = None, deleted: bool = False) -> list[dict[str, Any]]:
        try:
            rec = self._schema_record(id_, subject)
        except errors.RegistryError:
            raise errors.schema_not_found() from None
        holders = sorted(self.state.holders.get((rec.context, id_), ()))
        return [{"subject": s, "version": v} for s, v in holders
                if deleted or not self.state.subjects[s][v].deleted]

    def id_subjects(self, id_: int, *, subject: str | None = None, deleted: bool = False) -> list[str]:
        return list(dict.fromkeys(sv["subject"] for sv in self.id_versions(id_, subject=subject, deleted=deleted)))

    def list_schemas(self, prefix: str = "", *, deleted: bool = False, latest_only: bool = False,
                     offset: int = 0, limit: int = 1000) -> list[dict[str, Any]]:
        out = []
        for s in sorted(self.state.subjects):
            if not subj.matches_prefix(s, prefix):
                continue
            versions = self.state.versions(s, deleted=deleted)
            if latest_only:
                versions = versions[-1:]
            out += [self.entity(s, v) for v in versions]
        return _page(out, offset, 1000 if limit < 0 or limit > 1000 else limit)

    def list_contexts(self) -> list[str]:
        others = sorted(c for c in self.state.contexts if c != subj.DEFAULT_CONTEXT)
        return [subj.DEFAULT_CONTEXT] + others


def _java_order(text: str) -> bytes:
    """Java compares strings by UTF-16 code units, which differs from code points past U+FFFF."""
    return text.encode("utf-16-be", "surrogatepass")


def _page(items: list, offset: int, limit: int) -> list:
    offset = max(offset, 0)
    return items[offset:] if limit is None or limit < 0 else items[offset:offset + limit]

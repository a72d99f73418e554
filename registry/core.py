"""The registry service: Confluent's schema, subject and version semantics over a store.

Every operation is synchronous and runs to completion without yielding, so calls
from the event loop are serialised and each sees a consistent view. Writes go to
the store first and are applied to the in-memory view only once durable.
"""

from __future__ import annotations

import contextlib
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from registry import errors
from registry import metadata as md
from registry import subjects as subj
from registry.compare import Comparing, ref_dicts
from registry.identity import schema_guid
from registry.reads import LATEST, Reads, parse_version
from registry.settings import Settings
from registry.state import State
from registry.store.base import ConfigRecord, ModeRecord, Record, SchemaRecord, Store, VersionRecord, VersionRemoved
from registry.types import TypePlugin
from serde.errors import SchemaParseError
from serde.schemas.base import ParsedSchema

CANDIDATE_CACHE = 32


@dataclass
class SchemaRequest:
    """The body of register, lookup and compatibility requests."""

    schema: str | None
    schema_type: str = "AVRO"
    references: list[dict[str, Any]] | None = None
    metadata: dict[str, Any] | None = None
    version: int | None = None
    id: int | None = None


class Registry(Settings, Comparing, Reads):
    """Register, look up, check and delete; reads, config and mode come from the mixins."""

    def __init__(
        self,
        store: Store,
        types: dict[str, TypePlugin],
        *,
        default_level: str = "BACKWARD",
        cluster_id: str = "schemawire",
        api_version: int = 7,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.store = store
        self.types = types
        self.default_level = default_level
        self.cluster_id = cluster_id
        self.api_version = api_version
        self.clock = clock
        self.state = State()
        self.state.load(store.load())
        self._parsed: dict[tuple[str, int, str], ParsedSchema] = {}
        self._candidates: OrderedDict[tuple, ParsedSchema | errors.RegistryError] = OrderedDict()
        self._by_id_bytes: dict[int, bytes] = {}  # the hot GET /schemas/ids/{id}, default context
        self._verdicts: OrderedDict[tuple, list[str]] = OrderedDict()
        self._equivalences: dict[tuple[str, int, str], bytes] = {}
        self._slow_subjects: dict[str, bool] = {}

    # -- plumbing ------------------------------------------------------------------------

    def _write(self, records: list[Record]) -> None:
        try:
            self.store.write(records)
        except Exception as exc:  # the store is the truth: nothing is applied unless it is durable
            raise errors.store_error(f"Error while writing to the store: {exc}") from None
        self.apply(records)

    def apply(self, records: list[Record]) -> None:
        """Apply durable records to the view: this node's after a write, or another node's read
        back from a shared store. A hard delete may free an id that IMPORT then gives to another
        schema, so everything remembered by id goes with it."""
        stale = False
        for r in records:
            stale = stale or isinstance(r, VersionRemoved) or (
                isinstance(r, SchemaRecord) and self.state.contexts.get(r.context) is not None
                and self.state.contexts[r.context].schemas.get(r.id, r) != r)
            self.state.apply(r)
        if stale:
            for cache in (self._by_id_bytes, self._parsed, self._equivalences, self._verdicts, self._candidates):
                cache.clear()

    def _plugin(self, schema_type: str) -> TypePlugin:
        plugin = self.types.get(schema_type)
        if plugin is None:
            raise errors.invalid_schema(f"Invalid schema type {schema_type}")
        return plugin

    def _dependencies(self, ctx: str, refs: list[tuple[str, str, int]], *, allow_deleted: bool,
                      out: dict[str, str], visiting: set[tuple[str, int]]) -> None:
        """Depth-first, dependencies before dependants, each name once."""
        for name, ref_subject, version in refs:
            if name in out:
                continue
            qualified = State.qualify_ref(ctx, ref_subject)
            rec = self.state.subjects.get(qualified, {}).get(version)
            if rec is None or (rec.deleted and not allow_deleted):
                raise SchemaParseError(
                    f'No schema reference found for subject "{ref_subject}" and version {version}')
            key = (qualified, version)
            if key in visiting:
                raise SchemaParseError(f"Circular reference through subject {ref_subject} version {version}")
            schema = self.state.contexts[subj.split(qualified)[0]].schemas[rec.id]
            visiting.add(key)
            self._dependencies(subj.split(qualified)[0], list(schema.references),
                               allow_deleted=allow_deleted, out=out, visiting=visiting)
            visiting.discard(key)
            out[name] = schema.schema

    def _pin_references(self, ctx: str, refs: list[dict[str, Any]] | None) -> list[tuple[str, str, int]]:
        pinned = []
        for ref in refs or ():
            name, ref_subject, version = ref.get("name"), ref.get("subject"), ref.get("version")
            if not isinstance(name, str) or not isinstance(ref_subject, str) or not isinstance(version, int):
                raise errors.invalid_schema(f"Invalid reference: {ref}")
            if version == LATEST:
                live = self.state.versions(State.qualify_ref(ctx, ref_subject))
                if not live:
                    raise errors.invalid_schema(
                        f'Invalid schema, details: No schema reference found for subject "{ref_subject}" and version -1')
                version = live[-1].version
            pinned.append((name, ref_subject, version))
        return pinned

    def _parse(self, ctx: str, schema_type: str, text: str, refs: list[tuple[str, str, int]], *,
               validate: bool, normalize: bool) -> ParsedSchema:
        """A candidate schema, parsed; the last few are kept, so a parse done by `warm` in a
        worker thread is not done again on the event loop."""
        plugin = self._plugin(schema_type)
        try:
            deps: dict[str, str] = {}
            self._dependencies(ctx, refs, allow_deleted=not validate, out=deps, visiting=set())
        except SchemaParseError as exc:
            raise errors.invalid_schema(
                f"Invalid schema {text} with refs {ref_dicts(refs)} of type {schema_type}, details: {exc}") from None
        key = (schema_type, text, tuple(deps.items()), validate, normalize, tuple(refs))
        found = self._candidates.get(key)
        if found is None:
            try:
                found = self._parse_uncached(plugin, schema_type, text, refs, deps, validate=validate,
                                             normalize=normalize)
            except errors.RegistryError as exc:
                found = exc
            self._candidates[key] = found
            while len(self._candidates) > CANDIDATE_CACHE:
                with contextlib.suppress(KeyError):  # the worker thread may trim at the same time
                    self._candidates.popitem(last=False)
        if isinstance(found, errors.RegistryError):
            raise errors.RegistryError(found.message, status=found.status, error_code=found.error_code)
        return found

    def _parse_uncached(self, plugin: TypePlugin, schema_type: str, text: str, refs: list[tuple[str, str, int]],
                        deps: dict[str, str], *, validate: bool, normalize: bool) -> ParsedSchema:
        try:
            parsed = plugin.schema_type.parse(text, deps, validate=validate)
            return parsed.normalize() if normalize else parsed
        except SchemaParseError as exc:
            raise errors.invalid_schema(
                f"Invalid schema {text} with refs {ref_dicts(refs)} of type {schema_type}, details: {exc}") from None
        except RecursionError:
            raise errors.invalid_schema(f"Invalid schema of type {schema_type}: nested too deeply") from None
        except (ValueError, TypeError, KeyError, IndexError, AttributeError) as exc:
            # a plug-in that let a library error through: still the schema's fault, never a 500
            raise errors.invalid_schema(
                f"Invalid schema {text} of type {schema_type}, details: {type(exc).__name__}: {exc}") from None

    def parsed(self, ctx: str, id_: int) -> ParsedSchema:
        """A stored schema, parsed once and kept (stored schemas never change; the guid in the
        key keeps an id that IMPORT gave to another schema after a hard delete apart)."""
        rec = self.state.contexts[ctx].schemas[id_]
        key = (ctx, id_, rec.guid)
        parsed = self._parsed.get(key)
        if parsed is None:
            deps: dict[str, str] = {}
            self._dependencies(ctx, list(rec.references), allow_deleted=True, out=deps, visiting=set())
            parsed = self._plugin(rec.schema_type).schema_type.parse(rec.schema, deps, validate=False)
            self._parsed[key] = parsed
        return parsed

    def _record(self, subject: str, id_: int) -> SchemaRecord:
        return self.state.contexts[subj.split(subject)[0]].schemas[id_]

    def entity(self, subject: str, version: VersionRecord, fmt: str | None = None) -> dict[str, Any]:
        """Confluent's `Schema` entity: the 7.x shape by default (schemaType left out for
        AVRO); with api_version 8 also guid, ts and deleted, as 8.x clients expect."""
        rec = self._record(subject, version.id)
        out: dict[str, Any] = {"subject": subject, "version": version.version, "id": version.id}
        if self.api_version >= 8:
            out["guid"] = rec.guid
        self._describe(rec, out, fmt)
        if self.api_version >= 8:
            out["ts"] = version.ts
            out["deleted"] = version.deleted
        return out

    def _registered(self, subject: str, version: VersionRecord) -> dict[str, Any]:
        """The register answer: `{"id": N}` in 7.x, the whole entity in 8.x."""
        if self.api_version >= 8:
            return self.entity(subject, version)
        return {"id": version.id}

    def _describe(self, rec: SchemaRecord, out: dict[str, Any], fmt: str | None) -> None:
        if rec.schema_type != "AVRO" or self.api_version >= 8:
            out["schemaType"] = rec.schema_type
        if rec.references:
            out["references"] = ref_dicts(rec.references)
        if rec.metadata is not None:
            out["metadata"] = rec.metadata
        text = rec.schema
        if fmt:
            text = self.parsed(rec.context, rec.id).formatted(fmt) or text
        out["schema"] = text

    def _text_of(self, rec: SchemaRecord, fmt: str | None) -> str:
        if fmt:
            return self.parsed(rec.context, rec.id).formatted(fmt) or rec.schema
        return rec.schema

    # -- register, lookup, compatibility -------------------------------------------------

    def register(self, subject: str, req: SchemaRequest, *, normalize: bool = False,
                 force: bool = False) -> dict[str, Any]:
        """Confluent's register, step for step (spec section 3.4)."""
        subject = subj.normalize(subject)
        if not subj.is_valid(subject):
            raise errors.invalid_subject(subject)
        ctx, _ = subj.split(subject)
        config = self.effective_config(subject)
        mode = self._mode_of(subject)
        normalize = (normalize or bool(config.get("normalize"))) and mode != "IMPORT"
        live = self.state.versions(subject)
        blank = req.schema is None or not req.schema.strip()
        unversioned = req.version in (None, 0)
        wanted_id = req.id if req.id is not None and req.id >= 0 else None

        # Idempotent re-registration comes before any mode or compatibility check. The
        # schema is parsed strictly once; the lenient parse that Confluent's probe uses is
        # only needed when the strict one fails (a stored schema may predate a rule).
        parsed: ParsedSchema | None = None
        strict_error: errors.RegistryError | None = None
        refs: list[tuple[str, str, int]] = []
        if not blank:
            refs = self._pin_references(ctx, req.references)
            try:
                parsed = probe = self._parse(ctx, req.schema_type, req.schema, refs, validate=True,
                                             normalize=normalize)
            except errors.RegistryError as exc:
                strict_error = exc
                probe = self._parse(ctx, req.schema_type, req.schema, refs, validate=False, normalize=normalize)
            if not md.has_defaults(config):
                found = self._find(subject, live, probe, req.schema_type, refs, req.metadata,
                                   latest_only=req.version == LATEST)
                if found is not None and (
                        (req.version in (None, 0, LATEST) and wanted_id in (None, found.id))
                        or (wanted_id == found.id and req.version == found.version)):
                    return self._registered(subject, found)

        if mode in ("READONLY", "READONLY_OVERRIDE"):
            raise errors.operation_not_permitted(self._readonly_message(subject))
        label = self._context_label(subject)
        if req.id is not None and req.id >= 0 and mode != "IMPORT":
            raise errors.operation_not_permitted(f"Subject {subject} in context {label} is not in import mode")
        if req.id is None and mode == "IMPORT":
            raise errors.operation_not_permitted(f"Subject {subject} in context {label} is not in read-write mode")
        if strict_error is not None:
            raise strict_error

        everything = self.state.versions(subject, deleted=True)
        next_version = (everything[-1].version + 1) if everything else 1
        schema_type, metadata = req.schema_type, req.metadata
        latest = self._record(subject, live[-1].id) if live else None
        if parsed is None:  # a blank schema: a metadata-only update of the latest version
            if latest is None or mode == "IMPORT":
                raise errors.invalid_schema("Empty schema")
            schema_type, refs = latest.schema_type, list(latest.references)
            parsed = self._parse(ctx, schema_type, latest.schema, refs, validate=True, normalize=normalize)
        if mode != "IMPORT":
            # metadata left out is inherited; the config's defaults go beneath, its overrides on top
            metadata = md.with_config(config, metadata if metadata is not None else
                                      (latest.metadata if latest is not None else None))
            if not unversioned or md.version_of(metadata) is not None:
                metadata = md.with_version(metadata, next_version)
        guid = schema_guid(parsed.canonical(), ref_dicts(refs), metadata)
        context = self.state.context(ctx)

        schema_id = wanted_id
        same = context.by_guid.get(guid)
        if same is not None and context.schemas[same].schema_type == schema_type and wanted_id in (None, same):
            if unversioned:
                for v in live:
                    if v.id == same:
                        return self._registered(subject, v)
            schema_id = same
        if unversioned:
            found = self._find(subject, [v for v in live if schema_id in (None, v.id)], parsed, schema_type,
                               refs, metadata, semantic_only=True)
            if found is not None:
                return self._registered(subject, found)

        if mode != "IMPORT" and not force:
            messages = self._check(subject, parsed, schema_type, config, live, metadata)
            if messages:
                raise errors.incompatible_schema(subject, messages)

        version = next_version
        if not unversioned and req.version != LATEST:
            if mode == "IMPORT":
                version = req.version  # type: ignore[assignment]
            elif req.version != next_version:
                raise errors.invalid_schema("Version is not one more than previous version")

        records: list[Record] = []
        if wanted_id is not None:
            existing = context.schemas.get(wanted_id)
            if existing is not None and (existing.guid != guid or existing.schema_type != schema_type):
                raise errors.operation_not_permitted(
                    f"Overwrite new schema with id {wanted_id} in context {label} is not permitted.")
        if schema_id is None or schema_id not in context.schemas:
            schema_id = schema_id if schema_id is not None else context.max_id + 1
            records.append(SchemaRecord(ctx, schema_id, schema_type, parsed.canonical(), tuple(refs), metadata, guid))
        # A soft-deleted copy of the same schema in this subject gives way to the new version.
        for v in everything:
            if v.deleted and v.id == schema_id and not self._referrers(subject, v.version, deleted=True):
                records.append(VersionRemoved(subject, v.version))
        new = VersionRecord(subject, version, schema_id, False, int(self.clock() * 1000))
        self._write([*records, new])
        return self._registered(subject, new)

    def lookup(self, subject: str, req: SchemaRequest, *, normalize: bool = False,
               deleted: bool = False) -> dict[str, Any]:
        subject = subj.normalize(subject)
        if req.schema is not None and req.schema.strip():
            self._parse(subj.split(subject)[0], req.schema_type, req.schema,
                        self._pin_references(subj.split(subject)[0], req.references),
                        validate=False, normalize=False)  # 42201 comes first, known subject or not
        subject = self._in_contexts(subject, deleted=deleted)
        ctx, _ = subj.split(subject)
        if req.schema is None or not req.schema.strip():
            raise errors.invalid_schema("Empty schema")
        normalize = normalize or bool(self.effective_config(subject).get("normalize"))
        refs = self._pin_references(ctx, req.references)
        parsed = self._parse(ctx, req.schema_type, req.schema, refs, validate=False, normalize=normalize)
        versions = self.state.versions(subject, deleted=deleted)
        found = self._find(subject, versions, parsed, req.schema_type, refs, req.metadata)
        live = self.state.versions(subject)
        if found is None and live:
            # again with the metadata a registration would give it (`maybeSetMetadataRuleSet`)
            inherited = req.metadata if req.metadata is not None else self._record(subject, live[-1].id).metadata
            metadata = md.with_config(self.effective_config(subject), inherited)
            if metadata != req.metadata:
                found = self._find(subject, versions, parsed, req.schema_type, refs, metadata)
        if found is not None:
            return self.entity(subject, found)
        if not versions:
            raise errors.subject_not_found(subject)
        raise errors.schema_not_found()

    def _compared_with(self, subject: str, version: str | None) -> tuple[list[VersionRecord], dict[str, Any]]:
        """The versions a compatibility test compares with, and the config it applies."""
        live = self.state.versions(subject)
        if version is not None:
            number = parse_version(version)
            if number == LATEST:
                live = live[-1:]
            else:
                live = [v for v in live if v.version == number]
                if not live:
                    raise errors.version_not_found(number)
        config = self.effective_config(subject)
        if version is not None and config["compatibilityLevel"].endswith("_TRANSITIVE"):
            config = {**config, "compatibilityLevel": config["compatibilityLevel"].removesuffix("_TRANSITIVE")}
        return live, config

    def warm(self, subject: str, req: SchemaRequest, *, normalize: bool = False, registering: bool = False,
             checking: bool = False, version: str | None = None) -> None:
        """The slow part of a register, lookup or compatibility test, done ahead of it in a worker
        thread so that the event loop keeps serving: parse the candidate and the stored versions,
        and reach the verdict. Everything lands in caches the call itself then reads, keyed by
        what it depends on, so a view that changed in between only costs a cache miss. Best
        effort: any failure is left for the call itself to meet and report."""
        try:
            if req.schema is None or not req.schema.strip():
                return
            subject = subj.normalize(subject)
            ctx, _ = subj.split(subject)
            live, config = self._compared_with(subject, None if registering else version)
            normalize = (normalize or bool(config.get("normalize"))) and not (
                registering and self._mode_of(subject) == "IMPORT")
            refs = self._pin_references(ctx, req.references)
            parsed = self._parse(ctx, req.schema_type, req.schema, refs, validate=registering, normalize=normalize)
            for v in live:
                self._equivalence(ctx, v.id)
            if checking:
                self._check(subject, parsed, req.schema_type, config, live, req.metadata)
        except Exception:  # noqa: BLE001 - the call itself reports whatever went wrong here
            return

    def test_compatibility(self, subject: str, version: str | None, req: SchemaRequest, *,
                           normalize: bool = False, verbose: bool = False) -> dict[str, Any]:
        subject = subj.normalize(subject)
        ctx, _ = subj.split(subject)
        live, config = self._compared_with(subject, version)
        try:
            if req.schema is None or not req.schema.strip():
                raise errors.invalid_schema("Empty schema")
            refs = self._pin_references(ctx, req.references)
            normalize = normalize or bool(config.get("normalize"))
            parsed = self._parse(ctx, req.schema_type, req.schema, refs, validate=False, normalize=normalize)
            messages = self._check(subject, parsed, req.schema_type, config, live, req.metadata)
        except errors.RegistryError as exc:
            if verbose and exc.error_code == 42201:
                return {"is_compatible": False, "messages": [exc.message]}
            raise
        out: dict[str, Any] = {"is_compatible": not messages}
        if verbose:
            out["messages"] = messages
        return out

    # -- deletes -------------------------------------------------------------------------

    def delete_version(self, subject: str, version: str, *, permanent: bool = False) -> int:
        subject = subj.normalize(subject)
        number = parse_version(version)
        everything = self.state.subjects.get(subject, {})
        if number == LATEST:
            live = self.state.versions(subject)
            rec = live[-1] if live else None
        else:
            rec = everything.get(number)
        if rec is not None and rec.deleted and not permanent:
            raise errors.version_soft_deleted(subject, rec.version)
        if rec is None:
            if not everything:
                raise errors.subject_not_found(subject)
            raise errors.version_not_found(number)
        if self._mode_of(subject) in ("READONLY", "READONLY_OVERRIDE"):
            raise errors.operation_not_permitted(self._readonly_message(subject))
        if self._referrers(subject, rec.version, deleted=permanent):
            raise errors.reference_exists(subject, rec.version)
        if permanent and not rec.deleted:
            raise errors.version_not_soft_deleted(subject, rec.version)
        if permanent:
            records: list[Record] = [VersionRemoved(subject, rec.version)]
            if len(everything) == 1:
                records += self._forget_subject(subject)
        else:
            records = [VersionRecord(subject, rec.version, rec.id, True, rec.ts)]
        self._write(records)
        return rec.version

    def delete_subject(self, subject: str, *, permanent: bool = False) -> list[int]:
        subject = subj.normalize(subject)
        everything = self.state.versions(subject, deleted=True)
        if not everything:
            raise errors.subject_not_found(subject)
        if not permanent and all(v.deleted for v in everything):
            raise errors.subject_soft_deleted(subject)
        if self._mode_of(subject) in ("READONLY", "READONLY_OVERRIDE"):
            raise errors.operation_not_permitted(self._readonly_message(subject))
        own = {self._record(subject, v.id).id for v in everything}
        for v in everything:
            others = [i for i in self._referrers(subject, v.version, deleted=permanent) if i not in own]
            if others:
                raise errors.reference_exists(subject, v.version)
        if permanent:
            if any(not v.deleted for v in everything):
                raise errors.subject_not_soft_deleted(subject)
            records: list[Record] = [VersionRemoved(subject, v.version) for v in everything]
            records += self._forget_subject(subject)
            self._write(records)
            return [v.version for v in everything]
        live = [v for v in everything if not v.deleted]
        self._write([VersionRecord(subject, v.version, v.id, True, v.ts) for v in live])
        return [v.version for v in live]

    def _forget_subject(self, subject: str) -> list[Record]:
        records: list[Record] = []
        if subject in self.state.configs:
            records.append(ConfigRecord(subject, None))
        if subject in self.state.modes:
            records.append(ModeRecord(subject, None))
        return records

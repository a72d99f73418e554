"""What every serializer and deserializer shares: subject choice, schema resolution, framing.

Resolution (which schema id, which codec) happens once per subject or schema
id and is cached on the instance; the per-record path is a couple of dict
lookups, the codec, and the framing. Resolution is written as a generator of
registry calls so one definition runs on a sync client (`ser(value, ctx)`) and
on an async one (`await ser.aserialize(value, ctx)`).
"""

from __future__ import annotations

import inspect
import time
from collections.abc import Generator, Mapping
from dataclasses import dataclass
from typing import Any, NamedTuple

from serde import wire
from serde.client.types import RegisteredSchema, Schema, as_schema
from serde.errors import ConfigurationError, NotFound, SerializationError
from serde.strategies import resolve_strategy


class Call(NamedTuple):
    """One registry-client call requested by a resolution generator."""

    name: str
    args: tuple
    kwargs: dict


def call(name: str, *args: Any, **kwargs: Any) -> Call:
    return Call(name, args, kwargs)


Resolution = Generator[Call, Any, Any]


def drive(gen: Resolution, client: Any) -> Any:
    """Run a resolution generator against a blocking client."""
    try:
        req = next(gen)
        while True:
            try:
                result = getattr(client, req.name)(*req.args, **req.kwargs)
                if inspect.isawaitable(result):
                    close = getattr(result, "close", None)
                    if close:
                        close()
                    raise ConfigurationError(
                        "This client is async: use `await ser.aserialize(...)` / `await de.adeserialize(...)`"
                    )
            except SerializationError as exc:
                req = gen.throw(exc)
            else:
                req = gen.send(result)
    except StopIteration as stop:
        return stop.value


async def adrive(gen: Resolution, client: Any) -> Any:
    """Run a resolution generator against an async (or sync) client."""
    try:
        req = next(gen)
        while True:
            try:
                result = getattr(client, req.name)(*req.args, **req.kwargs)
                if inspect.isawaitable(result):
                    result = await result
            except SerializationError as exc:
                req = gen.throw(exc)
            else:
                req = gen.send(result)
    except StopIteration as stop:
        return stop.value


def fetch_references(schema: Schema) -> Resolution:
    """Every schema `schema` references, transitively, as {name: Schema}, dependencies first."""
    out: dict[str, Schema] = {}

    def visit(s: Schema) -> Resolution:
        for ref in s.references:
            if ref.name in out:
                continue
            reg = yield call("get_version", ref.subject, ref.version)
            dep = as_schema(reg.schema)
            yield from visit(dep)
            out[ref.name] = dep

    yield from visit(schema)
    return out


@dataclass(slots=True)
class Writer:
    """Where records of one subject go: the schema id, its framing bytes and its codec."""

    subject: str
    schema_id: int
    guid: str | None
    version: int | None
    prefix: bytes
    header: bytes | None
    codec: Any
    expires: float | None = None


@dataclass(frozen=True, slots=True)
class Decoded:
    """A deserialized value with where its writer schema lives (for routing, auditing, debugging)."""

    value: Any
    schema_id: int | None
    guid: str | None
    subject: str | None
    version: int | None
    message_index: tuple[int, ...] | None
    schema: Schema | None


class Serializer:
    """Base of the three serializers; subclasses set `_schema`, `_record_name`, `_index` and build codecs."""

    schema_type = ""
    _schema: Schema
    _record_name: str | None = None
    _index: list[int] | None = None  # Protobuf message indexes, None for other formats
    _codec_needs_refs = True

    def __init__(
        self,
        client: Any,
        *,
        auto_register: bool = True,
        normalize: bool = False,
        use_latest_version: bool = False,
        use_latest_with_metadata: Mapping[str, str] | None = None,
        use_schema_id: int | None = None,
        subject_name_strategy: Any = "topic",
        framing: str = "prefix",
        latest_ttl: float | None = None,
    ) -> None:
        if framing not in ("prefix", "header"):
            raise ConfigurationError(f"framing must be 'prefix' or 'header', not {framing!r}")
        latest = use_latest_version or use_latest_with_metadata is not None
        if latest and auto_register:
            raise ConfigurationError("use_latest_version needs auto_register=False")
        if use_schema_id is not None and (latest or auto_register):
            raise ConfigurationError("use_schema_id needs auto_register=False and no use_latest_version")
        self._client = client
        self._auto_register = auto_register
        self._normalize = normalize
        self._use_latest = latest
        self._latest_metadata = use_latest_with_metadata
        self._use_schema_id = use_schema_id
        self._strategy, self._strategy_cacheable = resolve_strategy(subject_name_strategy)
        self._header = framing == "header"
        self._latest_ttl = latest_ttl if latest else None
        self._by_ctx: dict[Any, Writer] = {}
        self._by_subject: dict[str, Writer] = {}
        self._codecs: dict[int, Any] = {}

    # --- per record ------------------------------------------------------------------

    def __call__(self, value: Any, ctx: Any = None) -> bytes | None:
        """Encode `value` for the topic and field in `ctx`; None stays None (tombstones)."""
        if value is None:
            return None
        key = (ctx.topic, ctx.field) if ctx is not None else None
        w = self._by_ctx.get(key) if self._strategy_cacheable else None
        if w is None or (w.expires is not None and w.expires < time.monotonic()):
            w = self._writer(ctx, key, drive(self._resolve(self._subject(ctx), ctx), self._client))
        return self._encode(w, value, ctx)

    async def aserialize(self, value: Any, ctx: Any = None) -> bytes | None:
        """`ser(value, ctx)` for an AsyncSchemaRegistryClient: resolution is awaited, encoding is not."""
        if value is None:
            return None
        key = (ctx.topic, ctx.field) if ctx is not None else None
        w = self._by_ctx.get(key) if self._strategy_cacheable else None
        if w is None or (w.expires is not None and w.expires < time.monotonic()):
            w = self._writer(ctx, key, await adrive(self._resolve(self._subject(ctx), ctx), self._client))
        return self._encode(w, value, ctx)

    def prepare(self, ctx: Any = None) -> int:
        """Resolve (register or look up) the schema for `ctx` now; returns its id.

        Lets start-up fail fast, and lets hooks that cannot await (aiokafka's
        value_serializer) run later with an async client.
        """
        key = (ctx.topic, ctx.field) if ctx is not None else None
        return self._writer(ctx, key, drive(self._resolve(self._subject(ctx), ctx), self._client)).schema_id

    async def aprepare(self, ctx: Any = None) -> int:
        """`prepare` for an AsyncSchemaRegistryClient."""
        key = (ctx.topic, ctx.field) if ctx is not None else None
        return self._writer(ctx, key, await adrive(self._resolve(self._subject(ctx), ctx), self._client)).schema_id

    def _encode(self, w: Writer, value: Any, ctx: Any) -> bytes:  # pragma: no cover
        raise NotImplementedError

    def _put_header(self, w: Writer, ctx: Any) -> None:
        if ctx is None:
            raise SerializationError("Header framing needs a SerializationContext", subject=w.subject)
        wire.add_header(ctx.headers, wire.header_name(ctx.field), w.header)

    # --- once per subject ------------------------------------------------------------

    def _subject(self, ctx: Any) -> str:
        return self._strategy(ctx, self._record_name)

    def _writer(self, ctx: Any, key: Any, w: Writer) -> Writer:
        if self._strategy_cacheable:
            self._by_ctx[key] = w
        return w

    def _resolve(self, subject: str, ctx: Any) -> Resolution:
        cached = self._by_subject.get(subject)
        if cached is not None and (cached.expires is None or cached.expires >= time.monotonic()):
            return cached
        try:
            w = yield from self._resolve_uncached(subject, ctx)
        except SerializationError as exc:
            exc.subject = exc.subject or subject
            raise
        self._by_subject[subject] = w
        return w

    def _resolve_uncached(self, subject: str, ctx: Any) -> Resolution:
        schema: Schema | None = None
        reg: RegisteredSchema | None = None
        if not self._use_latest and self._use_schema_id is None:
            schema = yield from self._registration_schema(subject, ctx)
        if self._use_schema_id is not None:
            writer_schema = as_schema((yield call("get_schema", self._use_schema_id)))
            reg = RegisteredSchema(self._use_schema_id, None, writer_schema, subject, None)
        elif self._use_latest:
            if self._latest_metadata is not None:
                reg = yield call("get_latest_with_metadata", subject, self._latest_metadata)
            else:
                reg = yield call("get_latest_version", subject)
        elif self._auto_register:
            reg = yield call("register_schema_full_response", subject, schema, normalize_schemas=self._normalize)
        else:
            reg = yield call("lookup_schema", subject, schema, normalize_schemas=self._normalize)
        writer_schema = as_schema(reg.schema) if reg.schema is not None else schema
        guid = getattr(reg, "guid", None)
        if self._header and guid is None:
            found = yield call("lookup_schema", subject, writer_schema, normalize_schemas=self._normalize)
            guid = getattr(found, "guid", None)
            if guid is None:
                raise SerializationError("The registry returned no schema GUID: header framing needs one")
        sid = reg.schema_id
        codec = self._codecs.get(sid)
        if codec is None:
            refs = (yield from fetch_references(writer_schema)) if self._codec_needs_refs else {}
            codec = self._codecs[sid] = self._build_codec(writer_schema, refs, sid, subject)
        index = self._writer_index(codec)
        return Writer(
            subject=subject,
            schema_id=sid,
            guid=guid,
            version=getattr(reg, "version", None),
            prefix=b"" if self._header else wire.id_prefix(sid, index),
            header=wire.guid_header_value(guid, index) if self._header else None,
            codec=codec,
            expires=None if self._latest_ttl is None else time.monotonic() + self._latest_ttl,
        )

    def _registration_schema(self, subject: str, ctx: Any) -> Resolution:
        """The schema to register or look up; Protobuf registers its imports here first."""
        return self._schema
        yield  # pragma: no cover  (a generator that asks nothing)

    def _writer_index(self, codec: Any) -> list[int] | None:
        return self._index

    def _build_codec(self, schema: Schema, refs: dict[str, Schema], schema_id: int, subject: str) -> Any:
        raise NotImplementedError  # pragma: no cover


_FIRST = (0,)


@dataclass(slots=True)
class Reader:
    """What reading one writer schema needs, built once per schema id (or GUID)."""

    schema_id: int | None
    guid: str | None
    schema: Schema
    codec: Any


class Deserializer:
    """Base of the three deserializers: framing (header, then prefix), reader cache, envelope."""

    _protobuf = False

    def __init__(
        self,
        client: Any,
        *,
        framing: str = "dual",
        use_latest_version: bool = False,
        use_latest_with_metadata: Mapping[str, str] | None = None,
        subject_name_strategy: Any = "topic",
        envelope: bool = False,
    ) -> None:
        if framing not in ("dual", "prefix"):
            raise ConfigurationError(f"framing must be 'dual' or 'prefix', not {framing!r}")
        self._client = client
        self._dual = framing == "dual"
        self._use_latest = use_latest_version or use_latest_with_metadata is not None
        self._latest_metadata = use_latest_with_metadata
        self._strategy, _ = resolve_strategy(subject_name_strategy)
        self._envelope = envelope
        self._fast = not envelope and not self._use_latest
        self._readers: dict[Any, Reader] = {}
        self._versions: dict[Any, tuple[str | None, int | None]] = {}

    # --- per record ------------------------------------------------------------------

    def _frame(self, data: bytes, ctx: Any) -> tuple[wire.SchemaRef, int]:
        if self._dual and ctx is not None:
            headers = getattr(ctx, "headers", None)
            if headers is not None:
                return wire.parse_dual(data, headers, ctx.field, self._protobuf)
        return wire.parse_prefix(data, self._protobuf)

    def _reader_key(self, ref: wire.SchemaRef, ctx: Any) -> Any:
        key = ref.id if ref.id is not None else ref.guid
        return (key, self._subject_or_none(ctx)) if self._use_latest else key

    def __call__(self, data: bytes | None, ctx: Any = None) -> Any:
        """Decode one framed record to its value (or a Decoded envelope with `envelope=True`)."""
        if data is None:
            return None
        if self._fast and data[:1] == b"\x00" and (ctx is None or getattr(ctx, "headers", None) is None):
            # the common case: prefix framing, a known id, [0] for Protobuf; no objects built
            r = self._readers.get(int.from_bytes(data[1:5], "big"))
            if r is not None and len(data) >= 5:
                if not self._protobuf:
                    return self._decode(r, data, 5, None, ctx)
                if data[5:6] == b"\x00":
                    return self._decode(r, data, 6, _FIRST, ctx)
        ref, start = self._frame(data, ctx)
        key = self._reader_key(ref, ctx)
        r = self._readers.get(key)
        if r is None:
            r = self._readers[key] = drive(self._load(ref, ctx), self._client)
        value = self._decode(r, data, start, ref.indexes, ctx)
        if self._envelope:
            return self._wrap(r, value, ref, ctx)
        return value

    async def adeserialize(self, data: bytes | None, ctx: Any = None) -> Any:
        """`de(data, ctx)` for an AsyncSchemaRegistryClient."""
        if data is None:
            return None
        ref, start = self._frame(data, ctx)
        key = self._reader_key(ref, ctx)
        r = self._readers.get(key)
        if r is None:
            r = self._readers[key] = await adrive(self._load(ref, ctx), self._client)
        value = self._decode(r, data, start, ref.indexes, ctx)
        if self._envelope:
            return await self._awrap(r, value, ref, ctx)
        return value

    def decode(self, data: bytes, ctx: Any = None) -> Decoded:
        """Decode to a Decoded envelope whatever `envelope` says."""
        ref, start = self._frame(data, ctx)
        key = self._reader_key(ref, ctx)
        r = self._readers.get(key)
        if r is None:
            r = self._readers[key] = drive(self._load(ref, ctx), self._client)
        return self._wrap(r, self._decode(r, data, start, ref.indexes, ctx), ref, ctx)

    def _wrap(self, r: Reader, value: Any, ref: wire.SchemaRef, ctx: Any) -> Decoded:
        vkey = (r.schema_id, r.guid, self._subject_or_none(ctx, r, ref))
        found = self._versions.get(vkey)
        if found is None:
            found = self._versions[vkey] = drive(self._locate(vkey[2], r), self._client)
        subject, version, guid = found
        return Decoded(value, r.schema_id, guid, subject, version, ref.indexes, r.schema)

    async def _awrap(self, r: Reader, value: Any, ref: wire.SchemaRef, ctx: Any) -> Decoded:
        vkey = (r.schema_id, r.guid, self._subject_or_none(ctx, r, ref))
        if vkey not in self._versions:
            self._versions[vkey] = await adrive(self._locate(vkey[2], r), self._client)
        subject, version, guid = self._versions[vkey]
        return Decoded(value, r.schema_id, guid, subject, version, ref.indexes, r.schema)

    def _locate(self, subject: str | None, r: Reader) -> Resolution:
        """(subject, version, guid) of the writer schema under the subject the strategy names."""
        if subject is None:
            return None, None, r.guid
        try:
            reg = yield call("lookup_schema", subject, r.schema)
        except NotFound:
            return subject, None, r.guid
        return subject, reg.version, r.guid or getattr(reg, "guid", None)

    def _subject_or_none(self, ctx: Any, r: Reader | None = None, ref: wire.SchemaRef | None = None) -> str | None:
        try:
            return self._strategy(ctx, self._record_name_of(r, ref) if r is not None else None)
        except ConfigurationError:
            return None

    def _record_name_of(self, r: Reader, ref: wire.SchemaRef | None) -> str | None:
        return None

    # --- once per writer schema ------------------------------------------------------

    def _load(self, ref: wire.SchemaRef, ctx: Any) -> Resolution:
        try:
            if ref.id is not None:
                schema = as_schema((yield call("get_schema", ref.id)))
            else:
                schema = as_schema((yield call("get_schema_by_guid", ref.guid)))
            refs = yield from fetch_references(schema)
            reader_schema = None
            if self._use_latest:
                subject = self._subject_or_none(ctx)
                if subject is None:
                    raise ConfigurationError("use_latest_version needs a context the subject strategy can use")
                if self._latest_metadata is not None:
                    latest = yield call("get_latest_with_metadata", subject, self._latest_metadata)
                else:
                    latest = yield call("get_latest_version", subject)
                reader_schema = as_schema(latest.schema)
                reader_refs = yield from fetch_references(reader_schema)
                reader_schema = (reader_schema, reader_refs)
            codec = self._build_codec(schema, refs, reader_schema)
        except SerializationError as exc:
            if exc.schema_id is None:
                exc.schema_id = ref.id
            raise
        return Reader(ref.id, ref.guid, schema, codec)

    def _build_codec(self, schema: Schema, refs: dict[str, Schema], reader: Any) -> Any:
        raise NotImplementedError  # pragma: no cover

    def _decode(self, r: Reader, data: bytes, start: int, indexes: Any, ctx: Any) -> Any:
        raise NotImplementedError  # pragma: no cover

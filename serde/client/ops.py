"""The registry operations, written once for the sync and the async client.

Each operation is a generator: it yields `Request`s, receives the decoded JSON
answer (or has the registry error thrown into it) and returns the result. The
sync client drives it with blocking HTTP, the async client with awaits, so
URLs, bodies, caching and result types cannot drift between the two.
"""

from __future__ import annotations

from collections.abc import Generator, Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

from serde.client.caches import Caches
from serde.client.types import CompatibilityResult, RegisteredSchema, Schema, as_schema
from serde.errors import NotFound, SchemaRegistryError, registry_error

Op = Generator["Request", Any, Any]


@dataclass(frozen=True)
class Request:
    method: str
    path: str
    params: tuple[tuple[str, Any], ...] = ()
    body: Any = None


def decode(status: int, body: Any) -> Any:
    """The JSON answer of a 2xx, or the mapped registry error for anything else."""
    if 200 <= status < 300:
        return body
    if isinstance(body, Mapping):
        return registry_error(status, body.get("error_code"), str(body.get("message", "")))
    return registry_error(status, -1, f"Unknown Schema Registry Error: {body!r}")


def _s(subject: str) -> str:
    return quote(subject, safe="")


def _p(**kw: Any) -> tuple[tuple[str, Any], ...]:
    out = []
    for k, v in kw.items():
        if v is None or v is False:
            continue
        out.append((k, "true" if v is True else v))
    return tuple(out)


# --- schemas -------------------------------------------------------------------------


def register(c: Caches, subject: str, schema: Any, normalize: bool = False) -> Op:
    schema = as_schema(schema)
    key = (subject, schema, normalize)
    hit = c.get("registered", key)
    if hit is not None:
        return hit
    resp = yield Request("POST", f"/subjects/{_s(subject)}/versions", _p(normalize=normalize), schema.to_dict())
    reg = RegisteredSchema(resp.get("id"), resp.get("guid"), schema, subject, resp.get("version"))
    c.put("registered", key, reg)
    if "schema" not in resp:
        c.put("by_id", (reg.schema_id, subject, None), schema)
    return reg


def get_schema(c: Caches, schema_id: int, subject: str | None, fmt: str | None) -> Op:
    key = (schema_id, subject, fmt)
    hit = c.get("by_id", key)
    if hit is not None:
        return hit
    resp = yield Request("GET", f"/schemas/ids/{int(schema_id)}", _p(subject=subject, format=fmt))
    schema = Schema.from_dict(resp)
    c.put("by_id", key, schema)
    if resp.get("guid"):
        c.put("by_guid", (resp["guid"], fmt), schema)
    return schema


def get_schema_by_guid(c: Caches, guid: str, fmt: str | None) -> Op:
    key = (str(guid), fmt)
    hit = c.get("by_guid", key)
    if hit is not None:
        return hit
    resp = yield Request("GET", f"/schemas/guids/{quote(str(guid), safe='')}", _p(format=fmt))
    schema = Schema.from_dict(resp)
    c.put("by_guid", key, schema)
    return schema


def lookup(
    c: Caches, subject: str, schema: Any, normalize: bool, fmt: str | None, deleted: bool
) -> Op:
    schema = as_schema(schema)
    key = (subject, schema, normalize)
    hit = c.get("registered", key)
    if hit is not None and hit.version is not None and not deleted and fmt is None:
        return hit
    resp = yield Request(
        "POST", f"/subjects/{_s(subject)}", _p(normalize=normalize, format=fmt, deleted=deleted), schema.to_dict()
    )
    reg = RegisteredSchema.from_dict(resp, schema)
    if not deleted and fmt is None:
        c.put("registered", key, RegisteredSchema(reg.schema_id, reg.guid, schema, subject, reg.version))
    return reg


def simple(method: str, path: str, body: Any = None, **params: Any) -> Op:
    """An operation that is one request and returns the JSON answer as it is."""
    return (yield Request(method, path, _p(**params), body))


def schema_types() -> Op:
    return (yield from simple("GET", "/schemas/types"))


def subjects_by_id(schema_id: int, subject: str | None, deleted: bool, offset: int, limit: int) -> Op:
    return (
        yield from simple(
            "GET", f"/schemas/ids/{int(schema_id)}/subjects", subject=subject, deleted=deleted,
            offset=offset or None, limit=None if limit < 0 else limit,
        )
    )


def schema_versions(schema_id: int, subject: str | None, deleted: bool, offset: int, limit: int) -> Op:
    return (
        yield from simple(
            "GET", f"/schemas/ids/{int(schema_id)}/versions", subject=subject, deleted=deleted,
            offset=offset or None, limit=None if limit < 0 else limit,
        )
    )


# --- subjects and versions -----------------------------------------------------------


def subjects(prefix: str | None, deleted: bool, deleted_only: bool, offset: int, limit: int) -> Op:
    return (
        yield from simple(
            "GET", "/subjects", subjectPrefix=prefix, deleted=deleted, deletedOnly=deleted_only,
            offset=offset or None, limit=None if limit < 0 else limit,
        )
    )


def delete_subject(c: Caches, subject: str, permanent: bool) -> Op:
    out = yield Request("DELETE", f"/subjects/{_s(subject)}", _p(permanent=permanent))
    c.forget_subject(subject)
    return out


def latest(c: Caches, subject: str, fmt: str | None) -> Op:
    key = (subject, fmt)
    hit = c.get("latest", key)
    if hit is not None:
        return hit
    resp = yield Request("GET", f"/subjects/{_s(subject)}/versions/latest", _p(format=fmt))
    reg = RegisteredSchema.from_dict(resp)
    c.put("latest", key, reg)
    return reg


def latest_with_metadata(
    c: Caches, subject: str, metadata: Mapping[str, str], deleted: bool, fmt: str | None
) -> Op:
    key = (subject, tuple(sorted(metadata.items())), deleted, fmt)
    hit = c.get("latest_meta", key)
    if hit is not None:
        return hit
    params = [(k, v) for k_v in sorted(metadata.items()) for k, v in (("key", k_v[0]), ("value", k_v[1]))]
    params += list(_p(deleted=deleted, format=fmt))
    resp = yield Request("GET", f"/subjects/{_s(subject)}/metadata", tuple(params))
    reg = RegisteredSchema.from_dict(resp)
    c.put("latest_meta", key, reg)
    return reg


def version(c: Caches, subject: str, ver: int | str, deleted: bool, fmt: str | None) -> Op:
    if ver in ("latest", -1) and not deleted:
        return (yield from latest(c, subject, fmt))
    key = (subject, ver, fmt)
    cacheable = isinstance(ver, int) and not deleted
    hit = c.get("versions", key) if cacheable else None
    if hit is not None:
        return hit
    resp = yield Request("GET", f"/subjects/{_s(subject)}/versions/{ver}", _p(deleted=deleted, format=fmt))
    reg = RegisteredSchema.from_dict(resp)
    if cacheable:
        c.put("versions", key, reg)
    return reg


def versions(subject: str, deleted: bool) -> Op:
    return (yield from simple("GET", f"/subjects/{_s(subject)}/versions", deleted=deleted))


def delete_version(c: Caches, subject: str, ver: int | str, permanent: bool) -> Op:
    out = yield Request("DELETE", f"/subjects/{_s(subject)}/versions/{ver}", _p(permanent=permanent))
    c.forget_subject(subject, ver if isinstance(ver, int) else None)
    return out


def referenced_by(subject: str, ver: int | str) -> Op:
    return (yield from simple("GET", f"/subjects/{_s(subject)}/versions/{ver}/referencedby"))


# --- compatibility, config, mode -----------------------------------------------------


def test_compatibility(subject: str, schema: Any, ver: int | str | None, normalize: bool) -> Op:
    path = f"/compatibility/subjects/{_s(subject)}/versions" + ("" if ver is None else f"/{ver}")
    try:
        resp = yield Request("POST", path, _p(normalize=normalize, verbose=True), as_schema(schema).to_dict())
    except NotFound as exc:
        if exc.error_code == 40401:  # a new subject: nothing to be incompatible with
            return CompatibilityResult(True, ())
        raise
    return CompatibilityResult.from_dict(resp)


def _cfg_path(kind: str, subject: str | None) -> str:
    return f"/{kind}" if subject is None else f"/{kind}/{_s(subject)}"


def set_config(subject: str | None, config: Mapping[str, Any]) -> Op:
    return (yield from simple("PUT", _cfg_path("config", subject), dict(config)))


def get_config(subject: str | None, default_to_global: bool = False) -> Op:
    return (yield from simple("GET", _cfg_path("config", subject), defaultToGlobal=default_to_global))


def delete_config(subject: str | None) -> Op:
    return (yield from simple("DELETE", _cfg_path("config", subject)))


def set_compatibility(subject: str | None, level: str) -> Op:
    resp = yield from set_config(subject, {"compatibility": level.upper()})
    return resp.get("compatibility", level)


def get_compatibility(subject: str | None) -> Op:
    resp = yield from get_config(subject)
    return resp.get("compatibilityLevel") or resp.get("compatibility")


def get_mode(subject: str | None) -> Op:
    resp = yield from simple("GET", _cfg_path("mode", subject))
    return resp.get("mode")


def update_mode(subject: str | None, mode: str, force: bool) -> Op:
    resp = yield from simple("PUT", _cfg_path("mode", subject), {"mode": mode}, force=force)
    return resp.get("mode")


def delete_mode(subject: str) -> Op:
    resp = yield from simple("DELETE", _cfg_path("mode", subject))
    return resp.get("mode") if isinstance(resp, Mapping) else resp


def contexts(offset: int, limit: int) -> Op:
    return (yield from simple("GET", "/contexts", offset=offset or None, limit=None if limit < 0 else limit))


__all__ = ["Op", "Request", "SchemaRegistryError", "decode"]

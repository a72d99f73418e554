"""HTTP helpers shared by the registry integration tests (tests/integration/test_registry_*.py).

`sr` is the httpx client of the `sr` fixture in tests/conftest.py.
"""

from __future__ import annotations

import json
from urllib.parse import quote


def canon(schema) -> str:
    """Canonical text of a schema written in Java toString() key order."""
    return json.dumps(schema, separators=(",", ":"))


def rec(name: str, *fields: str, ns: str | None = None) -> dict:
    """A record whose fields are all strings (no defaults); canonical key order."""
    out: dict = {"type": "record", "name": name}
    if ns:
        out["namespace"] = ns
    out["fields"] = [{"name": f, "type": "string"} for f in fields]
    return out


def body(schema, schema_type=None, references=None, **extra) -> dict:
    """A register/lookup/compatibility request body; a schema not already text is sent as JSON text."""
    out = {"schema": schema if isinstance(schema, str) else json.dumps(schema)}
    if schema_type is not None:
        out["schemaType"] = schema_type
    if references is not None:
        out["references"] = references
    out.update(extra)
    return out


def register(sr, subject, schema, schema_type=None, references=None, params=None, **extra):
    return sr.post(f"/subjects/{quote(subject, safe='')}/versions",
                   json=body(schema, schema_type, references, **extra), params=params or {})


def reg_id(sr, subject, schema, **extra) -> int:
    r = register(sr, subject, schema, **extra)
    assert r.status_code == 200, r.text
    return r.json()["id"]


def check(sr, subject, schema, schema_type=None, references=None, version=None, verbose=None, **extra):
    path = f"/compatibility/subjects/{quote(subject, safe='')}/versions"
    if version is not None:
        path += f"/{version}"
    params = {} if verbose is None else {"verbose": verbose}
    return sr.post(path, json=body(schema, schema_type, references, **extra), params=params)


def set_level(sr, subject, level):
    """Sets the compatibility level of a subject, or the global one when subject is None."""
    path = "/config" if subject is None else f"/config/{quote(subject, safe='')}"
    ok(sr.put(path, json={"compatibility": level}))


def ok(r):
    assert r.status_code == 200, (r.status_code, r.text)
    return r.json()


def assert_error(r, status: int, code: int, message: str | None = None) -> dict:
    assert r.status_code == status, (r.status_code, r.text)
    data = r.json()
    assert data["error_code"] == code, data
    if message is not None:
        assert data["message"] == message, data
    return data


def referenced(s, v):
    return f"One or more references exist to the schema {{magic=1,keytype=SCHEMA,subject={s},version={v}}}."

"""Register, fetch and transport rules over real HTTP."""

from __future__ import annotations

from tests.integration.registry_helpers import register

V1 = "application/vnd.schemaregistry.v1+json"
RECORD = {"type": "record", "name": "Order", "namespace": "com.acme",
          "fields": [{"name": "id", "type": {"type": "string"}}]}
CANONICAL = '{"type":"record","name":"Order","namespace":"com.acme","fields":[{"name":"id","type":"string"}]}'


def test_root_and_types(sr):
    assert sr.get("/").json() == {}
    assert sorted(sr.get("/schemas/types").json()) == sorted(sr.get("/schemas/types").json())
    assert "AVRO" in sr.get("/schemas/types").json()


def test_register_returns_id_and_stores_canonical_text(sr):
    r = register(sr, "orders-value", RECORD)
    assert r.status_code == 200
    assert r.json() == {"id": 1}
    assert r.headers["content-type"] == V1
    assert sr.get("/schemas/ids/1").json() == {"schema": CANONICAL}
    assert sr.get("/subjects/orders-value/versions/latest").json() == {
        "subject": "orders-value", "version": 1, "id": 1, "schema": CANONICAL}
    raw = sr.get("/subjects/orders-value/versions/1/schema")
    assert raw.text == CANONICAL


def test_same_schema_same_id_across_subjects_and_idempotent(sr):
    assert register(sr, "a", RECORD).json() == {"id": 1}
    assert register(sr, "b", RECORD).json() == {"id": 1}
    assert register(sr, "a", RECORD).json() == {"id": 1}
    assert sr.get("/subjects/a/versions").json() == [1]
    assert sr.get("/schemas/ids/1/subjects").json() == ["a", "b"]
    assert sr.get("/schemas/ids/1/versions").json() == [
        {"subject": "a", "version": 1}, {"subject": "b", "version": 1}]


def test_framework_errors(sr):
    assert sr.get("/nope").json() == {"error_code": 404, "message": "HTTP 404 Not Found"}
    assert sr.get("/schemas/ids/abc").status_code == 404
    r = sr.put("/subjects")
    assert (r.status_code, r.json()["error_code"]) == (405, 405)
    r = sr.post("/subjects/x/versions", content=b"{}", headers={"Content-Type": "text/plain"})
    assert (r.status_code, r.json()) == (415, {"error_code": 415, "message": "HTTP 415 Unsupported Media Type"})
    r = sr.get("/subjects", headers={"Accept": "text/html"})
    assert (r.status_code, r.json()) == (406, {"error_code": 406, "message": "HTTP 406 Not Acceptable"})
    assert sr.get("/subjects", headers={"Accept": "application/json"}).headers["content-type"] == "application/json"
    r = sr.post("/subjects/x/versions", content=b"{not json", headers={"Content-Type": V1})
    assert r.status_code == 400 and r.json()["error_code"] == 400
    assert sr.get("/subjects").json() == []


def test_invalid_schema_is_42201_and_stores_nothing(sr):
    r = register(sr, "x", '{"type":"record","name":"r","fields":[{"name":"f","type":"string","default":null}]}')
    assert r.status_code == 422 and r.json()["error_code"] == 42201
    r = register(sr, "x", "not json")
    assert r.status_code == 422 and r.json()["error_code"] == 42201
    r = register(sr, "x", RECORD, schemaType="XML")
    assert r.json() == {"error_code": 42201, "message": "Invalid schema type XML"}
    assert sr.get("/subjects").json() == []

"""Confluent's `_schemas` records <-> the registry's store records (registry/store/kafka_records.py)."""

from __future__ import annotations

import json

from registry.identity import schema_guid
from registry.state import State
from registry.store.base import ConfigRecord, ModeRecord, SchemaRecord, VersionRecord, VersionRemoved
from registry.store.kafka_records import ConfluentCodec

AVRO_A = '{"type":"record","name":"A","fields":[{"name":"x","type":"int"}]}'
AVRO_B = '{"type":"record","name":"B","fields":[{"name":"a","type":"A"}]}'


def k(obj: dict) -> bytes:
    return json.dumps(obj, separators=(",", ":")).encode()


# A topic as a Confluent 7.x registry leaves it (values as Jackson writes them; Kafka timestamps
# stand in for "ts", which Confluent only writes back on soft deletes).
TAKEOVER = [
    (k({"keytype": "NOOP", "magic": 0}), None, 1),
    (k({"keytype": "CONFIG", "subject": None, "magic": 0}), k({"compatibilityLevel": "FULL"}), 2),
    (k({"keytype": "SCHEMA", "subject": "a", "version": 1, "magic": 1}),
     k({"subject": "a", "version": 1, "id": 1, "schemaType": "AVRO", "schema": AVRO_A, "deleted": False}), 1000),
    (k({"keytype": "SCHEMA", "subject": "b", "version": 1, "magic": 1}),
     k({"subject": "b", "version": 1, "id": 2,
        "references": [{"name": "A", "subject": "a", "version": 1}], "schema": AVRO_B, "deleted": False}), 1001),
    (k({"keytype": "SCHEMA", "subject": "a", "version": 2, "magic": 1}),
     k({"subject": "a", "version": 2, "id": 3, "schema": '"string"', "deleted": False}), 1002),
    # soft delete of a/2: the cached value written back with deleted=true, offset and ts
    (k({"keytype": "SCHEMA", "subject": "a", "version": 2, "magic": 1}),
     k({"subject": "a", "version": 2, "id": 3, "schema": '"string"', "deleted": True,
        "offset": 4, "ts": 1002}), 1003),
    (k({"keytype": "SCHEMA", "subject": "gone", "version": 1, "magic": 1}),
     k({"subject": "gone", "version": 1, "id": 4, "schema": '"int"', "deleted": True}), 1004),
    (k({"keytype": "SCHEMA", "subject": "gone", "version": 1, "magic": 1}), None, 1005),  # hard delete
    (k({"keytype": "CONFIG", "subject": "a", "magic": 0}),
     k({"subject": "a", "compatibilityLevel": "NONE", "normalize": True}), 1006),
    (k({"keytype": "MODE", "subject": "b", "magic": 0}), k({"subject": "b", "mode": "READONLY"}), 1007),
    (k({"keytype": "CONTEXT", "tenant": "default", "context": ".prod", "magic": 0}),
     k({"tenant": "default", "context": ".prod"}), 1008),
    (k({"keytype": "SCHEMA", "subject": ":.prod:c", "version": 1, "magic": 1}),
     k({"subject": ":.prod:c", "version": 1, "id": 1, "schemaType": "JSON",
        "schema": '{"type":"string"}', "deleted": False, "md5": "AAECAwQFBgcICQoLDA0ODw=="}), 1009),
    (k({"keytype": "CONFIG", "subject": ":.prod:", "magic": 0}), k({"compatibilityLevel": "NONE"}), 1010),
    (k({"keytype": "MODE", "magic": 0}), k({"mode": "READWRITE"}), 1011),
]


def decode_all(codec: ConfluentCodec, rows) -> list:
    out = []
    for key, value, ts in rows:
        out += codec.decode(key, value, ts)
    return out


def test_takeover_sample_maps_to_records_that_apply_cleanly():
    records = decode_all(ConfluentCodec(), TAKEOVER)
    state = State()
    state.load(records)
    assert state.configs == {"__GLOBAL": {"compatibilityLevel": "FULL"},
                             "a": {"compatibilityLevel": "NONE", "normalize": True},
                             ":.prod:": {"compatibilityLevel": "NONE"}}
    assert state.modes == {"b": "READONLY", "__GLOBAL": "READWRITE"}
    assert [(v.version, v.id, v.deleted, v.ts) for v in state.versions("a", deleted=True)] == [
        (1, 1, False, 1000), (2, 3, True, 1002)]
    assert "gone" not in state.subjects  # tombstoned
    b = state.contexts["."].schemas[2]
    assert b.references == (("A", "a", 1),) and b.schema_type == "AVRO"
    assert b.guid == schema_guid(AVRO_B, [{"name": "A", "subject": "a", "version": 1}])
    assert state.referrers[("a", 1)] == {2}
    assert state.contexts["."].max_id == 4  # the tombstoned id still counts: never reused
    c = state.contexts[".prod"].schemas[1]
    assert c.schema_type == "JSON" and c.guid == "00010203-0405-0607-0809-0a0b0c0d0e0f"
    assert state.versions(":.prod:c")[0].id == 1


def test_delete_subject_and_clear_subject():
    codec = ConfluentCodec()
    rows = TAKEOVER[:5] + [
        (k({"keytype": "DELETE_SUBJECT", "subject": "a", "magic": 0}), k({"subject": "a", "version": 2}), 2000),
        (k({"keytype": "CLEAR_SUBJECT", "subject": "a", "magic": 0}), k({"subject": "a"}), 2001)]
    records = decode_all(codec, rows)
    deleted = [r for r in records if isinstance(r, VersionRecord) and r.deleted]
    assert [(r.subject, r.version) for r in deleted] == [("a", 1), ("a", 2)]
    assert [r for r in records if isinstance(r, VersionRemoved)] == [VersionRemoved("a", 1), VersionRemoved("a", 2)]
    state = State()
    state.load(records)
    assert "a" not in state.subjects and state.versions("b")[0].id == 2


def test_our_writes_become_confluent_records():
    codec = ConfluentCodec()
    guid = schema_guid(AVRO_A)
    a = SchemaRecord(".", 1, "AVRO", AVRO_A, (), None, guid)
    c = SchemaRecord(".ctx", 1, "PROTOBUF", 'syntax = "proto3";', (("x.proto", "x", 1),), {"properties": {"k": "v"}}, "g")
    msgs = codec.encode([a, VersionRecord("a", 1, 1, False, 1234), c, VersionRecord(":.ctx:p", 1, 1, True, 5)])
    keys = [m[0].decode() for m in msgs]
    assert keys == ['{"keytype":"SCHEMA","subject":"a","version":1,"magic":1}',
                    '{"keytype":"CONTEXT","tenant":"default","context":".ctx","magic":0}',
                    '{"keytype":"SCHEMA","subject":":.ctx:p","version":1,"magic":1}']
    first = json.loads(msgs[0][1])
    assert first == {"subject": "a", "version": 1, "id": 1, "md5": first["md5"], "schemaType": "AVRO",
                     "schema": AVRO_A, "deleted": False, "ts": 1234}
    third = json.loads(msgs[2][1])
    assert third["references"] == [{"name": "x.proto", "subject": "x", "version": 1}]
    assert third["metadata"] == {"properties": {"k": "v"}} and third["deleted"] is True
    codec.applied([a, c])
    more = codec.encode([VersionRemoved("a", 1), ConfigRecord("__GLOBAL", {"compatibilityLevel": "NONE"}),
                         ConfigRecord("s", None), ModeRecord(":.ctx:", "IMPORT"), ModeRecord("__GLOBAL", None)])
    assert [(m[0].decode(), m[1] and m[1].decode()) for m in more] == [
        ('{"keytype":"SCHEMA","subject":"a","version":1,"magic":1}', None),
        ('{"keytype":"CONFIG","magic":0}', '{"compatibilityLevel":"NONE"}'),
        ('{"keytype":"CONFIG","subject":"s","magic":0}', None),
        ('{"keytype":"MODE","subject":":.ctx:","magic":0}', '{"subject":":.ctx:","mode":"IMPORT"}'),
        ('{"keytype":"MODE","magic":0}', None)]


def test_round_trip_keeps_guid_ids_and_versions():
    writer, reader = ConfluentCodec(), ConfluentCodec()
    a = SchemaRecord(".", 7, "AVRO", AVRO_A, (), None, schema_guid(AVRO_A))
    written = [a, VersionRecord("a", 3, 7, False, 99), ConfigRecord("a", {"compatibilityLevel": "FULL"})]
    records = decode_all(reader, [(key, value, 0) for key, value in writer.encode(written)])
    assert records == written
    assert records[0].guid == a.guid


def test_malformed_and_duplicate_ids_are_skipped():
    codec = ConfluentCodec()
    assert codec.decode(b"not json", b"{}") == []
    assert codec.decode(k({"keytype": "ASSOC"}), k({})) == []
    first = codec.decode(*TAKEOVER[2][:2])
    assert len(first) == 2
    clash = k({"subject": "z", "version": 1, "id": 1, "schema": '"bytes"', "deleted": False})
    assert codec.decode(k({"keytype": "SCHEMA", "subject": "z", "version": 1, "magic": 1}), clash) == []

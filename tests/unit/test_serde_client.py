"""Registry client over httpx.MockTransport: requests, caches, single flight, fail-over, errors."""

from __future__ import annotations

import asyncio
import base64
import json
import threading
import time

import httpx
import pytest

from serde.client import AsyncSchemaRegistryClient, Schema, SchemaReference, SchemaRegistryClient
from serde.errors import (
    ConfigurationError,
    IncompatibleSchema,
    RegistryUnavailable,
    SchemaNotFound,
    SchemaRegistryError,
    SerializationError,
    SubjectNotFound,
)

AVRO = '{"type":"string"}'


class Recorder:
    """A fake registry answering from a route table and counting requests."""

    def __init__(self, routes, delay: float = 0.0):
        self.routes = routes
        self.requests: list[httpx.Request] = []
        self.delay = delay
        self.lock = threading.Lock()

    def __call__(self, request: httpx.Request) -> httpx.Response:
        with self.lock:
            self.requests.append(request)
        if self.delay:
            time.sleep(self.delay)
        key = (request.method, request.url.raw_path.decode().split("?")[0])
        answer = self.routes.get(key)
        if answer is None:
            return httpx.Response(404, json={"error_code": 40403, "message": "Schema not found"})
        if callable(answer):
            return answer(request)
        status, body = answer
        return httpx.Response(status, json=body)


def client(routes, **kw) -> tuple[SchemaRegistryClient, Recorder]:
    rec = Recorder(routes, kw.pop("delay", 0.0))
    return SchemaRegistryClient("http://sr:8081", transport=httpx.MockTransport(rec), retry_wait=0, **kw), rec


def test_register_posts_schema_and_caches_the_id():
    c, rec = client({("POST", "/subjects/users-value/versions"): (200, {"id": 7})})
    assert c.register_schema("users-value", Schema(AVRO)) == 7
    assert c.register_schema("users-value", Schema(AVRO)) == 7
    assert len(rec.requests) == 1
    req = rec.requests[0]
    assert json.loads(req.content) == {"schema": AVRO}
    assert req.headers["content-type"] == "application/vnd.schemaregistry.v1+json"
    # the registered schema is known by id without asking
    assert c.get_schema(7, "users-value").schema_str == AVRO
    assert len(rec.requests) == 1


def test_register_sends_type_references_and_normalize():
    c, rec = client({("POST", "/subjects/a/versions"): (200, {"id": 2, "guid": "g", "version": 3})})
    s = Schema("syntax = 'proto3';", "PROTOBUF", [SchemaReference("x.proto", "x.proto", 1)])
    reg = c.register_schema_full_response("a", s, normalize_schemas=True)
    assert (reg.schema_id, reg.guid, reg.version, reg.subject) == (2, "g", 3, "a")
    assert rec.requests[0].url.params["normalize"] == "true"
    assert json.loads(rec.requests[0].content) == {
        "schema": "syntax = 'proto3';",
        "schemaType": "PROTOBUF",
        "references": [{"name": "x.proto", "subject": "x.proto", "version": 1}],
    }


def test_subject_with_slash_is_percent_encoded():
    c, rec = client({("GET", "/subjects/shop%2Fcommon.proto/versions"): (200, [1, 2])})
    assert c.get_versions("shop/common.proto") == [1, 2]


def test_get_schema_cached_forever_and_errors_are_typed():
    body = {"schema": AVRO, "references": [{"name": "n", "subject": "s", "version": 1}]}
    c, rec = client({("GET", "/schemas/ids/1"): (200, body)})
    s = c.get_schema(1)
    assert s == Schema(AVRO, "AVRO", [SchemaReference("n", "s", 1)])
    assert c.get_schema(1) is s and len(rec.requests) == 1
    with pytest.raises(SchemaNotFound) as info:
        c.get_schema(2)
    err = info.value
    assert (err.status, err.error_code) == (404, 40403)
    assert isinstance(err, SchemaRegistryError) and isinstance(err, SerializationError)


def test_subject_not_found_maps_by_error_code():
    c, _ = client({("GET", "/subjects/x/versions/latest"): (404, {"error_code": 40401, "message": "nope"})})
    with pytest.raises(SubjectNotFound, match="nope"):
        c.get_latest_version("x")


def test_concurrent_first_lookups_make_one_request_threads():
    c, rec = client({("GET", "/schemas/ids/5"): (200, {"schema": AVRO})}, delay=0.2)
    results = []
    threads = [threading.Thread(target=lambda: results.append(c.get_schema(5))) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(results) == 8 and all(r.schema_str == AVRO for r in results)
    assert len(rec.requests) == 1


def test_concurrent_first_lookups_make_one_request_async():
    calls = []

    async def handler(request):
        calls.append(request)
        await asyncio.sleep(0.05)
        return httpx.Response(200, json={"schema": AVRO})

    async def main():
        c = AsyncSchemaRegistryClient("http://sr", transport=httpx.MockTransport(handler))
        got = await asyncio.gather(*(c.get_schema(9) for _ in range(10)))
        again = await c.get_schema(9)
        await c.close()
        return got, again

    got, again = asyncio.run(main())
    assert {g.schema_str for g in got} == {AVRO} and again.schema_str == AVRO
    assert len(calls) == 1


def test_async_errors_propagate_to_every_waiter():
    async def handler(request):
        await asyncio.sleep(0.01)
        return httpx.Response(404, json={"error_code": 40403, "message": "gone"})

    async def main():
        c = AsyncSchemaRegistryClient("http://sr", transport=httpx.MockTransport(handler))
        return await asyncio.gather(*(c.get_schema(1) for _ in range(3)), return_exceptions=True)

    assert all(isinstance(r, SchemaNotFound) for r in asyncio.run(main()))


def test_fail_over_to_next_url_and_stick_to_it():
    seen = []

    def handler(request):
        seen.append(request.url.host)
        if request.url.host == "a":
            raise httpx.ConnectError("down", request=request)
        return httpx.Response(200, json=["s1"])

    c = SchemaRegistryClient("http://a:1,http://b:2", transport=httpx.MockTransport(handler), retry_wait=0)
    assert c.get_subjects() == ["s1"]
    assert c.get_subjects() == ["s1"]
    assert seen == ["a", "b", "b"]


def test_retries_retriable_status_with_backoff_then_succeeds():
    answers = [httpx.Response(503), httpx.Response(429), httpx.Response(200, json=["ok"])]
    c = SchemaRegistryClient("http://a", transport=httpx.MockTransport(lambda r: answers.pop(0)), retry_wait=0)
    assert c.get_subjects() == ["ok"]


def test_registry_unavailable_after_retries():
    count = []

    def handler(request):
        count.append(1)
        raise httpx.ConnectError("down", request=request)

    c = SchemaRegistryClient(["http://a", "http://b"], transport=httpx.MockTransport(handler),
                             retry_wait=0, max_retries=2)
    with pytest.raises(RegistryUnavailable) as info:
        c.get_subjects()
    assert len(count) == 6 and info.value.status == 503


def test_basic_auth_from_url_and_bearer_token():
    rec = Recorder({("GET", "/subjects"): (200, [])})
    c = SchemaRegistryClient("http://u%40x:p%3Aw@sr:8081", transport=httpx.MockTransport(rec))
    c.get_subjects()
    assert rec.requests[-1].headers["authorization"] == "Basic " + base64.b64encode(b"u@x:p:w").decode()
    assert rec.requests[-1].url.host == "sr"
    tokens = iter(["t1", "t2"])
    c = SchemaRegistryClient("http://sr", bearer_token=lambda: next(tokens), logical_cluster="lsrc-1",
                             transport=httpx.MockTransport(rec))
    c.get_subjects()
    c.get_subjects()
    assert rec.requests[-2].headers["authorization"] == "Bearer t1"
    assert rec.requests[-1].headers["authorization"] == "Bearer t2"
    assert rec.requests[-1].headers["target-sr-cluster"] == "lsrc-1"


def test_confluent_conf_dict_is_accepted_and_unknown_keys_rejected():
    c = SchemaRegistryClient({"url": "http://a,http://b", "basic.auth.user.info": "u:p", "max.retries": 1,
                              "cache.latest.ttl.sec": 5})
    assert c.options.urls == ["http://a", "http://b"] and c.options.auth == ("u", "p")
    assert c.options.max_retries == 1 and c.options.latest_ttl == 5
    with pytest.raises(ConfigurationError, match="Unrecognized properties: bogus"):
        SchemaRegistryClient({"url": "http://a", "bogus": 1})
    with pytest.raises(ValueError):
        SchemaRegistryClient("ftp://a")
    with pytest.raises(ConfigurationError):
        SchemaRegistryClient("http://a", key="k.pem")


def test_test_compatibility_keeps_messages():
    route = {("POST", "/compatibility/subjects/s/versions/latest"):
             (200, {"is_compatible": False, "messages": ["READER_FIELD_MISSING_DEFAULT_VALUE at /fields/1"]})}
    c, rec = client(route)
    result = c.test_compatibility("s", Schema(AVRO))
    assert not result and result.messages == ("READER_FIELD_MISSING_DEFAULT_VALUE at /fields/1",)
    assert rec.requests[0].url.params["verbose"] == "true"


def test_test_compatibility_on_new_subject_is_compatible():
    route = {("POST", "/compatibility/subjects/s/versions/latest"): (404, {"error_code": 40401, "message": "x"})}
    assert client(route)[0].test_compatibility("s", Schema(AVRO))


def test_incompatible_registration_carries_reasons():
    msg = ("Schema being registered is incompatible with an earlier schema for subject \"s\", details: "
           "[{errorType:'READER_FIELD_MISSING_DEFAULT_VALUE', description:'x'}, {oldSchemaVersion: 1}]")
    c, _ = client({("POST", "/subjects/s/versions"): (409, {"error_code": 409, "message": msg})})
    with pytest.raises(IncompatibleSchema) as info:
        c.register_schema("s", Schema(AVRO))
    assert info.value.status == 409
    assert info.value.reasons == [
        "{errorType:'READER_FIELD_MISSING_DEFAULT_VALUE', description:'x'}", "{oldSchemaVersion: 1}"]


def test_latest_version_cache_with_ttl(monkeypatch):
    # A clock the test moves, so a slow or loaded machine cannot let the TTL run out between two calls.
    import cachetools

    import serde.client.caches

    now = [1000.0]
    monkeypatch.setattr(serde.client.caches, "TTLCache",
                        lambda maxsize, ttl: cachetools.TTLCache(maxsize, ttl, timer=lambda: now[0]))
    latest = {"subject": "s", "id": 1, "version": 1, "schema": AVRO}
    c, rec = client({("GET", "/subjects/s/versions/latest"): (200, latest)}, latest_ttl=5)
    assert c.get_latest_version("s").version == 1
    assert c.get_latest_version("s").version == 1
    assert len(rec.requests) == 1
    now[0] += 4.9
    c.get_latest_version("s")
    assert len(rec.requests) == 1  # still within the TTL
    now[0] += 0.2
    c.get_latest_version("s")
    assert len(rec.requests) == 2
    c.clear_latest_caches()
    c.get_latest_version("s")
    assert len(rec.requests) == 3


def test_lookup_config_mode_and_deletes():
    routes = {
        ("POST", "/subjects/s"): (200, {"subject": "s", "id": 3, "version": 2, "schema": AVRO}),
        ("PUT", "/config/s"): (200, {"compatibility": "FULL"}),
        ("GET", "/config"): (200, {"compatibilityLevel": "BACKWARD"}),
        ("PUT", "/mode/s"): (200, {"mode": "READONLY"}),
        ("GET", "/mode"): (200, {"mode": "READWRITE"}),
        ("DELETE", "/subjects/s"): (200, [1, 2]),
        ("DELETE", "/subjects/s/versions/2"): (200, 2),
    }
    c, rec = client(routes)
    reg = c.lookup_schema("s", Schema(AVRO))
    assert (reg.schema_id, reg.version) == (3, 2)
    assert c.set_compatibility("s", "full") == "FULL"
    assert json.loads(rec.requests[-1].content) == {"compatibility": "FULL"}
    assert c.get_compatibility() == "BACKWARD"
    assert c.update_mode("s", "READONLY") == "READONLY"
    assert c.get_global_mode() == "READWRITE"
    assert c.delete_version("s", 2, permanent=True) == 2
    assert rec.requests[-1].url.params["permanent"] == "true"
    assert c.delete_subject("s") == [1, 2]


def test_tls_and_timeout_options(tmp_path):
    import ssl

    import certifi

    c = SchemaRegistryClient("https://sr", verify=certifi.where(), timeout=1.5)
    assert isinstance(c.options.verify, ssl.SSLContext)
    assert c._http.timeout == httpx.Timeout(1.5)
    assert SchemaRegistryClient("https://sr", verify=False).options.verify is False
    assert SchemaRegistryClient({"url": "https://sr", "ssl.ca.location": False}).options.verify is False
    with pytest.raises(ConfigurationError, match="Cannot load TLS files"):
        SchemaRegistryClient("https://sr", cert=str(tmp_path / "missing.pem"))


def test_non_json_error_body_is_still_typed():
    c = SchemaRegistryClient("http://a", transport=httpx.MockTransport(lambda r: httpx.Response(400, text="bad")),
                             retry_wait=0)
    with pytest.raises(SchemaRegistryError) as info:
        c.get_subjects()
    assert info.value.status == 400 and info.value.error_code == -1


def test_new_client_factory_gives_in_memory_registry_for_mock_urls():
    from serde.memory import AsyncInMemorySchemaRegistry, InMemorySchemaRegistry

    assert isinstance(SchemaRegistryClient.new_client({"url": "mock://x"}), InMemorySchemaRegistry)
    assert isinstance(AsyncSchemaRegistryClient.new_client("mock://x"), AsyncInMemorySchemaRegistry)
    assert isinstance(SchemaRegistryClient.new_client("http://sr"), SchemaRegistryClient)

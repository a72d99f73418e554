"""openapi.yaml stays true to the code: the same routes, parameters, bodies and error codes."""

from __future__ import annotations

import inspect
import json
import re
from pathlib import Path
from typing import Any

import pytest
import yaml

import registry.errors
from registry.app import ROUTES

ROOT = Path(__file__).resolve().parents[2]
METHODS = ("get", "put", "post", "delete", "patch", "head", "options", "trace")
MEDIA = {"application/vnd.schemaregistry.v1+json", "application/vnd.schemaregistry+json", "application/json"}
CODE = re.compile(r"`(\d{3}|\d{5})`")
# The ways a handler (or a helper it calls in its own module) reads a query parameter.
QUERY_READ = re.compile(r'(?:flag|integer)\(request,\s*"(\w+)"|(?:query_params|\bq)\.get\("(\w+)"')


@pytest.fixture(scope="module")
def spec() -> dict[str, Any]:
    return yaml.safe_load((ROOT / "openapi.yaml").read_text())


def resolve(spec: dict[str, Any], node: Any) -> Any:
    """Follow `$ref`s; OpenAPI 3.1 lets a reference override `description`."""
    while isinstance(node, dict) and "$ref" in node:
        ref = node["$ref"]
        assert ref.startswith("#/"), ref
        target: Any = spec
        for part in ref[2:].split("/"):
            assert isinstance(target, dict) and part in target, f"dangling $ref {ref}"
            target = target[part]
        node = {**target, **{k: v for k, v in node.items() if k in ("description", "summary")}}
    return node


def registry_operations(spec: dict[str, Any]) -> dict[tuple[str, str], dict[str, Any]]:
    """(path, METHOD) -> operation, for the operations tagged with a registry tag."""
    tags = {t["name"] for t in spec["tags"] if t.get("x-service") == "registry"}
    out = {}
    for path, item in spec["paths"].items():
        for method in METHODS:
            op = item.get(method)
            if op is not None and tags & set(op.get("tags", ())):
                out[(path, method.upper())] = op
    return out


def code_routes() -> dict[tuple[str, str], Any]:
    """(path, METHOD) -> Route, HEAD left out (Starlette adds it to every GET)."""
    out = {}
    for route in ROUTES:
        path = re.sub(r"\{(\w+):\w+\}", r"{\1}", route.path)
        for method in route.methods - {"HEAD"}:
            assert (path, method) not in out, f"{method} {path} routed twice"
            out[(path, method)] = route
    return out


def handler(route) -> tuple[Any, bool]:
    """The handler function and whether it takes a body, from registry.http.endpoint's closure."""
    cells = dict(zip(route.endpoint.__code__.co_freevars, (c.cell_contents for c in route.endpoint.__closure__)))
    return cells["fn"], cells["body"]


def query_params_read(fn) -> set[str]:
    sources = [inspect.getsource(fn)]
    for name in fn.__code__.co_names:  # module-level helpers such as `_slice`
        helper = fn.__globals__.get(name)
        if inspect.isfunction(helper) and helper.__module__ == fn.__module__:
            sources.append(inspect.getsource(helper))
    return {a or b for src in sources for a, b in QUERY_READ.findall(src)}


def params(spec: dict[str, Any], path: str, op: dict[str, Any]) -> list[dict[str, Any]]:
    item = spec["paths"][path]
    return [resolve(spec, p) for p in [*item.get("parameters", ()), *op.get("parameters", ())]]


def test_document_header(spec):
    assert spec["openapi"].startswith("3.1")
    assert spec["servers"] and all(s["url"].startswith("http") for s in spec["servers"])
    names = [t["name"] for t in spec["tags"]]
    assert len(names) == len(set(names))
    ops = [op for item in spec["paths"].values() for m, op in item.items() if m in METHODS]
    assert all(op.get("tags") and set(op["tags"]) <= set(names) for op in ops), "every operation has a declared tag"
    ids = [op["operationId"] for op in ops]
    assert len(ids) == len(set(ids)), "operationIds are unique"


def test_every_route_is_documented_and_every_documented_route_exists(spec):
    routed, documented = set(code_routes()), set(registry_operations(spec))
    assert routed - documented == set(), "routes missing from openapi.yaml"
    assert documented - routed == set(), "openapi.yaml documents routes the registry does not serve"
    assert len(routed) >= 30


@pytest.mark.parametrize("key", sorted(code_routes()), ids=lambda k: f"{k[1]} {k[0]}")
def test_parameters_and_body_match_the_handler(spec, key):
    path, method = key
    op = registry_operations(spec)[key]
    route = code_routes()[key]
    fn, takes_body = handler(route)
    declared = params(spec, path, op)

    path_params = {p["name"] for p in declared if p["in"] == "path"}
    assert path_params == set(re.findall(r"\{(\w+)\}", path))
    assert all(p.get("required") for p in declared if p["in"] == "path")
    for name, convertor in route.param_convertors.items():
        schema = next(p["schema"] for p in declared if p["in"] == "path" and p["name"] == name)
        if type(convertor).__name__ == "IntegerConvertor":
            assert schema.get("type") == "integer", f"{name} is an int path param"

    query = {p["name"]: p for p in declared if p["in"] == "query"}
    assert set(query) == query_params_read(fn), "documented query params differ from those the handler reads"

    assert ("requestBody" in op) == takes_body
    if takes_body:
        body = resolve(spec, op["requestBody"])
        assert MEDIA | {"application/octet-stream"} <= set(body["content"])
        for code in ("400", "413", "415"):
            assert code in op["responses"], f"a body endpoint documents {code}"


@pytest.mark.parametrize("key", sorted(code_routes()), ids=lambda k: f"{k[1]} {k[0]}")
def test_responses_use_the_media_types_and_error_body(spec, key):
    op = registry_operations(spec)[key]
    responses = op["responses"]
    assert "200" in responses and "406" in responses
    enum = set(spec["components"]["schemas"]["ErrorCode"]["enum"])
    for status, response in responses.items():
        response = resolve(spec, response)
        assert set(response["content"]) == MEDIA, f"{status} offers the three JSON media types"
        if status.startswith("2"):
            continue
        for media in response["content"].values():
            assert media["schema"] == {"$ref": "#/components/schemas/ErrorMessage"}
        codes = [int(c) for c in CODE.findall(response["description"])]
        assert codes, f"{status} names its error codes"
        for code in codes:
            assert code in enum, f"{code} is in the ErrorCode table"
            http = code if code < 1000 else code // 100
            assert str(http) == status, f"error_code {code} documented under HTTP {status}"


def test_error_code_table_covers_the_codes_the_registry_raises(spec):
    source = inspect.getsource(registry.errors)
    raised = {int(c) for c in re.findall(r"error_code=(\d+)", source)}
    assert {40401, 40402, 40403, 409, 42201, 42208} <= raised
    enum = set(spec["components"]["schemas"]["ErrorCode"]["enum"])
    assert raised - enum == set()
    error = spec["components"]["schemas"]["ErrorMessage"]
    assert set(error["required"]) == {"error_code", "message"} == set(error["properties"])


def test_entities_have_confluents_field_names(spec):
    schemas = spec["components"]["schemas"]
    assert set(schemas["RegisterSchemaRequest"]["properties"]) >= {
        "schema", "schemaType", "references", "metadata", "version", "id"}
    assert set(schemas["Schema"]["required"]) == {"subject", "version", "id", "schema"}
    assert "subject" not in schemas["SchemaString"]["properties"]
    assert schemas["RegisterSchemaResponse"]["required"] == ["id"]
    assert {"guid", "ts", "deleted"} <= set(schemas["Schema"]["properties"]), "the 8.x shape (--api-version 8)"
    assert schemas["CompatibilityCheckResponse"]["required"] == ["is_compatible"]
    assert schemas["Config"]["allOf"][1]["required"] == ["compatibilityLevel"]
    assert "compatibility" in schemas["ConfigUpdateRequest"]["allOf"][1]["properties"]
    assert set(schemas["SubjectVersion"]["properties"]) == {"subject", "version"}
    from registry.compat.levels import LEVELS
    assert set(schemas["CompatibilityLevel"]["enum"]) == set(LEVELS)
    try:
        from registry.settings import MODES
    except ImportError:
        from registry.core import MODES
    assert set(schemas["ModeValue"]["enum"]) == set(MODES)


def test_every_ref_resolves(spec):
    def walk(node: Any) -> None:
        if isinstance(node, dict):
            if "$ref" in node:
                resolve(spec, node)
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    walk(spec)


# -- the live registry answers as the contract says ---------------------------------------

RECORD = json.dumps({"type": "record", "name": "Order", "fields": [{"name": "id", "type": "string"}]})
EVOLVED = json.dumps({"type": "record", "name": "Order", "fields": [
    {"name": "id", "type": "string"}, {"name": "total", "type": "long"}]})
V1 = "application/vnd.schemaregistry.v1+json"


def _cases(guid: str) -> list[tuple[str, str, str, dict[str, Any], int]]:
    """(method, documented path, concrete path, request kwargs, expected status), run in order."""
    schema = {"json": {"schema": RECORD}}
    return [
        ("GET", "/", "/", {}, 200),
        ("POST", "/", "/", {"json": {"any": 1}}, 200),
        ("GET", "/schemas/types", "/schemas/types", {}, 200),
        ("POST", "/subjects/{subject}/versions", "/subjects/a/versions", schema, 200),
        ("POST", "/subjects/{subject}/versions", "/subjects/a/versions", {"json": {"schema": "{nope"}}, 422),
        ("POST", "/subjects/{subject}/versions", "/subjects/a/versions",
         {"content": b"{bad", "headers": {"Content-Type": V1}}, 400),
        ("POST", "/subjects/{subject}/versions", "/subjects/a/versions",
         {"content": b"{}", "headers": {"Content-Type": "text/plain"}}, 415),
        ("POST", "/subjects/{subject}/versions", "/subjects/a/versions", {}, 422),
        ("POST", "/subjects/{subject}/versions", "/subjects/__GLOBAL/versions", schema, 422),
        ("POST", "/subjects/{subject}/versions", "/subjects/a/versions", {"json": {"schema": EVOLVED}}, 409),
        ("GET", "/schemas/ids/{id}", "/schemas/ids/1", {"params": {"fetchMaxId": "true"}}, 200),
        ("GET", "/schemas/ids/{id}", "/schemas/ids/999", {}, 404),
        ("GET", "/schemas/ids/{id}/schema", "/schemas/ids/1/schema", {}, 200),
        ("GET", "/schemas/ids/{id}/schema", "/schemas/ids/999/schema", {}, 404),
        ("GET", "/schemas/ids/{id}/subjects", "/schemas/ids/1/subjects", {}, 200),
        ("GET", "/schemas/ids/{id}/subjects", "/schemas/ids/999/subjects", {}, 404),
        ("GET", "/schemas/ids/{id}/versions", "/schemas/ids/1/versions", {}, 200),
        ("GET", "/schemas/guids/{guid}", f"/schemas/guids/{guid}", {}, 200),
        ("GET", "/schemas/guids/{guid}", "/schemas/guids/00000000-0000-0000-0000-000000000000", {}, 404),
        ("GET", "/schemas", "/schemas", {}, 200),
        ("GET", "/subjects", "/subjects", {}, 200),
        ("GET", "/subjects", "/subjects", {"headers": {"Accept": "text/html"}}, 406),
        ("GET", "/subjects/{subject}/versions", "/subjects/a/versions", {}, 200),
        ("GET", "/subjects/{subject}/versions", "/subjects/zz/versions", {}, 404),
        ("GET", "/subjects/{subject}/versions/{version}", "/subjects/a/versions/1", {}, 200),
        ("GET", "/subjects/{subject}/versions/{version}", "/subjects/a/versions/abc", {}, 422),
        ("GET", "/subjects/{subject}/versions/{version}", "/subjects/a/versions/5", {}, 404),
        ("GET", "/subjects/{subject}/versions/{version}/schema", "/subjects/a/versions/latest/schema", {}, 200),
        ("GET", "/subjects/{subject}/versions/{version}/referencedby", "/subjects/a/versions/1/referencedby", {},
         200),
        ("POST", "/subjects/{subject}", "/subjects/a", schema, 200),
        ("POST", "/subjects/{subject}", "/subjects/a", {"json": {"schema": EVOLVED}}, 404),
        ("POST", "/compatibility/subjects/{subject}/versions", "/compatibility/subjects/a/versions",
         {"json": {"schema": EVOLVED}, "params": {"verbose": "true"}}, 200),
        ("POST", "/compatibility/subjects/{subject}/versions/{version}", "/compatibility/subjects/a/versions/latest",
         schema, 200),
        ("POST", "/compatibility/subjects/{subject}/versions/{version}", "/compatibility/subjects/a/versions/9",
         schema, 404),
        ("GET", "/config", "/config", {}, 200),
        ("PUT", "/config", "/config", {"json": {"compatibility": "FULL"}}, 200),
        ("PUT", "/config", "/config", {"json": {"compatibility": "SIDEWAYS"}}, 422),
        ("GET", "/config/{subject}", "/config/a", {}, 404),
        ("PUT", "/config/{subject}", "/config/a", {"json": {"compatibility": "NONE"}}, 200),
        ("GET", "/config/{subject}", "/config/a", {}, 200),
        ("DELETE", "/config/{subject}", "/config/a", {}, 200),
        ("DELETE", "/config/{subject}", "/config/a", {}, 404),
        ("DELETE", "/config", "/config", {}, 200),
        ("GET", "/mode", "/mode", {}, 200),
        ("PUT", "/mode", "/mode", {"json": {"mode": "SIDEWAYS"}}, 422),
        ("GET", "/mode/{subject}", "/mode/a", {}, 404),
        ("PUT", "/mode/{subject}", "/mode/a", {"json": {"mode": "READONLY"}}, 200),
        ("DELETE", "/subjects/{subject}/versions/{version}", "/subjects/a/versions/1", {}, 422),
        ("DELETE", "/mode/{subject}", "/mode/a", {}, 200),
        ("DELETE", "/mode/{subject}", "/mode/a", {}, 404),
        ("PUT", "/mode", "/mode", {"json": {"mode": "READWRITE"}}, 200),
        ("DELETE", "/mode", "/mode", {}, 200),
        ("DELETE", "/subjects/{subject}/versions/{version}", "/subjects/a/versions/1", {}, 200),
        ("DELETE", "/subjects/{subject}/versions/{version}", "/subjects/a/versions/1", {}, 404),
        ("DELETE", "/subjects/{subject}", "/subjects/a", {"params": {"permanent": "true"}}, 200),
        ("DELETE", "/subjects/{subject}", "/subjects/a", {}, 404),
        ("GET", "/contexts", "/contexts", {}, 200),
        ("GET", "/v1/metadata/id", "/v1/metadata/id", {}, 200),
        ("GET", "/v1/metadata/version", "/v1/metadata/version", {}, 200),
    ]


def _validator(spec: dict[str, Any], schema: dict[str, Any]):
    from jsonschema import Draft202012Validator

    # "#/components/..." references resolve against this root, which carries the components.
    return Draft202012Validator({**schema, "components": spec["components"]})


@pytest.mark.parametrize("api", [7, pytest.param(8, marks=pytest.mark.registry_api(8))], ids=["7.x", "8.x"])
def test_live_answers_match_the_contract(spec, sr, api):
    from registry.identity import schema_guid

    ops = registry_operations(spec)
    canonical = '{"type":"record","name":"Order","fields":[{"name":"id","type":"string"}]}'
    covered = set()
    for method, template, path, kwargs, status in _cases(schema_guid(canonical)):
        pattern = "^" + re.sub(r"\\\{(\w+)\\\}", lambda m: "[^/]+" if m.group(1) != "subject" else ".+",
                               re.escape(template)) + "$"
        assert re.match(pattern, path), (template, path)
        op = ops[(template, method)]
        covered.add((template, method))
        r = sr.request(method, path, **kwargs)
        where = f"{method} {path} -> {r.status_code} {r.text[:200]}"
        assert r.status_code == status, where
        assert str(status) in op["responses"], f"{where}: status not documented"
        response = resolve(spec, op["responses"][str(status)])
        media = r.headers["content-type"].split(";")[0]
        assert media in response["content"], where
        schema = response["content"][media]["schema"]
        if status >= 400:
            body = r.json()
            _validator(spec, schema).validate(body)
            codes = {int(c) for c in CODE.findall(response["description"])}
            assert body["error_code"] in codes, f"{where}: error_code not documented for this operation"
        elif schema.get("type") == "string":  # the raw `.../schema` text
            json.loads(r.text)
        else:
            errors = [e.message for e in _validator(spec, schema).iter_errors(r.json())]
            assert errors == [], where
    assert len(covered) >= 0.9 * len(ops), "the live check walks nearly every operation"

"""openapi.yaml stays true to the code: the same routes, parameters, bodies and error codes."""

from __future__ import annotations

import inspect
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

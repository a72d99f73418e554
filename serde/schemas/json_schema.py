"""JSON Schema: parsing, Confluent's canonical text, `$ref` resolution and record validation.

Confluent stores Jackson's compact serialisation of the parsed tree: keys in the
order given, decimals as exact BigDecimals (`1.0` must not become `1`), non-ASCII
left unescaped. That is why the tree is serialised by a small writer of our own
instead of `json.dumps`.

References are resolved only from the document itself and from the texts the
registry passes as dependencies; nothing is ever fetched over the network.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from decimal import Decimal
from functools import cached_property
from typing import Any
from urllib.parse import unquote, urldefrag, urljoin

from serde.errors import RecordValidationError, SchemaParseError

MAX_DEPTH = 200
MAX_RECORD_DEPTH = 1000
# A base for documents without `$id`. It must use a scheme `urljoin` treats as
# hierarchical; it is never fetched.
DEFAULT_BASE = "http://schemawire.invalid/root.json"

DRAFT4, DRAFT6, DRAFT7, DRAFT2019, DRAFT2020 = "draft4", "draft6", "draft7", "2019-09", "2020-12"
_DRAFT_URLS = {
    "json-schema.org/draft-04/schema": DRAFT4,
    "json-schema.org/draft-06/schema": DRAFT6,
    "json-schema.org/draft-07/schema": DRAFT7,
    "json-schema.org/draft/2019-09/schema": DRAFT2019,
    "json-schema.org/draft/2020-12/schema": DRAFT2020,
}
MODERN_DRAFTS = frozenset({DRAFT2019, DRAFT2020})
# Keys whose values are data, not subschemas: never scanned for `$id` or `$ref`.
_DATA_KEYWORDS = frozenset({"enum", "const", "default", "examples"})


class JsonNumber(float):
    """A JSON number with a fraction or exponent, remembering its exact decimal text.

    Confluent reads such numbers as Java BigDecimal and writes them back with
    `BigDecimal.toString()`: `1.0` stays `1.0`, `1e5` becomes `1E+5`. Python's
    `Decimal` follows the same to-scientific-string rules.
    """

    text: str

    def __new__(cls, text: str) -> "JsonNumber":
        obj = super().__new__(cls, text)
        exact = Decimal(text)
        obj.text = str(exact.copy_abs() if exact.is_zero() else exact)  # BigDecimal has no -0
        return obj

    def __repr__(self) -> str:
        return self.text


def _dialect_key(url: Any) -> str:
    return url.split("://", 1)[-1].rstrip("#") if isinstance(url, str) else ""


def draft_of(schema: Any) -> str:
    """The draft named by `$schema`; draft 7 when absent or unknown, as Confluent does."""
    if isinstance(schema, dict):
        return _DRAFT_URLS.get(_dialect_key(schema.get("$schema")), DRAFT7)
    return DRAFT7


def dumps(value: Any) -> str:
    """Compact JSON in the given key order, numbers as written, non-ASCII kept."""
    out: list[str] = []
    stack: list[Any] = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, _Raw):
            out.append(item.text)
        elif isinstance(item, dict):
            parts: list[Any] = [_Raw("{")]
            for n, (key, val) in enumerate(item.items()):
                if n:
                    parts.append(_Raw(","))
                parts.append(_Raw(json.dumps(key, ensure_ascii=False) + ":"))
                parts.append(val)
            parts.append(_Raw("}"))
            stack.extend(reversed(parts))
        elif isinstance(item, list):
            parts = [_Raw("[")]
            for n, val in enumerate(item):
                if n:
                    parts.append(_Raw(","))
                parts.append(val)
            parts.append(_Raw("]"))
            stack.extend(reversed(parts))
        elif isinstance(item, JsonNumber):
            out.append(item.text)
        else:
            out.append(json.dumps(item, ensure_ascii=False))
    return "".join(out)


class _Raw:
    __slots__ = ("text",)

    def __init__(self, text: str) -> None:
        self.text = text


def plain(value: Any) -> Any:
    """A copy with JsonNumber turned back into float, for libraries that want exact types."""
    if isinstance(value, dict):
        return {k: plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [plain(v) for v in value]
    if isinstance(value, JsonNumber):
        return float(value)
    return value


def sort_keys(value: Any) -> Any:
    """A copy with object keys sorted at every level (Confluent's normalised JSON form)."""
    if isinstance(value, dict):
        return {k: sort_keys(value[k]) for k in sorted(value)}
    if isinstance(value, list):
        return [sort_keys(v) for v in value]
    return value


def loads(text: str) -> Any:
    """Parse JSON text keeping numbers as written; SchemaParseError when it is not JSON."""
    try:
        value = json.loads(text, parse_float=JsonNumber, parse_constant=_reject_constant)
    except RecursionError:
        raise SchemaParseError(f"Invalid schema: nesting deeper than {MAX_DEPTH} levels") from None
    except (ValueError, TypeError) as exc:
        raise SchemaParseError(f"Invalid JSON schema: {exc}") from None
    _check_depth(value)
    return value


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not valid JSON")


def _check_depth(value: Any) -> None:
    stack = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if depth > MAX_DEPTH:
            raise SchemaParseError(f"Invalid schema: nesting deeper than {MAX_DEPTH} levels")
        if isinstance(item, dict):
            stack.extend((v, depth + 1) for v in item.values())
        elif isinstance(item, list):
            stack.extend((v, depth + 1) for v in item)


def _subschema_nodes(schema: Any) -> Iterator[tuple[Any, tuple[str, ...]]]:
    """Every object below `schema` that may be a schema, with its JSON pointer tokens.

    Values of data keywords (enum, const, default, examples) and property-name maps
    are walked as schema containers only where JSON Schema says so, so an `$id`
    inside an `enum` value is not mistaken for a resource.
    """
    stack: list[tuple[Any, tuple[str, ...]]] = [(schema, ())]
    while stack:
        node, path = stack.pop()
        if not isinstance(node, dict):
            continue
        yield node, path
        for key, val in node.items():
            if key in _DATA_KEYWORDS:
                continue
            if isinstance(val, dict):
                stack.append((val, path + (key,)))
            elif isinstance(val, list):
                stack.extend((v, path + (key, str(i))) for i, v in enumerate(val) if isinstance(v, dict))


class Resolver:
    """Finds `$ref` targets inside one schema document and its registered dependencies.

    Resources are indexed by absolute URI (document `$id`s and dependency names);
    anchors by `uri#name`. Unknown URIs are an error: there is no network fallback.
    """

    def __init__(self, root: Any, dependencies: Mapping[str, Any], draft: str) -> None:
        self.draft = draft
        self._id_key = "id" if draft == DRAFT4 else "$id"
        self._resources: dict[str, Any] = {}
        self._anchors: dict[str, Any] = {}
        self.root_base = self._index(root, DEFAULT_BASE)
        for name, doc in dependencies.items():
            uri = urldefrag(urljoin(self.root_base, name))[0]
            self._resources.setdefault(name, doc)
            self._resources.setdefault(uri, doc)
            self._index(doc, uri)

    def _index(self, doc: Any, base: str) -> str:
        """Register `doc` and every embedded resource; return the document's own base URI."""
        bases: dict[tuple[str, ...], str] = {}
        root_base = base
        for node, path in _subschema_nodes(doc):
            parent = base
            for cut in range(len(path) - 1, -1, -1):
                if path[:cut] in bases:
                    parent = bases[path[:cut]]
                    break
            own = parent
            ident = node.get(self._id_key)
            if isinstance(ident, str) and not (path and path[-1] in ("properties",)):
                uri, frag = urldefrag(urljoin(parent, ident))
                if uri and (not ident.startswith("#")):
                    own = uri
                    self._resources.setdefault(uri, node)
                if frag and not frag.startswith("/"):
                    self._anchors.setdefault(f"{uri or parent}#{frag}", node)
            anchor = node.get("$anchor")
            if isinstance(anchor, str):
                self._anchors.setdefault(f"{own}#{anchor}", node)
            bases[path] = own
            if not path:
                root_base = own
                self._resources.setdefault(own, doc)
        return root_base

    def base_of(self, node: Any, base: str) -> str:
        """The base URI in force inside `node`, given the base of its parent."""
        if isinstance(node, dict):
            ident = node.get(self._id_key)
            if isinstance(ident, str) and not ident.startswith("#"):
                uri = urldefrag(urljoin(base, ident))[0]
                if uri:
                    return uri
        return base

    def resolve(self, ref: str, base: str) -> tuple[Any, str]:
        """The schema `ref` points at from a schema whose base is `base`, and its base URI."""
        target = urljoin(base, ref)
        uri, frag = urldefrag(target)
        doc = self._resources.get(uri)
        if doc is None:
            doc = self._resources.get(ref.split("#", 1)[0])
        if doc is None:
            doc = _bundled_metaschema(uri)
        if doc is None:
            raise SchemaParseError(f"Invalid schema: unresolvable $ref '{ref}'")
        if not frag:
            return doc, uri
        if frag.startswith("/"):
            return self._pointer(doc, frag, ref), uri
        anchored = self._anchors.get(f"{uri}#{frag}")
        if anchored is None:
            raise SchemaParseError(f"Invalid schema: unresolvable $ref '{ref}'")
        return anchored, uri

    def _pointer(self, doc: Any, pointer: str, ref: str) -> Any:
        node = doc
        for raw in pointer.split("/")[1:]:
            token = unquote(raw).replace("~1", "/").replace("~0", "~")
            if isinstance(node, dict) and token in node:
                node = node[token]
            elif isinstance(node, dict) and token == "$defs" and "definitions" in node:
                node = node["definitions"]  # Confluent bridges definitions into $defs
            elif isinstance(node, dict) and token == "definitions" and "$defs" in node:
                node = node["$defs"]
            elif isinstance(node, list) and token.isdigit() and int(token) < len(node):
                node = node[int(token)]
            else:
                raise SchemaParseError(f"Invalid schema: unresolvable $ref '{ref}'")
        return node

    def check_all(self, doc: Any, base: str) -> None:
        """Resolve every `$ref` in `doc` once; SchemaParseError names the first that fails."""
        bases: dict[tuple[str, ...], str] = {}
        for node, path in _subschema_nodes(doc):
            parent = base
            for cut in range(len(path) - 1, -1, -1):
                if path[:cut] in bases:
                    parent = bases[path[:cut]]
                    break
            own = self.base_of(node, parent)
            bases[path] = own
            ref = node.get("$ref")
            if ref is not None and not (path and path[-1] == "properties"):
                if not isinstance(ref, str):
                    raise SchemaParseError("Invalid schema: $ref must be a string")
                self.resolve(ref, own)


def _bundled_metaschema(uri: str) -> Any:
    """The official metaschemas ship with `jsonschema_specifications`; never fetched."""
    if "json-schema.org/" not in uri:
        return None
    try:
        from jsonschema_specifications import REGISTRY
    except ImportError:  # pragma: no cover - a dependency of jsonschema
        return None
    for candidate in (uri, uri + "#", uri.rstrip("#")):
        try:
            return REGISTRY.contents(candidate)
        except Exception:  # noqa: BLE001 - the registry raises its own lookup errors
            continue
    return None


def _bundled_metaschemas() -> Iterator[tuple[str, Any]]:
    """Every official metaschema (and vocabulary) `jsonschema_specifications` ships."""
    from jsonschema_specifications import REGISTRY

    for uri in REGISTRY:
        yield uri.rstrip("#"), plain(REGISTRY.contents(uri))


def _refuse_retrieval(uri: str) -> Any:
    raise SchemaParseError(f"Invalid schema: unresolvable $ref '{uri}' (remote references are not fetched)")


class JsonParsedSchema:
    """A parsed JSON schema with its dependencies; compared and validated without the network."""

    schema_type = "JSON"

    def __init__(self, schema: Any, dependencies: Mapping[str, Any], draft: str) -> None:
        self.schema = schema
        self.dependencies = dict(dependencies)
        self.draft = draft
        self.resolver = Resolver(schema, self.dependencies, draft)

    def canonical(self) -> str:
        return self._canonical

    @cached_property
    def _canonical(self) -> str:
        return dumps(self.schema)

    def normalize(self) -> "JsonParsedSchema":
        return JsonParsedSchema(sort_keys(self.schema), self.dependencies, self.draft)

    def formatted(self, fmt: str) -> str | None:
        return None

    def equivalence_key(self) -> str:
        return self.canonical()

    def top_level_fields(self) -> frozenset[str]:
        props = self.schema.get("properties") if isinstance(self.schema, dict) else None
        return frozenset(props) if isinstance(props, dict) else frozenset()

    def __eq__(self, other: object) -> bool:
        return isinstance(other, JsonParsedSchema) and self.canonical() == other.canonical()

    def __hash__(self) -> int:
        return hash(self.canonical())

    def __repr__(self) -> str:
        return f"JsonParsedSchema({self.canonical()[:80]})"

    @cached_property
    def validator(self) -> Any:
        """A compiled validator for records; `jsonschema_rs` when available, else `jsonschema`."""
        resources = self._resources()
        try:
            import jsonschema_rs
        except ImportError:
            return self._python_validator(resources)
        if not hasattr(jsonschema_rs, "Registry"):  # releases before registries existed
            return self._python_validator(resources)
        referencing_error = getattr(jsonschema_rs, "ReferencingError", ValueError)
        try:
            registry = jsonschema_rs.Registry(resources, retriever=_refuse_retrieval)
            return jsonschema_rs.validator_for(
                self._with_base(), registry=registry, retriever=_refuse_retrieval
            )
        except (ValueError, referencing_error) as exc:
            raise SchemaParseError(f"Invalid JSON schema: cannot build a validator: {exc}") from None

    def _with_base(self) -> Any:
        """The schema as validators get it: a local base URI, and draft 7 for unknown dialects."""
        schema = plain(self.schema)
        if isinstance(schema, dict) and "$schema" in schema and _dialect_key(schema["$schema"]) not in _DRAFT_URLS:
            schema = {**schema, "$schema": "http://json-schema.org/draft-07/schema#"}
        if isinstance(schema, dict) and "$id" not in schema and "id" not in schema:
            key = "id" if self.draft == DRAFT4 else "$id"
            return {key: self.resolver.root_base, **schema}
        return schema

    def _resources(self) -> list[tuple[str, Any]]:
        out = list(_bundled_metaschemas()) if "json-schema.org/" in self.canonical() else []
        for name, doc in self.dependencies.items():
            uri = urldefrag(urljoin(self.resolver.root_base, name))[0]
            if isinstance(doc, dict) and "$schema" not in doc and isinstance(self.schema, dict) \
                    and "$schema" in self.schema:
                doc = {"$schema": self.schema["$schema"], **doc}
            out.append((uri, plain(doc)))
        return out

    def _python_validator(self, resources: list[tuple[str, Any]]) -> Any:
        """The pure-Python fallback: `jsonschema` with a registry that cannot retrieve."""
        import jsonschema
        from referencing import Registry, Resource
        from referencing import jsonschema as dialects

        default = {
            DRAFT4: dialects.DRAFT4, DRAFT6: dialects.DRAFT6, DRAFT7: dialects.DRAFT7,
            DRAFT2019: dialects.DRAFT201909, DRAFT2020: dialects.DRAFT202012,
        }[self.draft]

        def retrieve(uri: str) -> Resource:
            _refuse_retrieval(uri)
            raise AssertionError("unreachable")

        registry = Registry(retrieve=retrieve).with_resources(
            (uri, Resource.from_contents(doc, default_specification=default)) for uri, doc in resources
        )
        schema = self._with_base()
        cls = jsonschema.validators.validator_for(schema, default=jsonschema.Draft7Validator)
        return cls(schema, registry=registry)

    @cached_property
    def _may_recurse(self) -> bool:
        """Only through references can validation descend deeper than the schema itself."""
        text = self.canonical()
        return bool(self.dependencies) or any(k in text for k in ('"$ref"', '"$dynamicRef"', '"$recursiveRef"'))

    def validate(self, value: Any) -> None:
        """Raise RecordValidationError naming the JSON path of the first value that does not validate.

        Records nested absurdly deep are refused before a recursive schema walks
        them: the native validator recurses on the C stack.
        """
        validator = self.validator
        if self._may_recurse and _too_deep(value, MAX_RECORD_DEPTH):
            raise RecordValidationError(
                f"JSON record nests deeper than {MAX_RECORD_DEPTH} levels", path="#/"
            )
        errors = list(validator.iter_errors(value))
        if not errors:
            return
        best = min(errors, key=lambda e: len(_instance_path(e)))
        path = "#/" + "/".join(str(p) for p in _instance_path(best))
        raise RecordValidationError(f"JSON record does not match its schema: {best.message}", path=path)


def _too_deep(value: Any, limit: int) -> bool:
    stack = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, (dict, list, tuple)):
            if depth > limit:
                return True
            children = item.values() if isinstance(item, dict) else item
            stack.extend((child, depth + 1) for child in children if isinstance(child, (dict, list, tuple)))
    return False


def _instance_path(error: Any) -> list[Any]:
    path = getattr(error, "instance_path", None)
    if path is None:
        path = getattr(error, "absolute_path", ())
    return list(path)


class JsonSchemaType:
    """The JSON schema type plug-in."""

    name = "JSON"

    def parse(
        self, text: str, dependencies: Mapping[str, str], *, validate: bool = True
    ) -> JsonParsedSchema:
        try:
            return self._parse(text, dependencies, validate)
        except ValueError as exc:  # urllib's URL errors from $schema/$id/$ref handling
            if isinstance(exc, SchemaParseError):
                raise
            raise SchemaParseError(f"Invalid JSON schema: {exc}") from None

    def _parse(self, text: str, dependencies: Mapping[str, str], validate: bool) -> JsonParsedSchema:
        schema = loads(text)
        if not isinstance(schema, (dict, bool)):
            raise SchemaParseError(
                f"Invalid JSON schema: expected an object or boolean at the root, found {type(schema).__name__}"
            )
        deps: dict[str, Any] = {}
        for name, dep_text in dependencies.items():
            dep = loads(dep_text) if isinstance(dep_text, str) else dep_text
            if not isinstance(dep, (dict, bool)):
                raise SchemaParseError(f"Invalid JSON schema reference '{name}': not a schema")
            deps[name] = dep
        if isinstance(schema, dict) and not isinstance(schema.get("$schema", ""), str):
            raise SchemaParseError("Invalid JSON schema at '#/$schema': must be a URI string")
        draft = draft_of(schema)
        if validate:
            _check_metaschema(schema)
            _check_reserved_names(schema)
        parsed = JsonParsedSchema(schema, deps, draft)
        parsed.resolver.check_all(schema, parsed.resolver.root_base)
        return parsed


def _check_reserved_names(schema: Any) -> None:
    """Confluent refuses new schemas whose top-level properties start with `$$`."""
    props = schema.get("properties") if isinstance(schema, dict) else None
    if isinstance(props, dict):
        for name in props:
            if name.startswith("$$"):
                raise SchemaParseError(
                    f"Invalid JSON schema at '#/properties/{name}': Field names cannot start with $$ prefix"
                )


# The metaschema URI jsonschema_rs has built in for each draft: it is only ever given these,
# since for any other `$schema` it would try to download the metaschema.
_BUILT_IN_METASCHEMAS = {
    DRAFT4: "http://json-schema.org/draft-04/schema#",
    DRAFT6: "http://json-schema.org/draft-06/schema#",
    DRAFT7: "http://json-schema.org/draft-07/schema#",
    DRAFT2019: "https://json-schema.org/draft/2019-09/schema",
    DRAFT2020: "https://json-schema.org/draft/2020-12/schema",
}


def _surely_valid(schema: Any) -> bool:
    """A compiled metaschema check (milliseconds where `jsonschema` takes seconds for a schema
    with thousands of properties). Only its "valid" is trusted; errors are worded by `jsonschema`."""
    if not isinstance(schema, dict):
        return False
    uri = schema.get("$schema")
    if uri is not None and _dialect_key(uri) not in _DRAFT_URLS:
        return False  # an unknown dialect: the slow path decides, as before
    try:
        import jsonschema_rs

        return bool(jsonschema_rs.meta.is_valid({**schema, "$schema": _BUILT_IN_METASCHEMAS[draft_of(schema)]}))
    except Exception:  # noqa: BLE001 - any trouble in the fast path: the slow path decides
        return False


def _check_metaschema(schema: Any) -> None:
    """Reject what is not a schema of its draft, using `jsonschema`'s bundled metaschemas."""
    if _surely_valid(schema):
        return
    import jsonschema

    cls = jsonschema.validators.validator_for(schema, default=jsonschema.Draft7Validator)
    try:
        error = jsonschema.exceptions.best_match(cls(cls.META_SCHEMA).iter_errors(schema))
    except RecursionError:
        raise SchemaParseError(f"Invalid schema: nesting deeper than {MAX_DEPTH} levels") from None
    if error is not None:
        where = "/".join(str(p) for p in error.absolute_path)
        raise SchemaParseError(f"Invalid JSON schema at '#/{where}': {error.message}")


JSON_SCHEMA = JsonSchemaType()

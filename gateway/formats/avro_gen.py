"""Compiles an Avro schema into Python source that encodes Avro JSON straight to Avro binary.

One generated function per record, enum, fixed, array, map and union; primitive fields are
inlined into their record's function, so a flat record costs one call. Generated once per
schema id (see AvroCodec); a failure raises FormatError with the field path, outermost first.
"""

from __future__ import annotations

import struct
from typing import Any

from gateway.formats import FormatError
from gateway.http import type_name

MISSING = object()
INT = (-(1 << 31), (1 << 31) - 1)
LONG = (-(1 << 63), (1 << 63) - 1)
PRIMITIVES = ("null", "boolean", "int", "long", "float", "double", "bytes", "string")


def zz(n: int, out: bytearray) -> None:
    """Avro's zigzag varint for an int or long already checked to be in range."""
    n = (n << 1) ^ (n >> 63)
    while n > 0x7F:
        out.append((n & 0x7F) | 0x80)
        n >>= 7
    out.append(n)


def zz_bytes(n: int) -> bytes:
    out = bytearray()
    zz(n, out)
    return bytes(out)


def _raise(what: str, v: Any) -> None:
    raise FormatError(f"Expected {what}. Got {type_name(v)}")


def _latin1(v: Any, what: str) -> bytes:
    if type(v) is not str:
        _raise(what, v)
    try:
        return v.encode("latin-1")
    except UnicodeEncodeError:
        raise FormatError(f"Expected {what}: characters above \\u00ff cannot be bytes") from None


def _inline(kind: str, x: str, ind: str) -> list[str]:
    """Source lines encoding primitive `kind` held in variable `x` into `out`."""
    if kind == "null":
        return [f"{ind}if {x} is not None: _raise('null', {x})"]
    if kind == "boolean":
        return [f"{ind}if {x} is True: out.append(1)", f"{ind}elif {x} is False: out.append(0)",
                f"{ind}else: _raise('boolean', {x})"]
    if kind in ("int", "long"):
        lo, hi = INT if kind == "int" else LONG
        return [f"{ind}if type({x}) is not int: _raise('{kind}', {x})",
                f"{ind}if 0 <= {x} < 64: out.append({x} << 1)",
                f"{ind}elif {lo} <= {x} <= {hi}: zz({x}, out)",
                f"{ind}else: raise FormatError(f'Numeric value ({{{x}}}) out of range of {kind}')"]
    if kind in ("float", "double"):
        pack = "pack_f" if kind == "float" else "pack_d"
        return [f"{ind}if type({x}) is not float and type({x}) is not int: _raise('{kind}', {x})",
                f"{ind}try: out += {pack}({x})",
                f"{ind}except OverflowError: raise FormatError(f'Numeric value ({{{x}}}) out of range of {kind}')"]
    if kind == "string":
        return [f"{ind}if type({x}) is not str: _raise('string', {x})",
                f"{ind}b = {x}.encode('utf-8', 'surrogatepass')",
                f"{ind}n = len(b)",
                f"{ind}if n < 64: out.append(n << 1)",
                f"{ind}else: zz(n, out)",
                f"{ind}out += b"]
    if kind == "bytes":
        return [f"{ind}b = _latin1({x}, 'bytes')", f"{ind}n = len(b)",
                f"{ind}if n < 64: out.append(n << 1)", f"{ind}else: zz(n, out)", f"{ind}out += b"]
    raise AssertionError(kind)


class Generator:
    """Schema JSON (references inlined, as serde's `resolved_json`) -> a module of encoder functions."""

    def __init__(self) -> None:
        self.src: list[str] = []
        self.env: dict[str, Any] = {
            "FormatError": FormatError, "MISSING": MISSING, "zz": zz, "_raise": _raise, "_latin1": _latin1,
            "pack_f": struct.Struct("<f").pack, "pack_d": struct.Struct("<d").pack,
        }
        self.named: dict[str, str] = {}  # full name -> function name
        self.first: dict[str, str] = {}  # union function -> its first branch's function
        self.defaults: list[tuple[str, str, Any]] = []  # (global name, encoder function, default value)
        self.count = 0

    def fresh(self, prefix: str) -> str:
        self.count += 1
        return f"{prefix}_{self.count}"

    # -- names -----------------------------------------------------------------------
    @staticmethod
    def fullname(node: dict, space: str | None) -> tuple[str, str | None]:
        name = node["name"]
        if "." in name:
            return name, name.rsplit(".", 1)[0]
        ns = node.get("namespace", space) or None
        return (f"{ns}.{name}" if ns else name), ns

    def lookup(self, name: str, space: str | None) -> str:
        if "." not in name and space and f"{space}.{name}" in self.named:
            return self.named[f"{space}.{name}"]
        if name in self.named:
            return self.named[name]
        raise ValueError(f"unknown type {name}")

    def kind_of(self, node: Any) -> Any:
        """Unwrap `{"type": <primitive>}` (with logical types) and `{"type": [..]}`."""
        while isinstance(node, dict) and not isinstance(node.get("type"), str):
            node = node.get("type")
        if isinstance(node, dict) and node["type"] in PRIMITIVES:
            return node["type"]
        return node

    # -- functions -------------------------------------------------------------------
    def function(self, node: Any, space: str | None) -> str:
        """The name of a generated function `f(v, out)` for `node`."""
        node = self.kind_of(node)
        if isinstance(node, str):
            if node in PRIMITIVES:
                return self.primitive(node)
            return self.lookup(node, space)
        if isinstance(node, list):
            return self.union(node, space)
        kind = node["type"]
        if kind in ("record", "error"):
            return self.record(node, space)
        if kind == "enum":
            return self.enum(node, space)
        if kind == "fixed":
            return self.fixed(node, space)
        if kind == "array":
            return self.container(node["items"], space, "array")
        if kind == "map":
            return self.container(node["values"], space, "map")
        return self.lookup(kind, space)

    def primitive(self, kind: str) -> str:
        name = f"p_{kind}"
        if name not in self.env and not any(line.startswith(f"def {name}(") for line in self.src):
            self.src += [f"def {name}(v, out):", *_inline(kind, "v", "    "), ""]
        return name

    def value_code(self, node: Any, space: str | None, x: str, ind: str) -> list[str]:
        """Source encoding `node`'s value held in `x`: inline for primitives, enums, arrays, maps
        and unions (the per-record path then makes one call per record); records are calls."""
        kind = self.kind_of(node)
        if isinstance(kind, str) and kind in PRIMITIVES:
            return _inline(kind, x, ind)
        if isinstance(kind, list):
            return self.union_code(kind, space, x, ind)
        if isinstance(kind, dict) and kind["type"] in ("array", "map"):
            return self.container_code(kind, space, x, ind)
        fn = self.function(node, space)
        if fn.startswith("enum_"):
            return [f"{ind}b = S_{fn}.get({x}) if type({x}) is str else None",
                    f"{ind}if b is None: {fn}({x}, out)", f"{ind}else: out += b"]
        return [f"{ind}{fn}({x}, out)"]

    def container_code(self, node: dict, space: str | None, x: str, ind: str) -> list[str]:
        kind = node["type"]
        n = self.fresh("c")
        i, y = f"i{n}", f"y{n}"
        loop = f"for {i}, {y} in enumerate({x}):" if kind == "array" else f"for {i}, {y} in {x}.items():"
        inner = ind + "        "
        key = _inline("string", i, inner) if kind == "map" else []
        item = self.value_code(node["items" if kind == "array" else "values"], space, y, inner)
        return [f"{ind}if type({x}) is not {'list' if kind == 'array' else 'dict'}: _raise('{kind}-start', {x})",
                f"{ind}if {x}:", f"{ind}    n = len({x})", f"{ind}    if n < 64: out.append(n << 1)",
                f"{ind}    else: zz(n, out)", f"{ind}    {i} = None", f"{ind}    try:", f"{ind}      {loop}",
                *[line.replace(inner, ind + "        ", 1) for line in key + item],
                f"{ind}    except FormatError as e:", f"{ind}        e.path.insert(0, {i})", f"{ind}        raise",
                f"{ind}out.append(0)"]

    def union_code(self, branches: list, space: str | None, x: str, ind: str) -> list[str]:
        n = self.fresh("u")
        k, y = f"k{n}", f"y{n}"
        names = [self.branch_name(b, space) for b in branches]
        lines = [f"{ind}if {x} is None:"]
        if "null" in names:
            lines.append(f"{ind}    out += {zz_bytes(names.index('null'))!r}")
        else:
            lines.append(f"{ind}    raise FormatError('Expected start-union. Got VALUE_NULL')")
        lines += [f"{ind}elif type({x}) is dict and len({x}) == 1:", f"{ind}    ({k}, {y}), = {x}.items()"]
        first = True
        for idx, (name, b) in enumerate(zip(names, branches)):
            if name == "null":
                continue
            lines.append(f"{ind}    {'if' if first else 'elif'} {k} == {name!r}:")
            lines.append(f"{ind}        out += {zz_bytes(idx)!r}")
            lines += self.value_code(b, space, y, ind + "        ")
            first = False
        lines.append(f"{ind}    {'if True' if first else 'else'}: raise FormatError(f'Unknown union branch {{{k}}}')")
        lines.append(f"{ind}else: _raise('start-union', {x})")
        return lines

    def record(self, node: dict, space: str | None) -> str:
        full, ns = self.fullname(node, space)
        fn = self.fresh("rec")
        self.named[full] = fn
        body = [f"def {fn}(v, out):", "    if type(v) is not dict: _raise('record-start', v)", "    get = v.get"]
        for i, f in enumerate(node.get("fields", [])):
            fname = f["name"]
            x = f"x{i}"
            body.append(f"    {x} = get({fname!r}, MISSING)")
            body.append(f"    if {x} is MISSING:")
            if "default" in f:
                gname = f"D_{fn}_{i}"
                self.defaults.append((gname, self.function(f["type"], ns), f["default"]))
                body.append(f"        if {gname} is None: raise FormatError("
                            f"'Expected field name not found: {fname}', [{fname!r}])")
                body.append(f"        out += {gname}")
            else:
                body.append(f"        raise FormatError('Expected field name not found: {fname}', [{fname!r}])")
            body.append("    else:")
            body.append("        try:")
            body += self.value_code(f["type"], ns, x, "            ")
            body.append("        except FormatError as e:")
            body.append(f"            e.path.insert(0, {fname!r})")
            body.append("            raise")
        self.src += [*body, ""]
        return fn

    def enum(self, node: dict, space: str | None) -> str:
        full, _ = self.fullname(node, space)
        fn = self.fresh("enum")
        self.named[full] = fn
        self.env[f"S_{fn}"] = {s: zz_bytes(i) for i, s in enumerate(node.get("symbols", []))}
        self.src += [f"def {fn}(v, out):",
                     f"    b = S_{fn}.get(v) if type(v) is str else None",
                     "    if b is None:",
                     "        if type(v) is not str: _raise('enum', v)",
                     f"        raise FormatError('Unknown symbol in enum {full}: ' + v)",
                     "    out += b", ""]
        return fn

    def fixed(self, node: dict, space: str | None) -> str:
        full, _ = self.fullname(node, space)
        fn = self.fresh("fixed")
        self.named[full] = fn
        size = int(node["size"])
        self.src += [f"def {fn}(v, out):", "    b = _latin1(v, 'fixed')",
                     f"    if len(b) != {size}: raise FormatError(f'Expected fixed length {size}, but got {{len(b)}}')",
                     "    out += b", ""]
        return fn

    def container(self, inner: Any, space: str | None, kind: str) -> str:
        fn = self.fresh(kind)
        head = "list" if kind == "array" else "dict"
        loop = "for i, x in enumerate(v):" if kind == "array" else "for i, x in v.items():"
        item = self.value_code(inner, space, "x", "                ")
        key = _inline("string", "i", "                ") if kind == "map" else []
        self.src += [f"def {fn}(v, out):", f"    if type(v) is not {head}: _raise('{kind}-start', v)",
                     "    n = len(v)", "    if n:", "        if n < 64: out.append(n << 1)",
                     "        else: zz(n, out)", "        i = None", "        try:", f"            {loop}",
                     *key, *item, "        except FormatError as e:", "            e.path.insert(0, i)",
                     "            raise", "    out.append(0)", ""]
        return fn

    def union(self, branches: list, space: str | None) -> str:
        fn = self.fresh("union")
        table: dict[str, tuple[bytes, str]] = {}
        null = None
        for i, b in enumerate(branches):
            name = self.branch_name(b, space)
            if name == "null":
                null = zz_bytes(i)
            table[name] = (zz_bytes(i), self.function(b, space))
        if branches:
            self.first[fn] = self.function(branches[0], space)
        self.env[f"B_{fn}"] = table  # names resolved to functions in finish()
        self.env[f"N_{fn}"] = null
        self.src += [f"def {fn}(v, out):", "    if v is None:",
                     f"        if N_{fn} is None: raise FormatError('Expected start-union. Got VALUE_NULL')",
                     f"        out += N_{fn}", "        return",
                     "    if type(v) is not dict or len(v) != 1: _raise('start-union', v)",
                     "    for k, x in v.items():",
                     f"        b = B_{fn}.get(k)",
                     "        if b is None: raise FormatError(f'Unknown union branch {k}')",
                     "        out += b[0]", "        b[1](x, out)", ""]
        return fn

    def branch_name(self, b: Any, space: str | None) -> str:
        b = self.kind_of(b)
        if isinstance(b, dict):
            kind = b["type"]
            if kind in ("record", "error", "enum", "fixed"):
                return self.fullname(b, space)[0]
            if kind in ("array", "map"):
                return kind
            return self.branch_name(kind, space)
        if isinstance(b, str) and b not in PRIMITIVES:
            if "." in b:
                return b
            full = f"{space}.{b}" if space else b
            return full if full in self.named else b
        return b if isinstance(b, str) else "union"

    # -- assembly --------------------------------------------------------------------
    def build(self, schema: Any) -> Any:
        """Compile `schema`; returns the root encoder function."""
        root = self.function(schema, None)
        exec(compile("\n".join(self.src), "<avro-encoder>", "exec"), self.env)  # noqa: S102 - our own source
        for key, value in list(self.env.items()):
            if key.startswith("B_"):
                self.env[key] = {n: (idx, self.env[f]) for n, (idx, f) in value.items()}
        for gname, fname, default in self.defaults:
            self.env[gname] = self._default(fname, default)
        return self.env[root]

    def _default(self, fname: str, default: Any) -> bytes | None:
        """A field default as bytes; a union's default is in its first branch (no {"type": v} wrapper)."""
        out = bytearray()
        try:
            if fname in self.first:
                out.append(0)
                self.env[self.first[fname]](default, out)
            else:
                self.env[fname](default, out)
        except Exception:  # noqa: BLE001 - a default that does not encode is as if absent
            return None
        return bytes(out)

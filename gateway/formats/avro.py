"""Avro data in Avro's JSON encoding (unions as {"type": value}), validated and encoded in one pass.

The schema is compiled once per schema id into a tree of small encoder
functions that write Avro binary straight from the parsed JSON: no
intermediate Python objects, and a failure knows its field path. Type errors
are worded like Avro's JsonDecoder (`Expected string. Got VALUE_NUMBER_INT`),
which is what Confluent's REST Proxy reports.
"""

from __future__ import annotations

import struct
from collections.abc import Callable
from typing import Any

from gateway.formats import FormatError
from gateway.http import type_name
from serde.wire import id_prefix

Enc = Callable[[Any, bytearray], None]
_MISSING = object()
_pack_f = struct.Struct("<f").pack
_pack_d = struct.Struct("<d").pack
INT_MIN, INT_MAX = -(1 << 31), (1 << 31) - 1
LONG_MIN, LONG_MAX = -(1 << 63), (1 << 63) - 1


def _zz(n: int, out: bytearray) -> None:
    """Avro's zigzag varint for an int or long already checked to be in range."""
    n = (n << 1) ^ (n >> 63)
    while n > 0x7F:
        out.append((n & 0x7F) | 0x80)
        n >>= 7
    out.append(n)


def _zz_bytes(n: int) -> bytes:
    out = bytearray()
    _zz(n, out)
    return bytes(out)


def _null(v: Any, out: bytearray) -> None:
    if v is not None:
        raise FormatError(f"Expected null. Got {type_name(v)}")


def _boolean(v: Any, out: bytearray) -> None:
    if v is True:
        out.append(1)
    elif v is False:
        out.append(0)
    else:
        raise FormatError(f"Expected boolean. Got {type_name(v)}")


def _int(v: Any, out: bytearray) -> None:
    if type(v) is not int:
        raise FormatError(f"Expected int. Got {type_name(v)}")
    if v < INT_MIN or v > INT_MAX:
        raise FormatError(f"Numeric value ({v}) out of range of int")
    _zz(v, out)


def _long(v: Any, out: bytearray) -> None:
    if type(v) is not int:
        raise FormatError(f"Expected long. Got {type_name(v)}")
    if v < LONG_MIN or v > LONG_MAX:
        raise FormatError(f"Numeric value ({v}) out of range of long")
    _zz(v, out)


def _float(v: Any, out: bytearray) -> None:
    t = type(v)
    if t is not float and t is not int:
        raise FormatError(f"Expected float. Got {type_name(v)}")
    try:
        out += _pack_f(v)
    except OverflowError:
        raise FormatError(f"Numeric value ({v}) out of range of float") from None


def _double(v: Any, out: bytearray) -> None:
    t = type(v)
    if t is not float and t is not int:
        raise FormatError(f"Expected double. Got {type_name(v)}")
    try:
        out += _pack_d(v)
    except OverflowError:
        raise FormatError(f"Numeric value ({v}) out of range of double") from None


def _string(v: Any, out: bytearray) -> None:
    if type(v) is not str:
        raise FormatError(f"Expected string. Got {type_name(v)}")
    b = v.encode("utf-8", "surrogatepass")
    _zz(len(b), out)
    out += b


def _latin1(v: Any, what: str) -> bytes:
    if type(v) is not str:
        raise FormatError(f"Expected {what}. Got {type_name(v)}")
    try:
        return v.encode("latin-1")
    except UnicodeEncodeError:
        raise FormatError(f"Expected {what}: characters above \\u00ff cannot be bytes") from None


def _bytes(v: Any, out: bytearray) -> None:
    b = _latin1(v, "bytes")
    _zz(len(b), out)
    out += b


_PRIMITIVES: dict[str, Enc] = {
    "null": _null, "boolean": _boolean, "int": _int, "long": _long,
    "float": _float, "double": _double, "bytes": _bytes, "string": _string,
}


class _Compiler:
    """Schema JSON -> encoder functions; named types resolve like Avro's parser (namespaces, recursion)."""

    def __init__(self) -> None:
        self.named: dict[str, list[Enc | None]] = {}
        self.defaults: list[tuple[list, int, Enc, Any]] = []

    def compile(self, node: Any, space: str | None) -> Enc:
        if isinstance(node, str):
            if node in _PRIMITIVES:
                return _PRIMITIVES[node]
            return self.reference(node, space)
        if isinstance(node, list):
            return self.union(node, space)
        if not isinstance(node, dict):
            raise ValueError(f"not a schema: {node!r}")
        kind = node.get("type")
        if isinstance(kind, (dict, list)):
            return self.compile(kind, space)
        if kind in _PRIMITIVES:
            return _PRIMITIVES[kind]
        if kind in ("record", "error"):
            return self.record(node, space)
        if kind == "enum":
            return self.enum(node, space)
        if kind == "fixed":
            return self.fixed(node, space)
        if kind == "array":
            return self.array(self.compile(node["items"], space))
        if kind == "map":
            return self.map(self.compile(node["values"], space))
        return self.reference(kind, space)

    def fullname(self, node: dict, space: str | None) -> tuple[str, str | None]:
        name = node["name"]
        if "." in name:
            return name, name.rsplit(".", 1)[0]
        ns = node.get("namespace", space) or None
        return (f"{ns}.{name}" if ns else name), ns

    def reference(self, name: str, space: str | None) -> Enc:
        cell = self.named.get(name) if "." in name else (
            self.named.get(f"{space}.{name}") if space else None) or self.named.get(name)
        if cell is None:
            raise ValueError(f"unknown type {name}")
        if cell[0] is not None:
            return cell[0]

        def forward(v: Any, out: bytearray) -> None:  # a recursive reference, bound once compiled
            cell[0](v, out)  # type: ignore[misc]

        return forward

    def record(self, node: dict, space: str | None) -> Enc:
        full, ns = self.fullname(node, space)
        cell: list[Enc | None] = [None]
        self.named[full] = cell
        fields: list[tuple[str, Enc, bytes | None]] = []
        for f in node.get("fields", []):
            enc = self.compile(f["type"], ns)
            fields.append((f["name"], enc, None))
            if "default" in f:
                self.defaults.append((fields, len(fields) - 1, enc, f["default"]))

        def record(v: Any, out: bytearray) -> None:
            if type(v) is not dict:
                raise FormatError(f"Expected record-start. Got {type_name(v)}")
            name = ""
            try:
                for name, enc, default in fields:
                    x = v.get(name, _MISSING)
                    if x is _MISSING:
                        if default is None:
                            raise FormatError(f"Expected field name not found: {name}")
                        out += default
                    else:
                        enc(x, out)
            except FormatError as exc:
                exc.path.insert(0, name)
                raise

        cell[0] = record
        return record

    def enum(self, node: dict, space: str | None) -> Enc:
        full, _ = self.fullname(node, space)
        index = {s: _zz_bytes(i) for i, s in enumerate(node.get("symbols", []))}

        def enum(v: Any, out: bytearray) -> None:
            b = index.get(v) if type(v) is str else None
            if b is None:
                if type(v) is not str:
                    raise FormatError(f"Expected enum. Got {type_name(v)}")
                raise FormatError(f"Unknown symbol in enum {full}: {v}")
            out += b

        self.named[full] = [enum]
        return enum

    def fixed(self, node: dict, space: str | None) -> Enc:
        full, _ = self.fullname(node, space)
        size = int(node["size"])

        def fixed(v: Any, out: bytearray) -> None:
            b = _latin1(v, "fixed")
            if len(b) != size:
                raise FormatError(f"Expected fixed length {size}, but got {len(b)}")
            out += b

        self.named[full] = [fixed]
        return fixed

    @staticmethod
    def array(item: Enc) -> Enc:
        def array(v: Any, out: bytearray) -> None:
            if type(v) is not list:
                raise FormatError(f"Expected array-start. Got {type_name(v)}")
            if v:
                _zz(len(v), out)
                i = 0
                try:
                    for i, x in enumerate(v):
                        item(x, out)
                except FormatError as exc:
                    exc.path.insert(0, i)
                    raise
            out.append(0)

        return array

    @staticmethod
    def map(value: Enc) -> Enc:
        def map_(v: Any, out: bytearray) -> None:
            if type(v) is not dict:
                raise FormatError(f"Expected map-start. Got {type_name(v)}")
            if v:
                _zz(len(v), out)
                k = ""
                try:
                    for k, x in v.items():
                        _string(k, out)
                        value(x, out)
                except FormatError as exc:
                    exc.path.insert(0, k)
                    raise
            out.append(0)

        return map_

    def union(self, branches: list, space: str | None) -> Enc:
        by_name: dict[str, tuple[bytes, Enc]] = {}
        null_index: bytes | None = None
        encoders = []
        for i, b in enumerate(branches):
            enc = self.compile(b, space)
            encoders.append(enc)
            name = self.branch_name(b, space)
            if name == "null":
                null_index = _zz_bytes(i)
            by_name[name] = (_zz_bytes(i), enc)

        def union(v: Any, out: bytearray) -> None:
            if v is None:
                if null_index is None:
                    raise FormatError("Expected start-union. Got VALUE_NULL")
                out += null_index
                return
            if type(v) is not dict or len(v) != 1:
                raise FormatError(f"Expected start-union. Got {type_name(v)}")
            for k, x in v.items():
                b = by_name.get(k)
                if b is None:
                    raise FormatError(f"Unknown union branch {k}")
                out += b[0]
                b[1](x, out)

        union.first = encoders[0] if encoders else None  # type: ignore[attr-defined]
        return union

    def branch_name(self, b: Any, space: str | None) -> str:
        if isinstance(b, dict):
            kind = b.get("type")
            if kind in ("record", "error", "enum", "fixed"):
                return self.fullname(b, space)[0]
            if isinstance(kind, str) and kind not in _PRIMITIVES and kind not in ("array", "map"):
                return self.branch_name(kind, space)
            return kind if isinstance(kind, str) else "union"
        if isinstance(b, str) and b not in _PRIMITIVES:
            if "." in b:
                return b
            full = f"{space}.{b}" if space else b
            return full if full in self.named else b
        return b

    def finish(self) -> None:
        """Encode field defaults once every named type is known (a union default is its first branch)."""
        for fields, i, enc, default in self.defaults:
            out = bytearray()
            first = getattr(enc, "first", None)  # a union: its first branch, without the {"type": v} wrapper
            try:
                if first is not None:
                    out.append(0)
                    first(default, out)
                else:
                    enc(default, out)
            except Exception:  # a default that does not encode is as if absent
                continue
            name, e, _ = fields[i]
            fields[i] = (name, e, bytes(out))


class AvroCodec:
    """Encodes Avro JSON for one registered schema id, framed as 0x00 + id + Avro binary."""

    schema_type = "AVRO"

    def __init__(self, schema_id: int, parsed: Any) -> None:
        self.schema_id = schema_id
        self.prefix = id_prefix(schema_id)
        compiler = _Compiler()
        self.enc = compiler.compile(parsed.resolved_json, None)
        compiler.finish()

    def encode(self, data: Any) -> bytes:
        out = bytearray(self.prefix)
        try:
            self.enc(data, out)
        except FormatError:
            raise
        except RecursionError:
            raise FormatError("Record nests too deeply") from None
        except (ValueError, TypeError, OverflowError, UnicodeError) as exc:
            raise FormatError(str(exc)) from None
        return bytes(out)

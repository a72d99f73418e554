"""Avro binary -> Avro's JSON encoding, by readers compiled once per writer schema.

Why not fastavro + a conversion pass: fastavro's schemaless_reader costs ~40 us for a small record
(per-call schema handling), and its output still needs unions rewrapped as {"type": value}, bytes
as ISO-8859-1 strings and logical types unwrapped. These closures read the binary straight into
the JSON form REST Proxy answers, several times faster; the consume path is bound by them.
Each reader is `read(buf, pos) -> (value, pos)`.
"""

from __future__ import annotations

import struct
from collections.abc import Callable
from typing import Any

Read = Callable[[bytes, int], tuple[Any, int]]

_D = struct.Struct("<d").unpack_from
_F = struct.Struct("<f").unpack_from
_PRIMS = ("null", "boolean", "int", "long", "float", "double", "bytes", "string")


def read_long(b: bytes, i: int) -> tuple[int, int]:
    x = b[i]
    i += 1
    if x < 0x80:
        return (x >> 1) ^ -(x & 1), i
    return _long_rest(b, i, x)


def _long_rest(b: bytes, i: int, x: int) -> tuple[int, int]:
    """The rest of a varint whose first byte `x` (>= 0x80) was read already."""
    n, shift = x & 0x7F, 7
    while True:
        x = b[i]
        i += 1
        n |= (x & 0x7F) << shift
        if x < 0x80:
            return (n >> 1) ^ -(n & 1), i
        shift += 7


def _varint(var: str) -> list[str]:
    return ["    x = b[i]; i += 1",
            f"    if x < 128: {var} = (x >> 1) ^ -(x & 1)",
            f"    else: {var}, i = _slow(b, i, x)"]


def _null(b: bytes, i: int) -> tuple[None, int]:
    return None, i


def _boolean(b: bytes, i: int) -> tuple[bool, int]:
    return b[i] != 0, i + 1


def _float(b: bytes, i: int) -> tuple[float, int]:
    return _F(b, i)[0], i + 4


def _double(b: bytes, i: int) -> tuple[float, int]:
    return _D(b, i)[0], i + 8


def _string(b: bytes, i: int) -> tuple[str, int]:
    n, i = read_long(b, i)
    end = i + n
    if n < 0 or end > len(b):
        raise ValueError("string length out of range")
    return b[i:end].decode("utf-8"), end


def _bytes(b: bytes, i: int) -> tuple[str, int]:
    n, i = read_long(b, i)
    end = i + n
    if n < 0 or end > len(b):
        raise ValueError("bytes length out of range")
    return b[i:end].decode("latin-1"), end


_PRIM_READERS: dict[str, Read] = {"null": _null, "boolean": _boolean, "int": read_long, "long": read_long,
                                  "float": _float, "double": _double, "string": _string, "bytes": _bytes}


def _blocks(item: Read, as_map: bool) -> Read:
    def read(b: bytes, i: int) -> tuple[Any, int]:
        out: Any = {} if as_map else []
        while True:
            count, i = read_long(b, i)
            if count == 0:
                return out, i
            if count < 0:
                count = -count
                _, i = read_long(b, i)  # block size in bytes
            for _ in range(count):
                if as_map:
                    k, i = _string(b, i)
                    out[k], i = item(b, i)
                else:
                    v, i = item(b, i)
                    out.append(v)
    return read


class Compiler:
    """One per schema: named types are compiled once and may refer to themselves (recursion)."""

    def __init__(self) -> None:
        self.named: dict[str, Read] = {}

    def compile(self, schema: Any, space: str | None = None) -> Read:
        if isinstance(schema, str):
            if schema in _PRIM_READERS:
                return _PRIM_READERS[schema]
            full = schema if "." in schema or not space else f"{space}.{schema}"
            key = full if full in self.named else schema
            return lambda b, i, k=key: self.named[k](b, i)
        if isinstance(schema, list):
            return self._union(schema, space)
        t = schema.get("type")
        if t in ("record", "error"):
            return self._record(schema, space)
        if t == "enum":
            full = self._full(schema, space)
            symbols = list(schema["symbols"])

            def enum(b: bytes, i: int) -> tuple[str, int]:
                n, i = read_long(b, i)
                return symbols[n], i
            self.named[full] = enum
            return enum
        if t == "fixed":
            size = int(schema["size"])

            def fixed(b: bytes, i: int) -> tuple[str, int]:
                return b[i:i + size].decode("latin-1"), i + size
            self.named[self._full(schema, space)] = fixed
            return fixed
        if t == "array":
            return _blocks(self.compile(schema["items"], space), False)
        if t == "map":
            return _blocks(self.compile(schema["values"], space), True)
        return self.compile(t, space)

    @staticmethod
    def _full(schema: dict[str, Any], space: str | None) -> str:
        name, ns = schema["name"], schema.get("namespace", space)
        return name if "." in name or not ns else f"{ns}.{name}"

    def _record(self, schema: dict[str, Any], space: str | None) -> Read:
        """A record reader generated as Python source: primitive fields inlined, the rest called."""
        full = self._full(schema, space)
        inner = full.rsplit(".", 1)[0] if "." in full else None
        env: dict[str, Any] = {"_slow": _long_rest, "_D": _D, "_F": _F, "_named": self.named}
        self.named[full] = lambda b, i, k=full: self.named[k](b, i)  # a field may refer to this record
        lines = ["def record(b, i):"]
        names = []
        for k, f in enumerate(schema.get("fields", [])):
            var = f"f{k}"
            names.append((f["name"], var))
            lines += self._inline(f["type"], var, k, inner, env)
        body = ", ".join(f"{n!r}: {v}" for n, v in names)
        lines.append(f"    return {{{body}}}, i")
        exec(compile("\n".join(lines), f"<avro reader {full}>", "exec"), env)  # noqa: S102 - our own source
        self.named[full] = env["record"]
        return env["record"]

    def _inline(self, t: Any, var: str, k: int, space: str | None, env: dict[str, Any]) -> list[str]:
        if isinstance(t, dict) and t.get("type") in _PRIMS and len(t) <= 2:
            t = t["type"]
        if t in ("int", "long"):
            return _varint(var)
        if t in ("string", "bytes"):
            codec = "utf-8" if t == "string" else "latin-1"
            return _varint("n") + ["    if n < 0: raise ValueError('negative length')",
                                   f"    {var} = b[i:i + n].decode({codec!r}); i += n"]
        if t == "double":
            return [f"    {var} = _D(b, i)[0]; i += 8"]
        if t == "float":
            return [f"    {var} = _F(b, i)[0]; i += 4"]
        if t == "boolean":
            return [f"    {var} = b[i] != 0; i += 1"]
        if t == "null":
            return [f"    {var} = None"]
        if isinstance(t, dict) and t.get("type") == "enum":
            env[f"S{k}"] = tuple(t["symbols"])
            self.compile(t, space)
            return _varint("n") + [f"    {var} = S{k}[n]"]
        if isinstance(t, dict) and t.get("type") == "array" and t.get("items") in ("string", "int", "long"):
            return self._inline_array(t["items"], var)
        env[f"R{k}"] = self.compile(t, space)
        return [f"    {var}, i = R{k}(b, i)"]

    @staticmethod
    def _inline_array(item: str, var: str) -> list[str]:
        """An array of strings or longs read in a loop in the record's own code."""
        if item == "string":
            read = [*("    " + x for x in _varint("n")), "        if n < 0: raise ValueError('negative length')",
                    f"        {var}.append(b[i:i + n].decode('utf-8')); i += n"]
        else:
            read = [*("    " + x for x in _varint("v")), f"        {var}.append(v)"]
        return [f"    {var} = []", "    while True:", *("    " + x for x in _varint("c")),
                "        if c == 0: break",
                "        if c < 0:", "            c = -c", *("        " + x for x in _varint("_")),
                "        for _k in range(c):", *("    " + x for x in read)]

    def _branch_name(self, s: Any, space: str | None) -> str:
        if isinstance(s, str):
            return s if s in _PRIMS or "." in s or not space else f"{space}.{s}"
        t = s.get("type")
        if t in ("record", "error", "enum", "fixed"):
            return self._full(s, space)
        if t in ("array", "map"):
            return t
        return self._branch_name(t, space)

    def _union(self, branches: list[Any], space: str | None) -> Read:
        readers = [(self._branch_name(s, space), self.compile(s, space)) for s in branches]

        def union(b: bytes, i: int) -> tuple[Any, int]:
            n, i = read_long(b, i)
            name, rd = readers[n]
            if name == "null":
                return None, i
            v, i = rd(b, i)
            return {name: v}, i
        return union


def _strip_logical(node: Any) -> Any:
    if isinstance(node, dict):
        return {k: _strip_logical(v) for k, v in node.items() if k != "logicalType"}
    if isinstance(node, list):
        return [_strip_logical(v) for v in node]
    return node


def json_reader(schema: Any) -> Callable[[bytes, int], Any]:
    """`decode(data, start) -> Avro JSON` of the Avro binary at data[start:], for a resolved
    (references inlined) schema."""
    read = Compiler().compile(_strip_logical(schema))

    def decode(data: bytes, start: int = 0) -> Any:
        value, end = read(data, start)
        if end != len(data):
            raise ValueError(f"{len(data) - end} bytes left over after the record")
        return value

    return decode

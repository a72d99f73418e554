"""Turn Protobuf schema text (or a base64 FileDescriptorProto) into descriptors.

We do not parse .proto ourselves: protoc, as bundled in grpcio-tools, runs in
process on a private temporary directory holding the schema and the text of every
reference. It is Google's own parser, so what it accepts and rejects is what every
other Protobuf tool accepts and rejects, and it reports errors with line:column.
Base64 FileDescriptorProto input (what confluent-kafka's ProtobufSerializer sends)
needs no parsing; when it is a dependency of a .proto text it is written back out as
text for protoc and its original descriptor is kept for the pool.
"""

from __future__ import annotations

import base64
import binascii
import re
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cached_property
from importlib import resources
from pathlib import Path

import grpc_tools
from google.protobuf import descriptor_pb2
from google.protobuf import descriptor_pool
from grpc_tools import _protoc_compiler

from serde.errors import SchemaParseError
from serde.schemas.protobuf_source import (
    TypeHints,
    blank_map_entry_options,
    restore_map_entries,
    written_hints,
)
from serde.schemas.protobuf_text import format_file

MAX_SCHEMA_CHARS = 4_000_000
ROOT_NAME = "default"  # the name Confluent gives a schema's own file
_BASE64 = re.compile(r"[A-Za-z0-9+/=_\-\s]+")
_GOOGLE_INCLUDE = Path(grpc_tools.__file__).parent / "_proto"


@dataclass(frozen=True)
class Compiled:
    """The root file's descriptor and a pool holding it with all its imports."""

    root: descriptor_pb2.FileDescriptorProto  # without source info
    files: tuple[descriptor_pb2.FileDescriptorProto, ...]  # imports first, root last
    pool: descriptor_pool.DescriptorPool
    from_text: bool
    # The text root with protoc's source info, and its text: read only for canonical
    # text, so a compatibility check or a decoder never pays for it.
    hint_source: tuple[descriptor_pb2.FileDescriptorProto, str] | None = None

    @cached_property
    def hints(self) -> TypeHints:
        """Type names, options and defaults as written; empty unless the root came as .proto text."""
        return TypeHints() if self.hint_source is None else written_hints(*self.hint_source)


def builtin_include() -> Path:
    """Directory with the well-known non-google/protobuf files we ship (confluent/*, google/type/*)."""
    return Path(str(resources.files("serde.schemas") / "protos"))


def decode_descriptor(text: str) -> descriptor_pb2.FileDescriptorProto | None:
    """The FileDescriptorProto in `text` if it is base64 of one, else None.

    A non-empty .proto file always contains `;` or `{`, which base64 never does,
    so the two forms cannot be confused.
    """
    stripped = text.strip()
    if not stripped or not _BASE64.fullmatch(stripped):
        return None
    compact = re.sub(r"\s+", "", stripped)
    try:
        if "-" in compact or "_" in compact:
            raw = base64.urlsafe_b64decode(compact + "=" * (-len(compact) % 4))
        else:
            raw = base64.b64decode(compact + "=" * (-len(compact) % 4), validate=True)
        fdp = descriptor_pb2.FileDescriptorProto.FromString(raw)
    except (binascii.Error, ValueError, Exception):  # noqa: BLE001 - protobuf raises DecodeError
        return None
    if not fdp.name and not fdp.message_type and not fdp.enum_type:
        return None
    return fdp


def compile_schema(text: str, dependencies: Mapping[str, str]) -> Compiled:
    """Parse `text` with its `dependencies` (import path -> text); raise SchemaParseError."""
    if not isinstance(text, str):
        raise SchemaParseError("Protobuf schema must be a string")
    if len(text) > MAX_SCHEMA_CHARS:
        raise SchemaParseError("Protobuf schema is too large")
    for name in dependencies:
        _check_import_name(name)
    root_fdp = decode_descriptor(text)
    decoded = {n: decode_descriptor(t) for n, t in dependencies.items()}
    entry_options: dict[str, tuple[str, list[int]]] = {}
    with tempfile.TemporaryDirectory(prefix="schemawire-proto-") as tmp:
        base = Path(tmp)
        for name, dep_text in dependencies.items():
            fdp = decoded[name]
            if fdp is None:
                blanked_dep, positions = blank_map_entry_options(dep_text)
                entry_options[name] = (dep_text, positions)
                dep_text = blanked_dep
            _write(base / name, format_file(fdp) if fdp is not None else dep_text)
        if root_fdp is None:
            root_name = _free_name(dependencies)
            blanked, positions = blank_map_entry_options(text)
            entry_options[root_name] = (text, positions)
            _write(base / root_name, blanked)
            files = _run_protoc(base, [root_name])
            restore_map_entries(files, entry_options)
            root_with_info = files[-1]
            hint_source = (root_with_info, text)
            root = _strip_text_artifacts(root_with_info)
            files = files[:-1]
            from_text = True
        else:
            if not root_fdp.name:
                root_fdp.name = _free_name(dependencies)
            imports = list(root_fdp.dependency)
            files = _run_protoc(base, imports) if imports else []
            restore_map_entries(files, entry_options)
            root, hint_source, from_text = root_fdp, None, False
    originals = {n: f for n, f in decoded.items() if f is not None}
    deps: list[descriptor_pb2.FileDescriptorProto] = []
    seen: set[str] = set()
    for f in files:
        if f.name in seen or f.name == root.name:
            continue
        seen.add(f.name)
        f = originals.get(f.name, f)
        f.ClearField("source_code_info")
        deps.append(f)
    pool = _build_pool(deps, root)
    return Compiled(root, tuple(deps) + (root,), pool, from_text, hint_source)


def _check_import_name(name: str) -> None:
    parts = name.replace("\\", "/").split("/")
    if not name or name.startswith("/") or ".." in parts or "\x00" in name or "" in parts:
        raise SchemaParseError(f"Invalid Protobuf import path {name!r}")


def _free_name(dependencies: Mapping[str, str]) -> str:
    name, n = ROOT_NAME, 0
    while name in dependencies:
        n += 1
        name = f"default{n}"
    return name


def _write(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")


def _run_protoc(base: Path, inputs: list[str]) -> list[descriptor_pb2.FileDescriptorProto]:
    """Compile `inputs` under `base`; return every file, imports first, with source info."""
    includes = [str(base), str(builtin_include()), str(_GOOGLE_INCLUDE)]
    _check_quietly(includes, inputs)
    out = base / ".descriptor_set.pb"
    args = ["protoc", *(f"-I{p}" for p in includes), "--include_imports",
            "--include_source_info", f"--descriptor_set_out={out}", *inputs]
    rc = _protoc_compiler.run_main([a.encode() for a in args])
    if rc != 0 or not out.exists():
        raise SchemaParseError(_explain_failure(includes, inputs))
    fds = descriptor_pb2.FileDescriptorSet.FromString(out.read_bytes())
    return list(fds.file)


def _check_quietly(includes: list[str], inputs: list[str]) -> None:
    """Validate first through the entry point that returns errors instead of printing them."""
    messages = _diagnostics(includes, inputs)
    if messages:
        raise SchemaParseError("Invalid Protobuf schema: " + "; ".join(messages))


def _explain_failure(includes: list[str], inputs: list[str]) -> str:
    messages = _diagnostics(includes, inputs) or ["protoc rejected the schema"]
    return "Invalid Protobuf schema: " + "; ".join(messages)


def _diagnostics(includes: list[str], inputs: list[str]) -> list[str]:
    """protoc's own diagnostics as `file:line:column: message` (1-based, like protoc's CLI)."""
    messages: list[str] = []
    for name in inputs:
        try:
            _protoc_compiler.get_protos(name.encode(), [p.encode() for p in includes])
        except _protoc_compiler.ProtocErrors as exc:
            for err in exc.errors():
                where = _text(err.filename)
                if err.line >= 0:
                    where += f":{err.line + 1}:{err.column + 1}"
                messages.append(f"{where}: {_text(err.message)}")
        except Exception as exc:  # noqa: BLE001 - any protoc failure is a parse error
            messages.append(str(exc))
    return list(dict.fromkeys(messages))


def _text(value: object) -> str:
    return value.decode("utf-8", "replace") if isinstance(value, bytes) else str(value)


def _build_pool(
    deps: list[descriptor_pb2.FileDescriptorProto], root: descriptor_pb2.FileDescriptorProto
) -> descriptor_pool.DescriptorPool:
    pool = descriptor_pool.DescriptorPool()
    for f in [*deps, root]:
        try:
            pool.AddSerializedFile(f.SerializeToString())
        except Exception as exc:  # noqa: BLE001 - upb raises TypeError, python impl others
            raise SchemaParseError(f"Invalid Protobuf schema {f.name!r}: {exc}") from exc
    return pool


def _strip_text_artifacts(
    fdp: descriptor_pb2.FileDescriptorProto,
) -> descriptor_pb2.FileDescriptorProto:
    """Drop what protoc adds on its own (source info, json_name not written) from a text root."""
    explicit = {tuple(loc.path[:-1]) for loc in fdp.source_code_info.location
                if loc.path and loc.path[-1] == 10}
    out = descriptor_pb2.FileDescriptorProto()
    out.CopyFrom(fdp)
    out.ClearField("source_code_info")

    def clear(fields, base: tuple[int, ...]) -> None:
        for i, f in enumerate(fields):
            if f.HasField("json_name") and base + (i,) not in explicit:
                f.ClearField("json_name")

    def walk(messages, base: tuple[int, ...]) -> None:
        for i, m in enumerate(messages):
            path = base + (i,)
            clear(m.field, path + (2,))
            clear(m.extension, path + (6,))
            walk(m.nested_type, path + (3,))

    clear(out.extension, (7,))
    walk(out.message_type, (4,))
    return out

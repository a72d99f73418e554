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
import os
import re
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

import grpc_tools
from google.protobuf import descriptor_pb2
from google.protobuf import descriptor_pool
from grpc_tools import _protoc_compiler

from serde.errors import SchemaParseError
from serde.schemas.protobuf_text import TypeHints, default_json_name, format_file

MAX_SCHEMA_CHARS = 4_000_000
ROOT_NAME = "default.proto"
_BASE64 = re.compile(r"[A-Za-z0-9+/=_\-\s]+")
_GOOGLE_INCLUDE = Path(grpc_tools.__file__).parent / "_proto"


@dataclass(frozen=True)
class Compiled:
    """The root file's descriptor and a pool holding it with all its imports."""

    root: descriptor_pb2.FileDescriptorProto  # without source info
    files: tuple[descriptor_pb2.FileDescriptorProto, ...]  # imports first, root last
    pool: descriptor_pool.DescriptorPool
    hints: TypeHints  # empty unless the root came as .proto text
    from_text: bool


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
                blanked_dep, positions = _blank_map_entry_options(dep_text)
                entry_options[name] = (dep_text, positions)
                dep_text = blanked_dep
            _write(base / name, format_file(fdp) if fdp is not None else dep_text)
        if root_fdp is None:
            root_name = _free_name(dependencies)
            blanked, positions = _blank_map_entry_options(text)
            entry_options[root_name] = (text, positions)
            _write(base / root_name, blanked)
            files = _run_protoc(base, [root_name])
            _restore_map_entries(files, entry_options)
            root_with_info = files[-1]
            hints = _hints(root_with_info, text)
            root = _strip_text_artifacts(root_with_info)
            files = files[:-1]
            from_text = True
        else:
            if not root_fdp.name:
                root_fdp.name = _free_name(dependencies)
            imports = list(root_fdp.dependency)
            files = _run_protoc(base, imports) if imports else []
            _restore_map_entries(files, entry_options)
            root, hints, from_text = root_fdp, TypeHints(), False
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
    return Compiled(root, tuple(deps) + (root,), pool, hints, from_text)


_MAP_ENTRY_OPTION = re.compile(r"\boption\s+map_entry\s*=\s*true\s*;")


def _blank_map_entry_options(text: str) -> tuple[str, list[int]]:
    """Hide explicit `option map_entry = true;` statements from protoc.

    Confluent's Java serializer registers the text of a descriptor, where map fields
    appear as `repeated XEntry x` plus a nested XEntry message carrying that option.
    protoc refuses the option when written by hand, so we blank it out (keeping every
    line and column in place) and mark those messages as map entries afterwards.
    """
    positions = [m.start() for m in _MAP_ENTRY_OPTION.finditer(text)]
    if not positions:
        return text, []
    blanked = _MAP_ENTRY_OPTION.sub(lambda m: " " * len(m.group(0)), text)
    return blanked, positions


def _restore_map_entries(
    files: list[descriptor_pb2.FileDescriptorProto],
    entry_options: Mapping[str, tuple[str, list[int]]],
) -> None:
    """Set map_entry on the innermost message around each blanked option (needs source info)."""
    for f in files:
        text, positions = entry_options.get(f.name, ("", []))
        for pos in positions:
            line = text.count("\n", 0, pos)
            start = text.rfind("\n", 0, pos) + 1
            col = _index_to_col(text[start:pos])
            best: tuple[int, ...] | None = None
            for loc in f.source_code_info.location:
                path = tuple(loc.path)
                if _is_message_path(path) and _span_contains(list(loc.span), line, col):
                    if best is None or len(path) > len(best):
                        best = path
            if best is not None:
                _message_at(f, best).options.map_entry = True


def _index_to_col(prefix: str) -> int:
    col = 0
    for ch in prefix:
        col = col + 8 - col % 8 if ch == "\t" else col + len(ch.encode("utf-8"))
    return col


def _span_contains(span: list[int], line: int, col: int) -> bool:
    if len(span) == 3:
        span = [span[0], span[1], span[0], span[2]]
    return (span[0], span[1]) <= (line, col) < (span[2], span[3])


def _message_at(f: descriptor_pb2.FileDescriptorProto, path: tuple[int, ...]):
    message = f.message_type[path[1]]
    for i in range(3, len(path), 2):
        message = message.nested_type[path[i]]
    return message


def _check_import_name(name: str) -> None:
    parts = name.replace("\\", "/").split("/")
    if not name or name.startswith("/") or ".." in parts or "\x00" in name or "" in parts:
        raise SchemaParseError(f"Invalid Protobuf import path {name!r}")


def _free_name(dependencies: Mapping[str, str]) -> str:
    name, n = ROOT_NAME, 0
    while name in dependencies:
        n += 1
        name = f"default{n}.proto"
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
    """Drop what protoc adds on its own (source info, default json_name) from a text root."""
    out = descriptor_pb2.FileDescriptorProto()
    out.CopyFrom(fdp)
    out.ClearField("source_code_info")

    def clear(fields) -> None:
        for f in fields:
            if f.HasField("json_name") and f.json_name == default_json_name(f.name):
                f.ClearField("json_name")

    def walk(messages) -> None:
        for m in messages:
            clear(m.field)
            clear(m.extension)
            walk(m.nested_type)

    clear(out.extension)
    walk(out.message_type)
    return out


# -- what the author wrote ------------------------------------------------------


def _hints(fdp: descriptor_pb2.FileDescriptorProto, text: str) -> TypeHints:
    """Type names as written (per field/method path) and whether `syntax` was written."""
    lines = text.split("\n")
    types: dict[tuple[int, ...], str] = {}
    extendees: dict[tuple[int, ...], str] = {}
    statements: dict[tuple[int, ...], list[tuple[int, list[int]]]] = {}
    bounds: dict[tuple[int, ...], list[list[int]]] = {}
    syntax_written = False
    children: dict[tuple[int, ...], list[int]] = {}
    option_names: dict[tuple[int, ...], str] = {}
    repeated: set[tuple[int, ...]] = set()
    for loc in fdp.source_code_info.location:
        path = tuple(loc.path)
        if path:
            seen = children.setdefault(path[:-1], [])
            if path[-1] not in seen:
                seen.append(path[-1])
                name = _written_option_name(_slice(lines, list(loc.span)) or "")
                if name and path[-1] >= 1000:  # extension numbers of options messages
                    option_names[path] = name
            else:
                repeated.add(path)
        if _is_range_statement(path):
            statements.setdefault(path[:-1], []).append((path[-1], []))
        elif len(path) > 2 and _is_range_statement(path[:-1]):
            for field_no, idxs in reversed(statements.get(path[:-2], [])):
                if field_no == path[-2]:
                    idxs.append(path[-1])
                    break
        elif len(path) > 3 and _is_range_statement(path[:-2]) and path[-1] in (1, 2):
            bounds.setdefault(path[:-1], []).append(list(loc.span))
        if path == (12,):
            syntax_written = True
        elif _is_type_path(path) or _is_extendee_path(path):
            written = _slice(lines, list(loc.span))
            if written:
                table = types if _is_type_path(path) else extendees
                table[path[:-1]] = _tidy_type(written)
    written_ranges = frozenset(p for p, spans in bounds.items() if len(spans) == 2
                               and spans[0] != spans[1])
    frozen = {k: tuple((f, tuple(i)) for f, i in v) for k, v in statements.items()}
    order = {k: tuple(v) for k, v in children.items()}
    option_names = {k: v for k, v in option_names.items() if k not in repeated}
    return TypeHints(types, syntax_written, extendees, frozen, written_ranges, order, option_names)


def _written_option_name(written: str) -> str | None:
    """`(name)` of a custom option written as `(name) = value`, else None."""
    m = re.match(r"\s*(?:option\s+)?\(\s*(\.?[A-Za-z_][\w.]*)\s*\)\s*[=:{]", written)
    return m.group(1) if m else None


def _is_message_path(path: tuple[int, ...]) -> bool:
    if len(path) < 2 or path[0] != 4 or len(path) % 2:
        return False
    return all(path[i] == 3 for i in range(2, len(path), 2))


def _is_enum_path(path: tuple[int, ...]) -> bool:
    if len(path) == 2 and path[0] == 5:
        return True
    return len(path) >= 4 and path[-2] == 4 and _is_message_path(path[:-2])


def _is_range_statement(path: tuple[int, ...]) -> bool:
    """A `reserved`/`extensions` statement: message (…, 9|10|5) or enum (…, 4|5)."""
    if not path:
        return False
    container, field_no = path[:-1], path[-1]
    return ((field_no in (9, 10, 5) and _is_message_path(container))
            or (field_no in (4, 5) and _is_enum_path(container)))


def _is_extendee_path(path: tuple[int, ...]) -> bool:
    """True for the path of an extension field's extendee ((7, i, 2) or nested (…, 6, i, 2))."""
    if len(path) == 3 and path[0] == 7 and path[2] == 2:
        return True
    return len(path) >= 5 and path[-1] == 2 and path[-3] == 6 and _is_type_path(path[:-1] + (6,))


def _is_type_path(path: tuple[int, ...]) -> bool:
    """True for the path of a field's type_name (…, 6) or a method's input/output type."""
    if len(path) == 5 and path[0] == 6 and path[2] == 2 and path[4] in (2, 3):
        return True
    if not path or path[-1] != 6:
        return False
    body = path[:-1]
    if len(body) == 2 and body[0] == 7:
        return True
    if len(body) < 4 or body[0] != 4:
        return False
    i = 2
    while i < len(body) - 2:
        if body[i] != 3:
            return False
        i += 2
    return body[-2] in (2, 6)


def _slice(lines: list[str], span: list[int]) -> str | None:
    if len(span) == 3:
        span = [span[0], span[1], span[0], span[2]]
    if len(span) != 4 or span[0] >= len(lines) or span[2] >= len(lines):
        return None
    start = _col_to_index(lines[span[0]], span[1])
    end = _col_to_index(lines[span[2]], span[3])
    if span[0] == span[2]:
        return lines[span[0]][start:end]
    middle = lines[span[0] + 1:span[2]]
    return "\n".join([lines[span[0]][start:], *middle, lines[span[2]][:end]])


def _col_to_index(line: str, col: int) -> int:
    """protoc columns count bytes and expand tabs to multiples of 8."""
    pos = 0
    for i, ch in enumerate(line):
        if pos >= col:
            return i
        pos = pos + 8 - pos % 8 if ch == "\t" else pos + len(ch.encode("utf-8"))
    return len(line)


def _tidy_type(written: str) -> str:
    compact = re.sub(r"\s+", "", re.sub(r"/\*.*?\*/|//[^\n]*", "", written, flags=re.S))
    if compact.startswith("map<") and compact.endswith(">") and "," in compact:
        key, value = compact[4:-1].split(",", 1)
        return f"map<{key}, {value}>"
    return compact


def environment_ok() -> bool:
    """Whether protoc and the shipped include directory are usable (for diagnostics)."""
    return _GOOGLE_INCLUDE.is_dir() and os.path.isdir(builtin_include())

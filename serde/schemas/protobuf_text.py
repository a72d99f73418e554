"""Confluent's Protobuf text formatting, written from a FileDescriptorProto.

Confluent stores, returns and hashes `ProtobufSchemaUtils.toString()` of its parsed
schema: fixed section order inside a message (reserved, options, fields, oneofs,
extension ranges, extends, nested messages, then nested enums), two-space indent,
no blank line between sibling types. We rebuild that layout from the descriptor
protoc gives us. Type names are written as the author wrote them when the schema
came as .proto text (`TypeHints`), fully qualified otherwise, and map fields are
always written as `map<K, V>` so that the output parses again with protoc.
The normalized variant (`normalize=True`) follows `toNormalizedString`: sorted
imports, options, fields, oneofs, enum constants and reserved ranges, and fully
qualified type names.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from types import MappingProxyType
from typing import Any

from google.protobuf import descriptor_pb2 as d

from serde.schemas.protobuf_options import (
    Opt,
    Raw,
    default_value,
    escape,
    is_repeated,
    literal_value,
    message_value,
    option_value,
)
from serde.schemas.protobuf_source import TypeHints

FDP = d.FieldDescriptorProto
MAX_TAG = 536_870_911

SCALAR_NAMES: Mapping[int, str] = MappingProxyType({
    FDP.TYPE_DOUBLE: "double",
    FDP.TYPE_FLOAT: "float",
    FDP.TYPE_INT64: "int64",
    FDP.TYPE_UINT64: "uint64",
    FDP.TYPE_INT32: "int32",
    FDP.TYPE_FIXED64: "fixed64",
    FDP.TYPE_FIXED32: "fixed32",
    FDP.TYPE_BOOL: "bool",
    FDP.TYPE_STRING: "string",
    FDP.TYPE_BYTES: "bytes",
    FDP.TYPE_UINT32: "uint32",
    FDP.TYPE_SFIXED32: "sfixed32",
    FDP.TYPE_SFIXED64: "sfixed64",
    FDP.TYPE_SINT32: "sint32",
    FDP.TYPE_SINT64: "sint64",
})
LABELS: Mapping[int, str] = MappingProxyType({
    FDP.LABEL_OPTIONAL: "optional",
    FDP.LABEL_REQUIRED: "required",
    FDP.LABEL_REPEATED: "repeated",
})
# Standard options in the order Confluent converts them from a descriptor.
FILE_OPTIONS = (
    "java_package", "java_outer_classname", "java_multiple_files",
    "java_generate_equals_and_hash", "java_string_check_utf8", "optimize_for", "go_package",
    "cc_generic_services", "java_generic_services", "py_generic_services",
    "php_generic_services", "deprecated", "cc_enable_arenas", "objc_class_prefix",
    "csharp_namespace", "swift_prefix", "php_class_prefix", "php_namespace",
    "php_metadata_namespace", "ruby_package",
)
MESSAGE_OPTIONS = ("no_standard_descriptor_accessor", "deprecated")
FIELD_OPTIONS = ("ctype", "packed", "jstype", "deprecated", "debug_redact", "retention")
ENUM_OPTIONS = ("allow_alias", "deprecated")
ENUM_VALUE_OPTIONS = ("deprecated", "debug_redact")
SERVICE_OPTIONS = ("deprecated",)
METHOD_OPTIONS = ("deprecated", "idempotency_level")
ONEOF_OPTIONS: tuple[str, ...] = ()

# Decodes a standard options message (with its custom options as extensions) or
# returns None when the options cannot be interpreted against the schema's pool.
OptionDecoder = Callable[[Any], Any]


def format_file(
    fdp: d.FileDescriptorProto,
    *,
    hints: TypeHints | None = None,
    normalize: bool = False,
    decode_options: OptionDecoder | None = None,
    ignore_extensions: bool = False,
) -> str:
    """Render `fdp` as Confluent's canonical (or normalized) schema text.

    `ignore_extensions` is Confluent's `?format=ignore_extensions`: no custom options
    (except Confluent's own), extension ranges or `extend` blocks.
    """
    formatter = _Formatter(fdp, hints or TypeHints(), normalize, decode_options)
    formatter.ignore_extensions = ignore_extensions
    return formatter.file()


def _indent(text: str) -> str:
    lines = text.split("\n")
    if len(lines) > 1 and lines[-1] == "":
        lines.pop()
    return "".join(f"  {line}\n" for line in lines)


class _Formatter:
    def __init__(
        self,
        fdp: d.FileDescriptorProto,
        hints: TypeHints,
        normalize: bool,
        decode_options: OptionDecoder | None,
    ) -> None:
        self.fdp = fdp
        self.hints = hints
        self.normalize = normalize
        self.ignore_extensions = False
        self.decode = decode_options
        self.proto3 = fdp.syntax == "proto3"
        self.editions = fdp.syntax == "editions"
        self.maps = _map_entries(fdp)

    # -- file ---------------------------------------------------------------
    def file(self) -> str:
        f = self.fdp
        out: list[str] = []
        syntax = f.syntax or ("proto2" if self.hints.syntax_written else "")
        if syntax == "editions":
            out.append(f'edition = "{_edition_name(f.edition)}";\n')
        elif syntax and (not self.normalize or syntax == "proto3"):
            out.append(f'syntax = "{syntax}";\n')
        if f.package:
            out.append(f"package {f.package};\n")
        public = set(f.public_dependency)
        imports = [n for i, n in enumerate(f.dependency) if i not in public]
        publics = [n for i, n in enumerate(f.dependency) if i in public]
        if imports or publics:
            if self.normalize:
                imports, publics = sorted(set(imports)), sorted(set(publics))
            out.append("\n")
            out.extend(f'import "{n}";\n' for n in imports)
            out.extend(f'import public "{n}";\n' for n in publics)
        opts = self.options(f, FILE_OPTIONS, opath=(8,))
        if opts:
            out.append("\n")
            out.extend(self.option_stmt(o) for o in opts)
        body = [self.message(m, (4, i)) for i, m in enumerate(f.message_type)]
        body += [self.enum(e, (5, i)) for i, e in enumerate(f.enum_type)]
        if body:
            out.append("\n")
            out.extend(body)
        if f.extension and not self.ignore_extensions:
            out.append("\n")
            out.extend(self.extends(f.extension, (7,)))
        if f.service:
            out.append("\n")
            out.extend(self.service(s, (6, i)) for i, s in enumerate(f.service))
        return "".join(out)

    # -- messages -----------------------------------------------------------
    def message(self, m: d.DescriptorProto, path: tuple[int, ...]) -> str:
        out = [f"message {m.name} {{"]
        reserved = self.reserved(m.reserved_range, m.reserved_name, path, (9, 10),
                                 exclusive_end=True)
        if reserved:
            out.append("\n")
            out.extend(_indent(r) for r in reserved)
        opts = self.options(m, MESSAGE_OPTIONS, opath=path + (7,))
        if opts:
            out.append("\n")
            out.extend(_indent(self.option_stmt(o)) for o in opts)
        groups = {f.type_name.rsplit(".", 1)[-1] for f in m.field if f.type == FDP.TYPE_GROUP}
        real_oneofs = _real_oneofs(m)
        plain = [(i, f) for i, f in enumerate(m.field) if not _in_real_oneof(f, real_oneofs)]
        if self.normalize:
            plain.sort(key=lambda p: p[1].number)
        if plain:
            out.append("\n")
            out.extend(_indent(self.field(f, path + (2, i), m)) for i, f in plain)
        oneofs = []
        for idx in sorted(real_oneofs):
            members = [(i, f) for i, f in enumerate(m.field)
                       if f.HasField("oneof_index") and f.oneof_index == idx]
            if members:
                oneofs.append((idx, members))
        if self.normalize:
            oneofs = [(o, sorted(ms, key=lambda p: p[1].number)) for o, ms in oneofs]
            oneofs.sort(key=lambda p: p[1][0][1].number)
        if oneofs:
            out.append("\n")
            out.extend(_indent(self.oneof(o, ms, path, m)) for o, ms in oneofs)
        ranges = [] if self.ignore_extensions else self.extension_ranges(m.extension_range, path)
        if ranges:
            out.append("\n")
            out.extend(_indent(r) for r in ranges)
        if m.extension and not self.ignore_extensions:
            out.append("\n")
            out.extend(_indent(e) for e in self.extends(m.extension, path + (6,)))
        nested = [
            self.message(n, path + (3, i)) for i, n in enumerate(m.nested_type)
            if not n.options.map_entry and n.name not in groups
        ]
        nested += [self.enum(e, path + (4, i)) for i, e in enumerate(m.enum_type)]
        if nested:
            out.append("\n")
            out.extend(_indent(n) for n in nested)
        out.append("}\n")
        return "".join(out)

    def oneof(self, idx: int, members: list, path: tuple[int, ...],
              m: d.DescriptorProto) -> str:
        o = m.oneof_decl[idx]
        out = [f"oneof {o.name} {{"]
        opts = self.options(o, ONEOF_OPTIONS, opath=path + (8, idx, 2))
        if opts:
            out.append("\n")
            out.extend(_indent(self.option_stmt(x)) for x in opts)
        out.append("\n")
        out.extend(_indent(self.field(f, path + (2, i), m, in_oneof=True)) for i, f in members)
        out.append("}\n")
        return "".join(out)

    def field(self, f: d.FieldDescriptorProto, path: tuple[int, ...],
              parent: d.DescriptorProto | None, *, in_oneof: bool = False) -> str:
        entry = self.maps.get(f.type_name) if f.type == FDP.TYPE_MESSAGE else None
        label = None if (in_oneof or entry is not None) else self.label(f)
        if f.type == FDP.TYPE_GROUP and parent is not None:
            return self.group(f, label, path, parent)
        ftype = self.type_text(f, path, entry)
        head = f"{label} " if label else ""
        text = f"{head}{ftype} {f.name} = {f.number}"
        opts = self.options(f, FIELD_OPTIONS, opath=path + (8,), targets=True)
        if f.HasField("default_value") and not self.proto3:
            written = None if self.normalize else self.hints.defaults.get(path)
            opts.append(Opt("default", Raw(written) if written else default_value(f)))
        if f.HasField("json_name"):
            opts.append(Opt("json_name", f.json_name))
        if self.normalize:
            opts.sort(key=lambda o: o.name)
        if opts:
            text += " " + self.option_list(opts)
        return text + ";\n"

    def group(self, f: d.FieldDescriptorProto, label: str | None, path: tuple[int, ...],
              parent: d.DescriptorProto) -> str:
        name = f.type_name.rsplit(".", 1)[-1]
        idx = next(i for i, n in enumerate(parent.nested_type) if n.name == name)
        body = parent.nested_type[idx]
        head = f"{label} " if label else ""
        out = [f"{head}group {name} = {f.number} {{"]
        inner = self.message(body, path[:-2] + (3, idx))
        inner_body = inner[inner.index("{") + 1:]
        out.append(inner_body)
        return "".join(out)

    def label(self, f: d.FieldDescriptorProto) -> str | None:
        if f.proto3_optional:
            return "optional"
        if (self.proto3 or self.editions) and f.label != FDP.LABEL_REPEATED:
            return None
        return LABELS.get(f.label)

    def type_text(self, f: d.FieldDescriptorProto, path: tuple[int, ...],
                  entry: d.DescriptorProto | None) -> str:
        written = None if self.normalize else self.hints.types.get(path)
        if entry is not None:
            key, value = entry.field[0], entry.field[1]
            if written is not None and written.startswith("map<"):
                return written
            return f"map<{self._plain_type(key)}, {self._plain_type(value)}>"
        if written is not None:
            return written
        return self._plain_type(f)

    @staticmethod
    def _plain_type(f: d.FieldDescriptorProto) -> str:
        if f.type in SCALAR_NAMES:
            return SCALAR_NAMES[f.type]
        return f.type_name

    # -- enums --------------------------------------------------------------
    def enum(self, e: d.EnumDescriptorProto, path: tuple[int, ...]) -> str:
        out = [f"enum {e.name} {{"]
        reserved = self.reserved(e.reserved_range, e.reserved_name, path, (4, 5),
                                 exclusive_end=False)
        if reserved:
            out.append("\n")
            out.extend(_indent(r) for r in reserved)
        opts = self.options(e, ENUM_OPTIONS, opath=path + (3,))
        if not reserved and (opts or e.value):
            out.append("\n")
        out.extend(_indent(self.option_stmt(o)) for o in opts)
        values = list(enumerate(e.value))
        if self.normalize:
            values.sort(key=lambda p: (p[1].number, p[1].name))
        for vi, v in values:
            text = f"{v.name} = {v.number}"
            vopts = self.options(v, ENUM_VALUE_OPTIONS, opath=path + (2, vi, 3))
            if vopts:
                text += " " + self.option_list(vopts)
            out.append(_indent(text + ";\n"))
        out.append("}\n")
        return "".join(out)

    # -- reserved, extensions, extend, services -----------------------------
    def reserved(self, ranges: Sequence, names: Sequence[str], path: tuple[int, ...],
                 fields: tuple[int, int], *, exclusive_end: bool) -> list[str]:
        """`reserved` statements: grouped as written for text input, one per item otherwise."""
        def range_text(i: int) -> str:
            r = ranges[i]
            last = r.end - 1 if exclusive_end else r.end
            written = path + (fields[0], i) in self.hints.written_ranges
            return _range_text(r.start, last, self.normalize, written)

        statements = None if self.normalize else self.hints.statements.get(path)
        if statements:
            out = []
            for field_no, idxs in statements:
                if field_no == fields[0]:
                    out.append(", ".join(range_text(i) for i in idxs if i < len(ranges)))
                elif field_no == fields[1]:
                    out.append(", ".join(f'"{names[i]}"' for i in idxs if i < len(names)))
            return [f"reserved {text};\n" for text in out if text]
        items: list[tuple[int, str]] = [(r.start, range_text(i)) for i, r in enumerate(ranges)]
        items += [(MAX_TAG + 1, f'"{n}"') for n in names]
        if self.normalize:
            items.sort()
        return [f"reserved {text};\n" for _, text in items]

    def extension_ranges(self, ranges: Sequence, path: tuple[int, ...]) -> list[str]:
        def range_text(i: int) -> str:
            written = path + (5, i) in self.hints.written_ranges
            return _range_text(ranges[i].start, ranges[i].end - 1, self.normalize, written)

        statements = None if self.normalize else self.hints.statements.get(path)
        grouped = [idxs for field_no, idxs in statements or () if field_no == 5]
        if grouped:
            return [f"extensions {', '.join(range_text(i) for i in idxs)};\n" for idxs in grouped]
        items = [(r.start, range_text(i)) for i, r in enumerate(ranges)]
        if self.normalize:
            items.sort()
        return [f"extensions {text};\n" for _, text in items]

    def extends(self, fields: Sequence[d.FieldDescriptorProto], base: tuple[int, ...]) -> list[str]:
        """`extend` blocks: as written (consecutive fields with the same written extendee),
        or one block per resolved extendee when normalizing."""
        groups: list[tuple[str, list[tuple[int, d.FieldDescriptorProto]]]] = []
        for i, f in enumerate(fields):
            if self.normalize:
                name = f.extendee
                match = next((g for g in groups if g[0] == name), None)
            else:
                name = self.hints.extendees.get(base + (i,), f.extendee)
                match = groups[-1] if groups and groups[-1][0] == name else None
            if match is None:
                groups.append((name, [(i, f)]))
            else:
                match[1].append((i, f))
        out = []
        for extendee, members in groups:
            if self.normalize:
                members.sort(key=lambda p: p[1].number)
            body = "".join(_indent(self.field(f, base + (i,), None)) for i, f in members)
            out.append(f"extend {extendee} {{\n{body}}}\n")
        return out

    def service(self, s: d.ServiceDescriptorProto, path: tuple[int, ...]) -> str:
        out = [f"service {s.name} {{"]
        opts = self.options(s, SERVICE_OPTIONS, opath=path + (3,))
        if opts:
            out.append("\n")
            out.extend(_indent(self.option_stmt(o)) for o in opts)
        if s.method:
            out.append("\n")
            for i, m in enumerate(s.method):
                written_in = None if self.normalize else self.hints.types.get(path + (2, i, 2))
                written_out = None if self.normalize else self.hints.types.get(path + (2, i, 3))
                req = ("stream " if m.client_streaming else "") + (written_in or m.input_type)
                resp = ("stream " if m.server_streaming else "") + (written_out or m.output_type)
                text = f"rpc {m.name} ({req}) returns ({resp})"
                mopts = self.options(m, METHOD_OPTIONS, opath=path + (2, i, 4))
                if mopts:
                    text += " {\n" + "".join(_indent(self.option_stmt(o)) for o in mopts) + "}"
                out.append(_indent(text + ";\n"))
        out.append("}\n")
        return "".join(out)

    # -- options ------------------------------------------------------------
    def options(self, owner: Any, standard: Sequence[str], *, opath: tuple[int, ...] = (),
                targets: bool = False) -> list[Opt]:
        """Standard then custom options; in written order for text input, by name when
        normalizing, else in Confluent's descriptor order."""
        if not owner.HasField("options"):
            return []
        msg = owner.options
        opts: list[Opt] = []
        known = msg.DESCRIPTOR.fields_by_name
        for name in standard:
            if name in known and msg.HasField(name):
                fd = known[name]
                opts.append(Opt(name, option_value(msg, fd, getattr(msg, name)),
                                 number=fd.number))
        if targets and "targets" in msg.DESCRIPTOR.fields_by_name:
            fd = msg.DESCRIPTOR.fields_by_name["targets"]
            opts += [Opt("targets", Raw(fd.enum_type.values_by_number[t].name), number=fd.number)
                     for t in msg.targets]
        if msg.HasField("features"):
            opts.append(Opt("features", message_value(msg.features),
                             number=known["features"].number))
        custom = self.custom_options(msg)
        if self.ignore_extensions:
            custom = [o for o in custom if o.name.startswith("confluent.")]
        if not self.normalize:
            custom = self.as_written(opath, custom)
        opts += custom
        if self.normalize:
            opts.sort(key=lambda o: o.name)
        elif opath in self.hints.option_order:
            order = self.hints.option_order[opath]
            opts.sort(key=lambda o: order.index(o.number) if o.number in order else len(order))
        return opts

    def as_written(self, opath: tuple[int, ...], custom: list[Opt]) -> list[Opt]:
        """Custom options in the author's spelling where it can be kept.

        Statements that each set one scalar (`(meta).tags = "PII"`) are kept one by
        one, like Confluent's parser does; otherwise the merged value is written
        under the option name as written.
        """
        out: list[Opt] = []
        done: set[int] = set()
        for o in custom:
            statements = self.hints.option_statements.get(opath + (o.number,))
            if statements and all(s is not None for s in statements):
                if o.number not in done:
                    done.add(o.number)
                    out += [Opt(name, literal_value(value), True, o.number, suffix)
                            for name, suffix, value in statements]
            else:
                name = self.hints.option_names.get(opath + (o.number,), o.name)
                out.append(Opt(name, o.value, True, o.number))
        return out

    def custom_options(self, msg: Any) -> list[Opt]:
        if self.decode is None:
            return []
        decoded = self.decode(msg)
        if decoded is None:
            return []
        out: list[Opt] = []
        for fd, value in decoded.ListFields():
            if not fd.is_extension:
                continue
            values = value if is_repeated(fd) else [value]
            for v in values:
                out.append(Opt(fd.full_name, option_value(None, fd, v), custom=True,
                                number=fd.number))
        return out

    def option_stmt(self, o: Opt) -> str:
        return f"option {self.option_text(o)};\n"

    def option_text(self, o: Opt) -> str:
        name = f"({o.name}){o.suffix}" if o.custom else o.name
        v = o.value
        if isinstance(v, dict):
            return f"{name} = {{\n{self.option_map(v)}}}"
        if isinstance(v, list):
            return f"{name} = {self.option_list(v)}"
        return f"{name} = {self.scalar(v)}"

    def option_list(self, items: Sequence[Any]) -> str:
        rendered = [self.option_text(x) if isinstance(x, Opt) else self.map_value(x) for x in items]
        if len(rendered) == 1:
            return f"[{rendered[0]}]"
        body = "".join(_indent(r + ("," if i < len(rendered) - 1 else ""))
                       for i, r in enumerate(rendered))
        return f"[\n{body}]"

    def option_map(self, value: dict) -> str:
        items = list(value.items())
        if self.normalize:
            items = sorted((k, v) for k, v in items if not (isinstance(v, list) and not v))
        out = []
        for i, (k, v) in enumerate(items):
            end = "," if i < len(items) - 1 else ""
            out.append(_indent(f"{k}: {self.map_value(v)}{end}"))
        return "".join(out)

    def map_value(self, v: Any) -> str:
        if isinstance(v, dict):
            return "{\n" + self.option_map(v) + "}"
        if isinstance(v, list):
            if self.normalize and len(v) == 1:
                return self.map_value(v[0])
            body = "".join(_indent(self.map_value(x) + ("," if i < len(v) - 1 else ""))
                           for i, x in enumerate(v))
            return f"[\n{body}]"
        return self.scalar(v)

    @staticmethod
    def scalar(v: Any) -> str:
        if isinstance(v, Raw):
            return v.text
        if isinstance(v, bool):
            return "true" if v else "false"
        if isinstance(v, str):
            return f'"{escape(v)}"'
        if isinstance(v, bytes):
            return f'"{escape(v.decode("latin-1"))}"'
        return str(v)


def _edition_name(edition: int) -> str:
    name = d.Edition.Name(edition) if edition in d.Edition.values() else "EDITION_2023"
    return name.removeprefix("EDITION_")


def _range_text(start: int, last: int, normalize: bool, written_as_range: bool = False) -> str:
    if start == last and (normalize or not written_as_range):
        return str(start)
    end = "max" if last >= MAX_TAG else str(last)
    return f"{start} to {end}"


def _real_oneofs(m: d.DescriptorProto) -> set[int]:
    """Indexes of oneofs that are not proto3 `optional`'s synthetic ones."""
    synthetic = {f.oneof_index for f in m.field if f.proto3_optional and f.HasField("oneof_index")}
    return {i for i in range(len(m.oneof_decl)) if i not in synthetic}


def _in_real_oneof(f: d.FieldDescriptorProto, real: set[int]) -> bool:
    return f.HasField("oneof_index") and not f.proto3_optional and f.oneof_index in real


def _map_entries(fdp: d.FileDescriptorProto) -> dict[str, d.DescriptorProto]:
    """Full name (with leading dot) of each synthetic map-entry message -> its descriptor."""
    found: dict[str, d.DescriptorProto] = {}

    def walk(prefix: str, messages: Sequence[d.DescriptorProto]) -> None:
        for m in messages:
            full = f"{prefix}.{m.name}"
            if m.options.map_entry:
                found[full] = m
            walk(full, m.nested_type)

    walk(f".{fdp.package}" if fdp.package else "", fdp.message_type)
    return found

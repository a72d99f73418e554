"""The PROTOBUF schema type: parsing, canonical text, normalized form, message indexes.

A schema is a .proto file (text, or base64 FileDescriptorProto as confluent-kafka's
ProtobufSerializer sends it) whose imports are given as references. Parsing is
protoc's (see protobuf_compile); the canonical text follows Confluent's formatter
(protobuf_text) and keeps the author's spelling where protoc's source info lets us,
so the text we store and hash is, for ordinary schemas, the text Confluent stores.
"""

from __future__ import annotations

import base64
from collections.abc import Mapping, Sequence
from functools import cached_property
from typing import Any

from google.protobuf import descriptor, descriptor_pb2, descriptor_pool, message_factory

from serde.errors import SchemaParseError
from serde.schemas.protobuf_compile import Compiled, compile_schema
from serde.schemas.protobuf_text import format_file

__all__ = ["PROTOBUF", "ProtobufSchema", "ProtobufType"]

_OPTIONS_TYPES = frozenset({
    "FileOptions", "MessageOptions", "FieldOptions", "OneofOptions", "EnumOptions",
    "EnumValueOptions", "ServiceOptions", "MethodOptions", "ExtensionRangeOptions",
})


class ProtobufSchema:
    """A parsed Protobuf schema with its imports resolved.

    `file_descriptor` is the root FileDescriptorProto and `pool` a private
    DescriptorPool with it and every file it imports, so callers can build message
    classes without touching the process-wide default pool.
    """

    schema_type = "PROTOBUF"

    def __init__(
        self,
        compiled: Compiled,
        dependencies: Mapping[str, str],
        *,
        canonical_override: str | None = None,
    ) -> None:
        self._compiled = compiled
        self._dependencies = dict(dependencies)
        self._canonical_override = canonical_override

    # -- descriptors -----------------------------------------------------------
    @property
    def file_descriptor(self) -> descriptor_pb2.FileDescriptorProto:
        return self._compiled.root

    @property
    def files(self) -> tuple[descriptor_pb2.FileDescriptorProto, ...]:
        """Every file in the pool, imports first and this schema's file last."""
        return self._compiled.files

    @property
    def pool(self) -> descriptor_pool.DescriptorPool:
        return self._compiled.pool

    @property
    def dependencies(self) -> Mapping[str, str]:
        return dict(self._dependencies)

    @property
    def from_text(self) -> bool:
        """True when the schema was given as .proto text, False for a base64 descriptor."""
        return self._compiled.from_text

    @cached_property
    def file(self) -> descriptor.FileDescriptor:
        return self.pool.FindFileByName(self.file_descriptor.name)

    def message_descriptor(self, index_path: Sequence[int]) -> descriptor.Descriptor:
        """The message a Confluent message-index path names ([0] = first top-level message).

        An empty path means [0], as on the wire. Raises IndexError for a path that
        does not exist in this schema.
        """
        path = list(index_path) or [0]
        if any(i < 0 for i in path):
            raise IndexError(f"invalid message index path {path}")
        msgs = self.file_descriptor.message_type
        try:
            proto = msgs[path[0]]
            names = [proto.name]
            for i in path[1:]:
                proto = proto.nested_type[i]
                names.append(proto.name)
        except IndexError:
            raise IndexError(f"no message at index path {path}") from None
        pkg = self.file_descriptor.package
        full = ".".join(([pkg] if pkg else []) + names)
        return self.pool.FindMessageTypeByName(full)

    def index_path(self, full_name: str) -> list[int]:
        """The message-index path of the message `full_name` (package-qualified)."""
        name = full_name.lstrip(".")
        pkg = self.file_descriptor.package
        if pkg:
            if not name.startswith(pkg + "."):
                raise KeyError(full_name)
            name = name[len(pkg) + 1:]
        path: list[int] = []
        messages: Sequence[descriptor_pb2.DescriptorProto] = self.file_descriptor.message_type
        for part in name.split("."):
            for i, m in enumerate(messages):
                if m.name == part:
                    path.append(i)
                    messages = m.nested_type
                    break
            else:
                raise KeyError(full_name)
        return path

    def message_class(self, full_name: str) -> type:
        """A generated message class for `full_name`, bound to this schema's pool."""
        return message_factory.GetMessageClass(self.pool.FindMessageTypeByName(full_name))

    # -- text forms ---------------------------------------------------------
    def canonical(self) -> str:
        if self._canonical_override is not None:
            return self._canonical_override
        return self._canonical

    @cached_property
    def _canonical(self) -> str:
        return format_file(self.file_descriptor, hints=self._compiled.hints,
                           decode_options=self._decode_options)

    @cached_property
    def normalized_text(self) -> str:
        return format_file(self.file_descriptor, normalize=True,
                           decode_options=self._decode_options)

    def normalize(self) -> ProtobufSchema:
        """Confluent's normalized form; its canonical() is the normalized text."""
        text = self.normalized_text
        try:
            compiled = compile_schema(text, self._dependencies)
        except SchemaParseError:
            compiled = self._compiled  # same meaning; only the stored text differs
        return ProtobufSchema(compiled, self._dependencies, canonical_override=text)

    def formatted(self, fmt: str) -> str | None:
        if fmt == "serialized":
            return base64.b64encode(self.file_descriptor.SerializeToString()).decode("ascii")
        if fmt in ("", "default"):
            return self.canonical()
        if fmt == "ignore_extensions":
            return format_file(self.file_descriptor, hints=self._compiled.hints,
                               decode_options=self._decode_options, ignore_extensions=True)
        return None

    def equivalence_key(self) -> str:
        return self.canonical()

    def top_level_fields(self) -> frozenset[str]:
        return frozenset(f.name for m in self.file_descriptor.message_type for f in m.field)

    def __repr__(self) -> str:
        return f"ProtobufSchema({self.file_descriptor.name!r})"

    # -- custom options -----------------------------------------------------
    def _decode_options(self, options: Any) -> Any:
        """Re-read an options message with this pool's extensions, to see custom options."""
        name = options.DESCRIPTOR.name
        if name not in _OPTIONS_TYPES:
            return None
        raw = options.SerializeToString()
        if not raw:
            return None
        try:
            desc = self.pool.FindMessageTypeByName(f"google.protobuf.{name}")
        except KeyError:
            return None
        try:
            cls = message_factory.GetMessageClass(desc)
            return cls.FromString(raw)
        except Exception:  # noqa: BLE001 - undecodable options are simply not shown
            return None


class ProtobufType:
    """The PROTOBUF schema type plug-in."""

    name = "PROTOBUF"

    def parse(
        self, text: str, dependencies: Mapping[str, str], *, validate: bool = True
    ) -> ProtobufSchema:
        """Parse .proto text or a base64 FileDescriptorProto; raise SchemaParseError."""
        try:
            compiled = compile_schema(text, dependencies)
        except SchemaParseError:
            raise
        except RecursionError as exc:
            raise SchemaParseError("Protobuf schema is nested too deeply") from exc
        return ProtobufSchema(compiled, dependencies)


PROTOBUF = ProtobufType()

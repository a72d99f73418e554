"""What the author of a .proto text wrote, recovered from protoc's source info.

protoc's descriptors keep meaning, not spelling: type names come back fully
qualified, options in a fixed order, `reserved 1, 5 to 9;` split into ranges.
Confluent's canonical text keeps the spelling, so we read it back from
SourceCodeInfo spans over the original text. Columns there count UTF-8 bytes and
expand tabs to multiples of 8, like protoc's tokenizer.

It also hides explicit `option map_entry = true;` statements (the form Confluent's
Java serializer registers) from protoc, which refuses them, and marks those
messages as map entries again afterwards.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field

from google.protobuf import descriptor_pb2


@dataclass(frozen=True)
class TypeHints:
    """What the author wrote, recovered from protoc's source info for .proto text input.

    `types` maps a field's or method's descriptor path (as in SourceCodeInfo) to the
    type text as written; `syntax_written` says a `syntax` line was present;
    `extendees` maps an extension field's path to its `extend` target as written.
    """

    types: Mapping[tuple[int, ...], str] = field(default_factory=dict)
    syntax_written: bool = False
    extendees: Mapping[tuple[int, ...], str] = field(default_factory=dict)
    # message/enum path -> its reserved/extensions statements as written:
    # (descriptor field number, indexes of the ranges or names in that statement)
    statements: Mapping[tuple[int, ...], tuple[tuple[int, tuple[int, ...]], ...]] = field(
        default_factory=dict)
    written_ranges: frozenset[tuple[int, ...]] = frozenset()  # `N to N` written as a range
    # options-message path (e.g. (8,) for file options) -> option field numbers as written
    option_order: Mapping[tuple[int, ...], tuple[int, ...]] = field(default_factory=dict)
    # options path + extension number -> the custom option's name as written, `(name) = v`
    option_names: Mapping[tuple[int, ...], str] = field(default_factory=dict)
    # options path + extension number -> statements as written (see _option_statements)
    option_statements: Mapping[tuple[int, ...], tuple[tuple[str, str, str] | None, ...]] = field(
        default_factory=dict)
    defaults: Mapping[tuple[int, ...], str] = field(default_factory=dict)  # field path -> token



_MAP_ENTRY_OPTION = re.compile(r"\boption\s+map_entry\s*=\s*true\s*;")


def blank_map_entry_options(text: str) -> tuple[str, list[int]]:
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


def restore_map_entries(
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


def written_hints(fdp: descriptor_pb2.FileDescriptorProto, text: str) -> TypeHints:
    """Type names as written (per field/method path) and whether `syntax` was written."""
    lines = text.split("\n")
    types: dict[tuple[int, ...], str] = {}
    extendees: dict[tuple[int, ...], str] = {}
    statements: dict[tuple[int, ...], list[tuple[int, list[int]]]] = {}
    bounds: dict[tuple[int, ...], list[list[int]]] = {}
    syntax_written = False
    # parent path -> its children's numbers in the order first seen (a dict: ordered, O(1) lookup)
    children: dict[tuple[int, ...], dict[int, None]] = {}
    option_names: dict[tuple[int, ...], str] = {}
    defaults: dict[tuple[int, ...], str] = {}
    repeated: set[tuple[int, ...]] = set()
    # (path, span) of every location, read out of the descriptor once (slicing is the fast read)
    locations = [(tuple(loc.path[:]), tuple(loc.span[:])) for loc in fdp.source_code_info.location]
    done: set[tuple[int, ...]] = set()  # paths of the locations handled so far
    for path, span in locations:
        parent = path[:-1]
        if parent not in done:  # (else handling the parent taught every ancestor already)
            for k in range(len(path) - 1):  # every ancestor learns the order of its children
                ancestor = children.setdefault(path[:k], {})
                if path[k] not in ancestor:
                    ancestor[path[k]] = None
        done.add(path)
        if path:
            seen = children.setdefault(parent, {})
            if path[-1] not in seen:
                seen[path[-1]] = None
                if path[-1] >= 1000:  # extension numbers of options messages
                    name = _written_option_name(_slice(lines, list(span)) or "")
                    if name:
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
        elif len(path) > 3 and path[-1] in (1, 2) and _is_range_statement(path[:-2]):
            bounds.setdefault(path[:-1], []).append(list(span))
        if path == (12,):
            syntax_written = True
        elif path and path[-1] == 7 and _is_field_path(path[:-1]):
            m = _DEFAULT.match(_slice(lines, list(span)) or "")
            if m:
                defaults[path[:-1]] = m.group(1)
        elif _is_type_path(path) or _is_extendee_path(path):
            written = _slice(lines, list(span))
            if written:
                table = types if _is_type_path(path) else extendees
                is_method = len(path) == 5 and path[0] == 6
                table[path if is_method else path[:-1]] = _tidy_type(written)
    written_ranges = frozenset(p for p, spans in bounds.items() if len(spans) == 2
                               and spans[0] != spans[1])
    frozen = {k: tuple((f, tuple(i)) for f, i in v) for k, v in statements.items()}
    order = {k: tuple(v) for k, v in children.items()}
    option_names = {k: v for k, v in option_names.items() if k not in repeated}
    return TypeHints(types, syntax_written, extendees, frozen, written_ranges, order, option_names,
                     _option_statements(locations, lines), defaults)


# A proto2 default written as a bare token (number, inf, enum name); strings are
# re-escaped from the descriptor instead.
_DEFAULT = re.compile(r"\s*(?:default\s*=\s*)?([-+]?[\w.]+)\s*\Z")


_OPTION_START = re.compile(r"\s*(?:option\s+)?\(")
_SIMPLE_OPTION = re.compile(
    r"\s*(?:option\s+)?\(\s*(?P<name>\.?[A-Za-z_][\w.]*)\s*\)"
    r"(?P<suffix>(?:\s*\.\s*[A-Za-z_]\w*)*)\s*=\s*"
    r"(?P<value>(?:\"(?:[^\"\\\n]|\\.)*\"\s*|'(?:[^'\\\n]|\\.)*'\s*)+|[-+]?[\w.]+)\s*;?\s*",
    re.S,
)


def _option_statements(
    locations: list[tuple[tuple[int, ...], tuple[int, ...]]], lines: list[str]
) -> dict[tuple[int, ...], tuple[tuple[str, str, str] | None, ...]]:
    """Custom option statements as written, per options path + extension number.

    Each is (name, `.sub.field` suffix, value literal) when it sets one scalar, like
    `(confluent.field_meta).tags = "PII"`, or None when it is anything else (an
    aggregate `{...}` value), in which case the formatter writes the merged value.
    """
    recorded: set[tuple[int, ...]] | None = None  # every location's path, once needed
    found: dict[tuple[int, ...], list[tuple[str, str, str] | None]] = {}
    seen: set[tuple[tuple[int, ...], tuple[int, ...]]] = set()
    for path, span in locations:
        if (path, span) in seen:
            continue
        seen.add((path, span))
        if max(path[1:], default=0) < 1000:
            continue  # no extension number in the path: not a custom option (see _option_key)
        if recorded is None:
            recorded = {p for p, _ in locations}
        key = _option_key(path, recorded)
        if key is None:
            continue
        written = _slice(lines, list(span)) or ""
        if not _OPTION_START.match(written):
            continue
        m = _SIMPLE_OPTION.fullmatch(written)
        statement = None
        if m:
            suffix = re.sub(r"\s+", "", m.group("suffix"))
            statement = (m.group("name"), suffix, m.group("value").strip())
        found.setdefault(key, []).append(statement)
    return {k: tuple(v) for k, v in found.items()}


def _option_key(path: tuple[int, ...], recorded: set[tuple[int, ...]]) -> tuple[int, ...] | None:
    """The options path + extension number a custom option statement's location belongs to."""
    for k in range(len(path) - 1, 0, -1):
        if path[:k] in recorded and path[k] >= 1000:  # options extensions start at 1000
            return path[:k + 1]
    return None


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
    if not path or path[-1] not in (9, 10, 5, 4):
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
    return bool(path) and path[-1] == 6 and _is_field_path(path[:-1])


def _is_field_path(body: tuple[int, ...]) -> bool:
    """A field or extension: (7, i), (4, i, [3, j]*, 2|6, k)."""
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
    if line.isascii() and "\t" not in line:  # the usual line: columns are indexes
        return min(col, len(line))
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

"""Map a checker's schema path (JSON Pointer, `#/Message/3`) to line:column in the file.

Best effort: the deepest part of the path that exists in the new file is
reported, and nothing when no part does; a wrong line is worse than none.
"""

from __future__ import annotations

import json
import re

_WS = " \t\r\n"
_NUMBER_CHARS = "+-0123456789.eE"
_ERROR_POSITIONS = (re.compile(r"line (\d+),? column (\d+)"), re.compile(r":(\d+):(\d+)"))


def json_positions(text: str) -> dict[tuple[str, ...], int]:
    """Offset of every value in a JSON document, keyed by its pointer segments."""
    out: dict[tuple[str, ...], int] = {}
    n = len(text)

    def skip(i: int) -> int:
        while i < n and text[i] in _WS:
            i += 1
        return i

    def string_end(i: int) -> int:          # i at the opening quote; returns index after closing quote
        i += 1
        while i < n:
            c = text[i]
            if c == "\\":
                i += 2
                continue
            if c == '"':
                return i + 1
            i += 1
        raise ValueError("unterminated string")

    def value(i: int, path: tuple[str, ...]) -> int:
        i = skip(i)
        out[path] = i
        if i >= n:
            raise ValueError("unexpected end")
        c = text[i]
        if c == "{":
            i = skip(i + 1)
            if i < n and text[i] == "}":
                return i + 1
            while True:
                i = skip(i)
                end = string_end(i)
                key = json.loads(text[i:end])
                i = skip(end)
                if text[i] != ":":
                    raise ValueError("expected ':'")
                i = skip(value(i + 1, path + (key,)))
                if text[i] == ",":
                    i += 1
                    continue
                if text[i] == "}":
                    return i + 1
                raise ValueError("expected ',' or '}'")
        if c == "[":
            i = skip(i + 1)
            if i < n and text[i] == "]":
                return i + 1
            k = 0
            while True:
                i = skip(value(i, path + (str(k),)))
                k += 1
                if text[i] == ",":
                    i += 1
                    continue
                if text[i] == "]":
                    return i + 1
                raise ValueError("expected ',' or ']'")
        if c == '"':
            return string_end(i)
        j = i
        while j < n and (text[j] in _NUMBER_CHARS or text[j].isalpha()):
            j += 1
        if j == i:
            raise ValueError(f"unexpected character {c!r}")
        return j

    try:
        value(0, ())
    except (ValueError, IndexError):
        pass                                # keep what was mapped before the problem
    return out


def line_col(text: str, offset: int) -> tuple[int, int]:
    line = text.count("\n", 0, offset) + 1
    return line, offset - (text.rfind("\n", 0, offset) + 1) + 1


def locate_json_pointer(text: str, path: str) -> tuple[int, int] | None:
    """Position of the deepest existing prefix of `path` (`/fields/1`, `#/properties/a`)."""
    segments = [s.replace("~1", "/").replace("~0", "~") for s in path.lstrip("#").split("/") if s]
    if not segments:
        return None
    positions = json_positions(text)
    for k in range(len(segments), 0, -1):
        offset = positions.get(tuple(segments[:k]))
        if offset is not None:
            return line_col(text, offset)
    return None


def translate_avro_path(old_text: str, new_text: str, path: str) -> str | None:
    """The same place in the new file for a path into the old one, matching fields by name."""
    try:
        old, new = json.loads(old_text), json.loads(new_text)
    except ValueError:
        return None
    segments = [s for s in path.split("/") if s]
    out: list[str] = []
    i = 0
    while i < len(segments):
        seg = segments[i]
        if seg == "fields" and i + 1 < len(segments) and isinstance(old, dict) and isinstance(new, dict):
            try:
                name = old["fields"][int(segments[i + 1])].get("name")
                j = next(k for k, f in enumerate(new.get("fields", [])) if f.get("name") == name)
            except (KeyError, IndexError, ValueError, TypeError, AttributeError, StopIteration):
                break
            old, new = old["fields"][int(segments[i + 1])], new["fields"][j]
            out += ["fields", str(j)]
            i += 2
            continue
        try:
            old = old[int(seg)] if isinstance(old, list) else old[seg]
            new = new[int(seg)] if isinstance(new, list) else new[seg]
        except (KeyError, IndexError, ValueError, TypeError):
            break
        out.append(seg)
        i += 1
    return "/" + "/".join(out) if out else None


def _block_end(text: str, open_brace: int) -> int:
    depth = 0
    for i in range(open_brace, len(text)):
        if text[i] == "{":
            depth += 1
        elif text[i] == "}":
            depth -= 1
            if depth == 0:
                return i
    return len(text)


def locate_proto_path(text: str, path: str) -> tuple[int, int] | None:
    """Position for `#/Outer/Inner/3`: the field numbered 3 inside message Inner of Outer."""
    segments = [s for s in path.lstrip("#").split("/") if s]
    if not segments:                       # the file as a whole: point at its package line
        m = re.search(r"^[ \t]*package\b", text, re.M)
        return None if m is None else line_col(text, m.start() + len(m.group(0)) - len(m.group(0).lstrip()))
    start, end, found = 0, len(text), None
    for seg in segments:
        if seg.isdigit():
            m = re.compile(rf"=\s*{seg}\s*[;\[]").search(text, start, end)
            if m:
                line_start = text.rfind("\n", 0, m.start()) + 1
                indent = len(text[line_start:m.start()]) - len(text[line_start:m.start()].lstrip())
                found = line_start + indent
            break
        m = re.compile(rf"\b(?:message|enum)\s+{re.escape(seg)}\s*\{{").search(text, start, end)
        if m is None:
            break
        found = m.start()
        start, end = m.end() - 1, _block_end(text, m.end() - 1)
    return None if found is None else line_col(text, found)


def locate(schema_type: str, text: str, path: str | None) -> tuple[int, int] | None:
    if not path:
        return None
    try:
        if schema_type == "PROTOBUF":
            return locate_proto_path(text, path)
        return locate_json_pointer(text, path)
    except (ValueError, IndexError, RecursionError):
        return None


def error_position(message: str) -> tuple[int, int] | None:
    """line:column a parser put in its error message, if any."""
    for pattern in _ERROR_POSITIONS:
        m = pattern.search(message)
        if m:
            return int(m.group(1)), int(m.group(2))
    return None

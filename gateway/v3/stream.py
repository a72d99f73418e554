"""Splits a v3 produce body, a stream of concatenated JSON objects, into objects as bytes arrive.

Objects may be separated by whitespace or nothing. A parse error is final (the
stream is closed after its error line, as Confluent does); an incomplete object
waits for more bytes. Re-parsing a large incomplete object is backed off
geometrically so a big body costs linear time.
"""

from __future__ import annotations

import codecs
import json
import re
from dataclasses import dataclass
from typing import Any

_WS = re.compile(r"[ \t\r\n]*")
_BACKOFF_FROM = 64 * 1024  # smaller pending objects are retried on every chunk (interactive streams)


def _no_constants(name: str) -> Any:
    raise ValueError(f"Non-standard token '{name}'")


_DECODER = json.JSONDecoder(parse_constant=_no_constants)


@dataclass(frozen=True)
class ParseFailure:
    message: str


class ObjectStream:
    def __init__(self) -> None:
        self._utf8 = codecs.getincrementaldecoder("utf-8")()
        self._buf = ""
        self._retry_at = 0
        self.failed = False

    def feed(self, chunk: bytes) -> list[Any]:
        """Objects (or one final ParseFailure) completed by `chunk`."""
        return self._drain(chunk, final=False)

    def close(self) -> list[Any]:
        """What is left once the body has ended: objects, or a ParseFailure for a truncated one."""
        return self._drain(b"", final=True)

    def _drain(self, chunk: bytes, final: bool) -> list[Any]:
        if self.failed:
            return []
        try:
            self._buf += self._utf8.decode(chunk, final)
        except UnicodeDecodeError as exc:
            self.failed = True
            return [ParseFailure(f"Invalid UTF-8 middle byte in request body: {exc.reason}")]
        if not final and len(self._buf) < self._retry_at:
            return []
        out: list[Any] = []
        buf, pos, end = self._buf, 0, len(self._buf)
        while True:
            pos = _WS.match(buf, pos).end()  # type: ignore[union-attr]
            if pos >= end:
                break
            try:
                obj, stop = _DECODER.raw_decode(buf, pos)
            except RecursionError:
                self.failed = True
                out.append(ParseFailure("JSON nests too deeply"))
                break
            except ValueError as exc:
                if not final:
                    pending = end - pos
                    self._retry_at = 2 * pending if pending > _BACKOFF_FROM else 0
                    break
                self.failed = True
                out.append(ParseFailure(_message(exc)))
                break
            if stop >= end and not final and not isinstance(obj, (dict, list, str)):
                break  # a bare number may continue in the next chunk
            out.append(obj)
            pos = stop
        self._buf = buf[pos:] if pos < end else ""
        if pos >= end:
            self._retry_at = 0
        return out


def _message(exc: ValueError) -> str:
    if isinstance(exc, json.JSONDecodeError):
        return f"Unexpected character in JSON: {exc.msg} (line {exc.lineno}, column {exc.colno})"
    return f"Unexpected character in JSON: {exc}"

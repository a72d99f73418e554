"""Splits a v3 produce body, a stream of concatenated JSON objects, into objects as bytes arrive.

Objects may be separated by whitespace or nothing. A parse error is final (the stream is
closed after its error line, as Confluent does); an incomplete object waits for more bytes.

Fast path: cut the buffer at `}{` boundaries (whitespace allowed between) and parse each piece
with orjson. A cut inside a string leaves a piece with an unterminated string, which cannot
parse, so any failure falls back to the exact path: the stdlib scanner's `raw_decode`, object
by object. Re-parsing a large incomplete object is backed off geometrically, so a big body
costs linear time.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any

import orjson

from gateway.http import BIG_INT

_BOUNDARY = re.compile(rb"\}[ \t\r\n]*\{")
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
        self._buf = b""
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
        self._buf += chunk
        if not final and len(self._buf) < self._retry_at:
            return []
        if not self._buf.strip():
            self._buf = b""
            return []
        fast = None if BIG_INT.search(self._buf) else self._fast(final)  # orjson would round big integers
        return fast if fast is not None else self._exact(final)

    def _fast(self, final: bool) -> list[Any] | None:
        """orjson over `}{`-separated pieces; None when anything does not parse (the exact path decides)."""
        parts = _BOUNDARY.split(self._buf)
        last = len(parts) - 1
        out: list[Any] = []
        loads = orjson.loads
        try:
            for i, part in enumerate(parts):
                piece = (b"" if i == 0 else b"{") + part + (b"" if i == last else b"}")
                if i < last:
                    out.append(loads(piece))
                    continue
                try:
                    out.append(loads(piece))
                except orjson.JSONDecodeError:
                    if final:
                        return None
                    self._buf = piece  # the last object is still arriving
                    self._backoff(len(piece))
                    return out
        except orjson.JSONDecodeError:
            return None
        self._buf = b""
        self._retry_at = 0
        return out

    def _backoff(self, pending: int) -> None:
        self._retry_at = 2 * pending if pending > _BACKOFF_FROM else 0

    def _exact(self, final: bool) -> list[Any]:
        raw = self._buf
        try:
            buf = raw.decode("utf-8")
            tail = b""
        except UnicodeDecodeError as exc:
            if final or exc.start < len(raw) - 3:
                self.failed = True
                return [ParseFailure(f"Invalid UTF-8 in request body: {exc.reason}")]
            buf, tail = raw[:exc.start].decode("utf-8"), raw[exc.start:]  # a character split by the chunk
        out: list[Any] = []
        pos, end = 0, len(buf)
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
                    self._backoff(end - pos)
                    break
                self.failed = True
                out.append(ParseFailure(_message(exc)))
                break
            if stop >= end and not final and not isinstance(obj, (dict, list, str)):
                break  # a bare number may continue in the next chunk
            out.append(obj)
            pos = stop
        self._buf = buf[pos:].encode("utf-8") + tail if pos < end else tail
        if pos >= end:
            self._retry_at = 0
        return out


def _message(exc: ValueError) -> str:
    if isinstance(exc, json.JSONDecodeError):
        return f"Unexpected character in JSON: {exc.msg} (line {exc.lineno}, column {exc.colno})"
    return f"Unexpected character in JSON: {exc}"

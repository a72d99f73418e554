"""The v3 body splitter: any chunking of concatenated JSON objects gives the same objects; errors are final."""

from __future__ import annotations

import json
import random

import pytest

from gateway.v3.stream import ObjectStream, ParseFailure

OBJECTS = [{"a": "x}{y", "b": [1, {"c": "}\n{"}]}, {"v": "é"}, {}, {"n": 1234567890123, "s": "\\\"}{"}]


def run(chunks: list[bytes]) -> list:
    stream = ObjectStream()
    out: list = []
    for chunk in chunks:
        out += stream.feed(chunk)
    return out + stream.close()


@pytest.mark.parametrize("seed", range(40))
def test_any_chunking_gives_the_same_objects(seed: int) -> None:
    rng = random.Random(seed)
    body = b"".join(json.dumps(o, ensure_ascii=rng.random() < 0.5).encode() + rng.choice([b"", b" ", b"\r\n"])
                    for o in OBJECTS)
    cuts = sorted(rng.sample(range(1, len(body)), rng.randint(0, 8)))
    chunks = [body[i:j] for i, j in zip([0, *cuts], [*cuts, len(body)])]
    assert run(chunks) == OBJECTS


def test_each_complete_object_is_answered_without_waiting() -> None:
    stream = ObjectStream()
    assert stream.feed(b'{"a":1}') == [{"a": 1}]
    assert stream.feed(b'{"b":') == []
    assert stream.feed(b"2}") == [{"b": 2}]
    assert stream.close() == []


@pytest.mark.parametrize("body,objects", [
    (b'{"a":1} {"b":', [{"a": 1}]),
    (b'{"a":1} ]{"b":2}', [{"a": 1}]),
    (b'{"a":NaN}', []),
    (b'\xff{"a":1}', []),
])
def test_a_malformed_body_ends_with_one_failure(body: bytes, objects: list) -> None:
    out = run([body])
    assert out[:-1] == objects
    assert isinstance(out[-1], ParseFailure)


def test_non_object_values_are_passed_on_for_binding_errors() -> None:
    assert run([b'[1,2]{"a":1} 5']) == [[1, 2], {"a": 1}, 5]

"""The embedded log's batch encoding: every record comes back as it went in, whatever mix of nulls,
empty bytes, headers and timestamps a batch holds; oversized records are refused alone."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from gateway.log.base import Record
from gateway.log.embedded_batches import decode, encode_records, encode_rows, pack_headers, sizes, unpack

_bytes = st.one_of(st.none(), st.binary(max_size=40))
_headers = st.lists(st.tuples(st.text(max_size=5), _bytes), max_size=3).map(tuple)
_record = st.builds(Record, _bytes, _bytes, _headers, st.one_of(st.none(), st.integers(-1, 2 ** 62)))


def _size(r: Record) -> int:
    return len(r.key or b"") + len(r.value or b"") + len(pack_headers(r.headers) or b"")


@given(st.lists(_record, max_size=12), st.sampled_from([10 ** 6, 60, 20, 0]), st.integers(0, 13), st.integers(0, 13))
def test_records_round_trip_and_oversized_ones_are_refused_alone(records: list[Record], limit: int,
                                                                 skip: int, count: int) -> None:
    blob, n, maxts, total, refused = encode_records(records, 777, limit)
    bad = {i for i, _ in refused}
    assert all(_size(records[i]) == size > limit for i, size in refused)
    kept = [r for i, r in enumerate(records) if i not in bad]
    assert all(_size(r) <= limit for r in kept) and n == len(kept)
    if not kept:
        assert blob is None
        return
    assert blob is not None
    expected = [(777 if r.timestamp is None else r.timestamp, r.key, r.value, pack_headers(r.headers)) for r in kept]
    assert decode(blob) == expected
    assert decode(blob, skip, count) == expected[skip:skip + count]
    assert maxts == max(e[0] for e in expected) and total == sum(map(_size, kept))
    count_, stamps, lens, _ = unpack(blob)
    assert count_ == n and list(stamps) == [e[0] for e in expected] and sizes(n, lens) == [_size(r) for r in kept]
    assert decode(encode_rows(expected)) == expected


def test_one_timestamp_is_stored_once() -> None:
    same = encode_records([Record(None, b"v")] * 50, 5, None)[0]
    mixed = encode_records([Record(None, b"v", timestamp=i) for i in range(50)], 5, None)[0]
    assert same is not None and mixed is not None and len(mixed) - len(same) == 49 * 8

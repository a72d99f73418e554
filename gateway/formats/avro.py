"""Avro data in Avro's JSON encoding (unions as {"type": value}), validated and encoded in one pass.

The schema is compiled once per schema id (gateway.formats.avro_gen) into Python functions that
write Avro binary straight from the parsed JSON: no intermediate objects, and a failure knows
its field path. Type errors are worded like Avro's JsonDecoder (`Expected string. Got
VALUE_NUMBER_INT`), which is what Confluent's REST Proxy reports.
"""

from __future__ import annotations

from typing import Any

from gateway.formats import FormatError
from gateway.formats.avro_gen import Generator
from serde.wire import id_prefix


class AvroCodec:
    """Encodes Avro JSON for one registered schema id, framed as 0x00 + id + Avro binary."""

    schema_type = "AVRO"

    def __init__(self, schema_id: int, parsed: Any) -> None:
        self.schema_id = schema_id
        self.prefix = id_prefix(schema_id)
        self.enc = Generator().build(parsed.resolved_json)

    def encode(self, data: Any) -> bytes:
        out = bytearray(self.prefix)
        try:
            self.enc(data, out)
        except FormatError:
            raise
        except RecursionError:
            raise FormatError("Record nests too deeply") from None
        except (ValueError, TypeError, OverflowError, UnicodeError) as exc:
            raise FormatError(str(exc)) from None
        return bytes(out)

"""The schema types this registry serves: each a parser from serde plus a checker.

The core looks types up here by name and never branches on them.
"""

from __future__ import annotations

from dataclasses import dataclass

from registry.compat.avro import check_avro
from registry.compat.base import Checker
from registry.compat.json_schema import check_json
from registry.compat.protobuf import check_protobuf
from serde.schemas.avro import AVRO
from serde.schemas.base import SchemaType
from serde.schemas.json_schema import JSON_SCHEMA
from serde.schemas.protobuf import PROTOBUF


@dataclass(frozen=True)
class TypePlugin:
    schema_type: SchemaType
    check: Checker


def default_types() -> dict[str, TypePlugin]:
    """Confluent's order of GET /schemas/types."""
    return {
        "JSON": TypePlugin(JSON_SCHEMA, check_json),
        "PROTOBUF": TypePlugin(PROTOBUF, check_protobuf),
        "AVRO": TypePlugin(AVRO, check_avro),
    }

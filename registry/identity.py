"""The schema "guid": Confluent's MD5 identity over text, references, metadata and rules.

Two registrations are the same schema exactly when their guids match, so this must
agree byte for byte with Confluent (golden vectors in tests/unit/test_identity.py).
"""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import Iterable, Mapping
from typing import Any


def _rule_bytes(rule: Mapping[str, Any]) -> Iterable[bytes]:
    for key in ("name", "doc", "kind", "mode", "type"):
        if rule.get(key) is not None:
            yield str(rule[key]).encode()
    for tag in sorted(rule.get("tags") or ()):
        yield tag.encode()
    for key, value in sorted((rule.get("params") or {}).items()):
        yield key.encode() + str(value).encode()
    for key in ("expr", "onSuccess", "onFailure"):
        if rule.get(key) is not None:
            yield str(rule[key]).encode()
    if rule.get("disabled"):
        yield b"\x01"


def schema_guid(
    text: str,
    references: Iterable[Mapping[str, Any]] = (),
    metadata: Mapping[str, Any] | None = None,
    rule_set: Mapping[str, Any] | None = None,
) -> str:
    md5 = hashlib.md5(text.encode())
    for ref in references:
        md5.update(ref["name"].encode())
        md5.update(ref["subject"].encode())
        md5.update(int(ref["version"]).to_bytes(4, "big", signed=True))
    if metadata is not None:
        md5.update(b"\x01")
        for key, values in sorted((metadata.get("tags") or {}).items()):
            md5.update(key.encode())
            for value in sorted(values):
                md5.update(value.encode())
        for key, value in sorted((metadata.get("properties") or {}).items()):
            md5.update(key.encode())
            md5.update(str(value).encode())
        for value in sorted(metadata.get("sensitive") or ()):
            md5.update(value.encode())
    if rule_set is not None:
        md5.update(b"\x01")
        for kind in ("migrationRules", "domainRules", "encodingRules"):
            for rule in rule_set.get(kind) or ():
                for chunk in _rule_bytes(rule):
                    md5.update(chunk)
        if rule_set.get("enableAt") is not None:
            md5.update(str(rule_set["enableAt"]).encode())
    return str(uuid.UUID(bytes=md5.digest()))

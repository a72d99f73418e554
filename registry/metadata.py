"""Schema metadata ("data contracts"): Confluent's value semantics for `metadata`.

Metadata is a value of three sorted parts: tags (name -> set of tags), properties
(name -> string) and sensitive (set of names). An empty part is the same as a missing
one, but `{}` is not the same as no metadata at all: it is part of the identity hash.
"""

from __future__ import annotations

from typing import Any

Metadata = dict[str, Any]

VERSION = "confluent:version"
RESERVED = "confluent:reserved"


def is_valid(metadata: Any) -> bool:
    """The shape Jackson can read into Confluent's `Metadata`."""
    if not isinstance(metadata, dict):
        return False
    tags, props, sensitive = metadata.get("tags"), metadata.get("properties"), metadata.get("sensitive")
    return ((tags is None or (isinstance(tags, dict) and all(_strings(v) for v in tags.values())))
            and (props is None or (isinstance(props, dict) and all(isinstance(v, str) for v in props.values())))
            and (sensitive is None or _strings(sensitive)))


def _strings(value: Any) -> bool:
    return isinstance(value, list) and all(isinstance(v, str) for v in value)


def canonical(metadata: Any) -> Metadata | None:
    """Sorted parts, empty parts left out (as Jackson writes them); None stays None."""
    if metadata is None:
        return None
    out: Metadata = {}
    tags = metadata.get("tags") or {}
    if tags:
        out["tags"] = {k: sorted(set(v)) for k, v in sorted(tags.items())}
    props = metadata.get("properties") or {}
    if props:
        out["properties"] = dict(sorted(props.items()))
    sensitive = metadata.get("sensitive") or ()
    if sensitive:
        out["sensitive"] = sorted(set(sensitive))
    return out


def merge(old: Metadata | None, new: Metadata | None) -> Metadata | None:
    """`Metadata.mergeMetadata`: part by part, the new part's entries over the old part's."""
    if old is None:
        return new
    if new is None:
        return old
    out: Metadata = {}
    for part in ("tags", "properties"):
        merged = {**(old.get(part) or {}), **(new.get(part) or {})}
        if merged:
            out[part] = merged
    sensitive = set(old.get("sensitive") or ()) | set(new.get("sensitive") or ())
    if sensitive:
        out["sensitive"] = sensitive
    return canonical(out)


def with_config(config: dict[str, Any], specific: Metadata | None) -> Metadata | None:
    """The config's defaultMetadata beneath, overrideMetadata on top (`maybeSetMetadataRuleSet`)."""
    return merge(merge(canonical(config.get("defaultMetadata")), specific),
                 canonical(config.get("overrideMetadata")))


def has_defaults(config: dict[str, Any]) -> bool:
    """Confluent skips its early idempotent lookup when the config may change the metadata."""
    return any(config.get(k) is not None
               for k in ("defaultMetadata", "overrideMetadata", "defaultRuleSet", "overrideRuleSet"))


def version_of(metadata: Metadata | None) -> str | None:
    return ((metadata or {}).get("properties") or {}).get(VERSION)


def _version_number(metadata: Metadata | None) -> int | None:
    text = version_of(metadata)
    try:
        return int(text) if text is not None else None
    except ValueError:
        return None


def with_version(metadata: Metadata | None, version: int) -> Metadata:
    out = dict(metadata or {})
    out["properties"] = {**(out.get("properties") or {}), VERSION: str(version)}
    return canonical(out)  # type: ignore[return-value]


def without_version(metadata: Metadata | None) -> Metadata | None:
    if metadata is None or VERSION not in (metadata.get("properties") or {}):
        return metadata
    props = {k: v for k, v in metadata["properties"].items() if k != VERSION}
    return canonical({**metadata, "properties": props})


def same_for_lookup(mine: Metadata | None, stored: Metadata | None, stored_version: int) -> bool:
    """The metadata half of `canLookupIgnoringVersion`: a `confluent:version` on one side only
    is a wildcard, except that one sent by the client must name the stored version."""
    my_number, stored_number = _version_number(mine), _version_number(stored)
    if my_number is None and stored_number is not None:
        return (mine if mine is not None else {}) == without_version(stored)
    if my_number is not None and stored_number is None:
        return my_number == stored_version and without_version(mine) == (stored if stored is not None else {})
    return mine == stored


def reserved_fields(metadata: Metadata | None) -> set[str]:
    text = ((metadata or {}).get("properties") or {}).get(RESERVED)
    return {name.strip() for name in text.split(",") if name.strip()} if text else set()

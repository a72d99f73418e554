"""Resolve references within the file set and parse schemas, each distinct text once.

A version source (`text_of`) says which text each subject had at the point in
history being checked, so an old schema is parsed with its references as they
were then.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from functools import lru_cache

from registry.types import TypePlugin, default_types
from schemawire.ci.config import SubjectConfig
from schemawire.ci.findings import CIError
from serde.errors import SchemaParseError
from serde.schemas.base import ParsedSchema

TextOf = Callable[[SubjectConfig], "str | None"]


@lru_cache(maxsize=1)
def plugins() -> dict[str, TypePlugin]:
    return default_types()


def plugin(schema_type: str) -> TypePlugin:
    found = plugins().get(schema_type)
    if found is None:
        raise CIError(f"schema type {schema_type} is not available in this installation")
    return found


def dependencies(sub: SubjectConfig, by_subject: Mapping[str, SubjectConfig], text_of: TextOf) -> dict[str, str]:
    """Reference name -> text, transitive, dependencies before dependants, each name once."""
    out: dict[str, str] = {}

    def walk(s: SubjectConfig, visiting: tuple[str, ...]) -> None:
        for ref in s.references:
            if ref.name in out:
                continue
            dep = by_subject.get(ref.subject)
            if dep is None:
                raise CIError(f"{s.display}: reference {ref.name} names subject {ref.subject}, "
                              "which is not in the file set")
            if dep.subject in visiting:
                raise CIError(f"circular references through {dep.subject}")
            walk(dep, visiting + (dep.subject,))
            text = text_of(dep)
            out[ref.name] = text if text is not None else dep.read()

    walk(sub, (sub.subject,))
    return out


@lru_cache(maxsize=8192)
def _parse(schema_type: str, text: str, deps: tuple[tuple[str, str], ...], validate: bool) -> ParsedSchema:
    return plugin(schema_type).schema_type.parse(text, dict(deps), validate=validate)


def parse(schema_type: str, text: str, deps: Mapping[str, str], *, validate: bool) -> ParsedSchema:
    """Parse once per distinct (text, references); raises SchemaParseError with a readable reason."""
    try:
        return _parse(schema_type, text, tuple(deps.items()), validate)
    except SchemaParseError:
        raise
    except RecursionError:
        raise SchemaParseError("schema nested too deeply") from None
    except (ValueError, TypeError, KeyError) as exc:
        raise SchemaParseError(f"{type(exc).__name__}: {exc}") from None

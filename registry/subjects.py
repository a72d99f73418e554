"""Qualified subject names (`:.ctx:name`) and the rules for valid ones."""

from __future__ import annotations

DEFAULT_CONTEXT = "."
GLOBAL_CONTEXT = ".__GLOBAL"
GLOBAL_SCOPE = "__GLOBAL"  # the config/mode key of the top level; not a valid subject


def split(subject: str) -> tuple[str, str]:
    """`:.ctx:name` -> (".ctx", "name"); an unqualified name is in the default context."""
    if subject.startswith(":.") and ":" in subject[2:]:
        ctx, _, name = subject[1:].partition(":")
        return ctx, name
    return DEFAULT_CONTEXT, subject


def qualify(ctx: str, name: str) -> str:
    return name if ctx == DEFAULT_CONTEXT else f":{ctx}:{name}"


def normalize(subject: str) -> str:
    """The stored spelling: the default context written out (`:.:x`) is just `x`."""
    ctx, name = split(subject)
    return qualify(ctx, name)


def context_scope(ctx: str) -> str:
    """The config/mode key of a whole context."""
    return GLOBAL_SCOPE if ctx == DEFAULT_CONTEXT else f":{ctx}:"


def is_valid(subject: str, *, for_config: bool = False) -> bool:
    """Confluent's `QualifiedSubject.isValidSubject`."""
    if any(ord(c) < 0x20 or 0x7F <= ord(c) <= 0x9F for c in subject):
        return False
    ctx, name = split(subject)
    if ctx == DEFAULT_CONTEXT and name in ("__GLOBAL", "__EMPTY"):
        return False
    if ctx == GLOBAL_CONTEXT and not for_config:
        return False
    return True


def matches_prefix(subject: str, prefix: str) -> bool:
    """`subjectPrefix` semantics: `:*:` spans contexts; an unqualified prefix means the default one."""
    if prefix.startswith(":*:"):
        return split(subject)[1].startswith(prefix[3:])
    if prefix.startswith(":.") and ":" in prefix[2:]:
        return subject.startswith(prefix) or (prefix.startswith(":.:") and split(subject)[0] == DEFAULT_CONTEXT
                                               and subject.startswith(prefix[3:]))
    return split(subject)[0] == DEFAULT_CONTEXT and subject.startswith(prefix)

"""Compatibility config and modes: Confluent's scopes, defaults and quirks.

A mixin of the Registry: it reads `self.state`, writes through `self._write` and
takes `self.default_level` for scopes that name no level.
"""

from __future__ import annotations

from typing import Any

from registry import errors
from registry import metadata as md
from registry import subjects as subj
from registry.compat.levels import LEVELS
from registry.store.base import ConfigRecord, ModeRecord, Record, VersionRemoved

MODES = ("READWRITE", "READONLY", "READONLY_OVERRIDE", "IMPORT", "FORWARD")
# PUT /config keys and the JSON type each takes; GET answers "compatibilityLevel" for "compatibility".
CONFIG_TYPES: dict[str, type | tuple[type, ...]] = {
    "compatibility": str, "alias": str, "normalize": bool, "validateFields": bool,
    "validateNewSchemas": bool, "validateRules": bool, "compatibilityPolicy": str,
    "compatibilityGroup": str, "defaultMetadata": dict, "overrideMetadata": dict,
    "defaultRuleSet": dict, "overrideRuleSet": dict}


class Settings:
    def _stored_config(self, scope: str) -> dict[str, Any] | None:
        return self.state.configs.get(scope)

    def _with_level(self, config: dict[str, Any]) -> dict[str, Any]:
        out = {"compatibilityLevel": config.get("compatibilityLevel") or self.default_level.upper()}
        out.update((k, v) for k, v in config.items() if k != "compatibilityLevel" and v is not None)
        return out

    def effective_config(self, subject: str | None) -> dict[str, Any]:
        scopes = []
        if subject is not None:
            ctx, name = subj.split(subject)
            if name:
                scopes.append(subject)
            scopes.append(subj.context_scope(ctx))
        scopes += [subj.GLOBAL_SCOPE, f":{subj.GLOBAL_CONTEXT}:"]
        for scope in dict.fromkeys(scopes):
            config = self._stored_config(scope)
            if config is not None:
                return self._with_level(config)
        return {"compatibilityLevel": self.default_level.upper()}

    def get_config(self, subject: str | None, default_to_global: bool) -> dict[str, Any]:
        scope = self._config_scope(subject)
        if default_to_global:
            return self.effective_config(None if scope == subj.GLOBAL_SCOPE else scope)
        config = self._stored_config(scope)
        if config is not None:
            return self._with_level(config)
        if scope == subj.GLOBAL_SCOPE:
            return {"compatibilityLevel": self.default_level.upper()}
        raise errors.subject_config_not_found(subject or "")

    @staticmethod
    def _config_scope(subject: str | None) -> str:
        """The key a config or mode is stored under; the default context is the top level."""
        if subject is None:
            return subj.GLOBAL_SCOPE
        return subj.normalize(subject) or subj.GLOBAL_SCOPE

    def set_config(self, subject: str | None, update: dict[str, Any]) -> dict[str, Any]:
        if subject is not None and not subj.is_valid(subject, for_config=True):
            raise errors.invalid_subject(subject)
        scope = self._config_scope(subject)
        for key, value in update.items():
            expected = CONFIG_TYPES.get(key)
            if expected is not None and value is not None and (
                    not isinstance(value, expected) or (expected is not bool and isinstance(value, bool))):
                raise errors.HttpError(400, f"Cannot deserialize value {value!r} for config field '{key}'")
        for key in ("defaultMetadata", "overrideMetadata"):
            if update.get(key) is not None and not md.is_valid(update[key]):
                raise errors.HttpError(400, f"Cannot deserialize value {update[key]!r} for config field '{key}'")
        level = update.get("compatibility")
        if level is not None and level.upper() not in LEVELS:
            raise errors.invalid_compatibility_level()
        if self._mode_of(subject) in ("READONLY", "READONLY_OVERRIDE"):
            raise errors.operation_not_permitted(self._readonly_message(subject or ""))
        policy = update.get("compatibilityPolicy")
        if policy is not None and (not isinstance(policy, str) or policy.upper() not in ("STRICT", "LENIENT", "LOGICAL")):
            raise errors.RegistryError("Invalid compatibility policy", status=422, error_code=42203)
        config = dict(self._stored_config(scope) or {})
        for key, value in update.items():
            if key not in CONFIG_TYPES:
                continue  # unknown properties are ignored, "compatibilityLevel" included
            target = "compatibilityLevel" if key == "compatibility" else key
            if value is None:
                config.pop(target, None)
            else:
                config[target] = value.upper() if target in ("compatibilityLevel", "compatibilityPolicy") else value
        self._write([ConfigRecord(scope, config)])
        out = {"compatibility" if k == "compatibilityLevel" else k: v for k, v in config.items()}
        return out

    def delete_config(self, subject: str | None) -> dict[str, Any]:
        scope = self._config_scope(subject)
        old = self._stored_config(scope)
        if old is None:
            if subject is None:
                return self.effective_config(None)
            raise errors.subject_not_found(subject)
        if self._mode_of(subject) in ("READONLY", "READONLY_OVERRIDE"):
            raise errors.operation_not_permitted(self._readonly_message(subject or ""))
        self._write([ConfigRecord(scope, None)])
        return self._with_level(old)

    def _mode_of(self, subject: str | None) -> str:
        """The effective mode (7.x: a global READONLY_OVERRIDE beats every subject mode)."""
        modes = self.state.modes
        top = modes.get(subj.GLOBAL_SCOPE)
        if top == "READONLY_OVERRIDE":
            return top
        if subject is not None:
            subject = subj.normalize(subject)
            ctx, _ = subj.split(subject)
            for scope in (subject, subj.context_scope(ctx)):
                if scope in modes:
                    return modes[scope]
        if top is not None:
            return top
        return modes.get(f":{subj.GLOBAL_CONTEXT}:", "READWRITE")

    def get_mode(self, subject: str | None, default_to_global: bool) -> dict[str, str]:
        if subject is None or default_to_global:
            return {"mode": self._mode_of(subject)}
        mode = self.state.modes.get(subj.normalize(subject))
        if mode is None:
            raise errors.subject_mode_not_found(subject)
        return {"mode": mode}

    def set_mode(self, subject: str | None, mode: Any, *, force: bool) -> dict[str, Any]:
        if subject is not None and not subj.is_valid(subject, for_config=True):
            raise errors.invalid_subject(subject)
        scope = self._config_scope(subject)
        if mode is None:
            self._write([ModeRecord(scope, None)])
            return {"mode": None}
        if not isinstance(mode, str) or mode.upper() not in MODES:
            raise errors.invalid_mode()
        mode = mode.upper()
        if mode == "FORWARD" and subject is not None:
            raise errors.RegistryError("Forward mode only supported on global level", status=422, error_code=42204)
        records: list[Record] = []
        if mode == "IMPORT" and self._mode_of(subject) != "IMPORT" and not force:
            in_scope = [s for s in self.state.subjects if subject is None or s == scope]
            if any(self.state.versions(s) for s in in_scope):
                raise errors.operation_not_permitted("Cannot import since found existing subjects")
            for s in in_scope:
                for v in self.state.versions(s, deleted=True):
                    if self._referrers(s, v.version, deleted=True):
                        raise errors.reference_exists(s, v.version)
                    records.append(VersionRemoved(s, v.version))
        records.append(ModeRecord(scope, mode))
        self._write(records)
        return {"mode": mode}

    def delete_mode(self, subject: str | None) -> dict[str, str]:
        scope = self._config_scope(subject)
        old = self.state.modes.get(scope)
        if old is None:
            if subject is None:
                return {"mode": "READWRITE"}
            raise errors.subject_not_found(subject)
        self._write([ModeRecord(scope, None)])
        return {"mode": old}

    @staticmethod
    def _context_label(subject: str) -> str:
        ctx = subj.split(subject)[0]
        return "" if ctx == subj.DEFAULT_CONTEXT else ctx

    def _readonly_message(self, subject: str) -> str:
        return f"Subject {subject} in context {self._context_label(subject)} is in read-only mode"


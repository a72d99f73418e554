"""The consumer instances of one gateway: create, look up (refreshing idleness), delete, expire.

Why a manager object on the app (not module state): instances, the embedded group coordinator,
the per-schema decoders and the expiry task all belong to one app's lifespan; `shutdown` (called
from the app's lifespan) closes every instance before the log closes. Settings come from
`configure(app, ...)` before the app starts, else from `SCHEMAWIRE_CONSUMER_*` environment
variables, else Confluent's defaults (idle instances expire after 5 minutes).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import time
from typing import Any

from gateway.consumers.config import InstanceConfig, ServerDefaults
from gateway.consumers.errors import InstanceExists, InstanceNotFound
from gateway.consumers.instance import EmbeddedInstance, Instance
from gateway.formats.decode import Decoders
from gateway.groups import GroupCoordinator

log = logging.getLogger("schemawire.gateway.consumers")

CONSUMER_ENV = {"instance_timeout_ms": "SCHEMAWIRE_CONSUMER_INSTANCE_TIMEOUT_MS",
                "request_timeout_ms": "SCHEMAWIRE_CONSUMER_REQUEST_TIMEOUT_MS",
                "fetch_min_bytes": "SCHEMAWIRE_CONSUMER_FETCH_MIN_BYTES",
                "max_bytes": "SCHEMAWIRE_CONSUMER_REQUEST_MAX_BYTES",
                "record_extras": "SCHEMAWIRE_CONSUMER_RECORD_EXTRAS",
                "node_routing": "SCHEMAWIRE_CONSUMER_NODE_ROUTING"}
_FLAGS = ("record_extras", "node_routing")


def _is_kafka(the_log: Any) -> bool:
    return hasattr(the_log, "new_consumer")


class ConsumerManager:
    def __init__(self, the_log: Any, registry_client: Any, defaults: ServerDefaults) -> None:
        self.log = the_log
        self.defaults = defaults
        self.decoders = Decoders(registry_client)
        self.coordinator = None if _is_kafka(the_log) else GroupCoordinator(the_log)
        self.instances: dict[tuple[str, str], Instance] = {}
        self._janitor: asyncio.Task | None = None

    # ---- lifecycle ---------------------------------------------------------------------------

    def _ensure_janitor(self) -> None:
        if self._janitor is None or self._janitor.done():
            self._janitor = asyncio.create_task(self._expire_loop())

    async def _expire_loop(self) -> None:
        interval = min(1.0, self.defaults.instance_timeout_ms / 4000)
        while True:
            await asyncio.sleep(interval)
            try:
                await self.expire_idle()
            except Exception:  # noqa: BLE001 - the janitor must outlive any one failure
                log.exception("consumer expiry pass failed")

    async def expire_idle(self, now: float | None = None) -> int:
        """Close instances idle longer than the instance timeout; their partitions go back to the group."""
        now = time.monotonic() if now is None else now
        limit = self.defaults.instance_timeout_ms / 1000
        gone = [k for k, inst in self.instances.items() if now - inst.last_used > limit and not inst.lock.locked()]
        for key in gone:
            inst = self.instances.pop(key, None)
            if inst is not None:
                await inst.close()
        return len(gone)

    async def close(self) -> None:
        if self._janitor is not None:
            self._janitor.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await self._janitor
        instances, self.instances = list(self.instances.values()), {}
        await asyncio.gather(*(i.close() for i in instances), return_exceptions=True)

    # ---- instances ---------------------------------------------------------------------------

    async def create(self, group: str, cfg: InstanceConfig) -> Instance:
        key = (group, cfg.name)
        if key in self.instances:
            raise InstanceExists()
        inst: Instance
        if self.coordinator is None:
            from gateway.consumers.kafka_instance import KafkaInstance

            inst = KafkaInstance(group, cfg, self.log)
            self.instances[key] = inst  # reserved while the consumer connects
            try:
                await inst.start()  # type: ignore[attr-defined]
            except BaseException:
                self.instances.pop(key, None)
                raise
        else:
            inst = self.instances[key] = EmbeddedInstance(group, cfg, self.log, self.coordinator)
        self._ensure_janitor()
        return inst

    def get(self, group: str, name: str) -> Instance:
        inst = self.instances.get((group, name))
        if inst is None or inst.closed:
            raise InstanceNotFound()
        inst.touch()
        return inst

    async def delete(self, group: str, name: str) -> None:
        inst = self.instances.pop((group, name), None)
        if inst is None:
            raise InstanceNotFound()
        async with inst.lock:
            await inst.close()

    def members(self, group: str) -> list[Instance]:
        return [i for (g, _), i in sorted(self.instances.items()) if g == group]


def configure(app: Any, **settings: int | str | bool) -> None:
    """Consumer settings for `app` (before it starts): instance_timeout_ms, request_timeout_ms,
    fetch_min_bytes, max_bytes, auto_offset_reset, record_extras (opt-in `timestamp` and `headers`
    on consumed records), node_routing (opt-in, see routing.py); the rest keep their defaults."""
    app.state.consumer_settings = dict(settings)


def _defaults(app: Any) -> ServerDefaults:
    settings: dict[str, Any] = {}
    for name, env in CONSUMER_ENV.items():
        if env in os.environ:
            raw = os.environ[env]
            settings[name] = raw.lower() in ("1", "true", "yes") if name in _FLAGS else int(raw)
    settings.update(getattr(app.state, "consumer_settings", {}) or {})
    return ServerDefaults(**settings)


def manager(app: Any) -> ConsumerManager:
    """The app's consumer manager, made on first use inside the lifespan (the gateway state holds it)."""
    gw = app.state.gateway
    found = gw.extra.get("consumers")
    if found is None:
        found = gw.extra["consumers"] = ConsumerManager(gw.log, gw.resolver.client, _defaults(app))
    return found


async def shutdown(app: Any) -> None:
    """Close every consumer instance (from the app's lifespan, before the log closes)."""
    gw = getattr(app.state, "gateway", None)
    found = gw.extra.pop("consumers", None) if gw is not None else None
    if found is not None:
        await found.close()

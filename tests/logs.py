"""Running a log (embedded or Kafka) for one test body: started, used, closed, on its own loop."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

L = TypeVar("L")


def run_log(make: Callable[[], L], body: Callable[[L], Awaitable[Any]]) -> Any:
    async def main() -> Any:
        log: Any = make()
        await log.start()
        try:
            return await body(log)
        finally:
            await log.close()
    return asyncio.run(main())

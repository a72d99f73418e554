"""v2 consumer instances: the manager (create, lookup, expiry), per-log instances and the records fetch.

    from gateway.consumers import configure
    configure(app, instance_timeout_ms=2000)   # before the app starts
"""

from gateway.consumers.manager import ConsumerManager, configure, manager, shutdown

__all__ = ["ConsumerManager", "configure", "manager", "shutdown"]

"""The `schemawire` command: run the services, and the CI checks."""

from __future__ import annotations

import argparse
import os
import signal
import socket
import sys
from pathlib import Path


def _env(name: str, default: str) -> str:
    return os.environ.get(f"SCHEMAWIRE_{name}", default)


def _fail(message: str) -> int:
    print(f"schemawire: {message}", file=sys.stderr)
    return 2


def _check_data_dir(path: Path) -> str | None:
    try:
        path.mkdir(parents=True, exist_ok=True)
        probe = path / ".write-test"
        probe.write_text("")
        probe.unlink()
    except OSError as exc:
        return f"data dir {path} is not writable: {exc.strerror or exc}"
    return None


def _bind(host: str, port: int) -> socket.socket | str:
    """Bind before starting so a port in use is a one-line error, not a traceback."""
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
        family = infos[0][0]
        sock = socket.socket(family, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((host, port))
    except OSError as exc:
        return f"cannot listen on {host}:{port}: {exc.strerror or exc}"
    return sock


def _serve(app, sock: socket.socket, label: str) -> int:
    import uvicorn

    host, port = sock.getsockname()[:2]
    config = uvicorn.Config(app, log_level="warning", lifespan="on", access_log=False)
    server = uvicorn.Server(config)
    print(f"{label} listening on http://{host}:{port}", flush=True)
    # uvicorn shuts down gracefully, then re-raises the signal into the handler that was
    # installed before it: make that a clean exit rather than death by SIGTERM.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    server.run(sockets=[sock])
    return 0 if server.started or not server.should_exit else 2


def cmd_registry(args: argparse.Namespace) -> int:
    from registry.app import create_app

    data_dir = Path(args.data_dir)
    if not args.kafkastore_bootstrap_servers and (problem := _check_data_dir(data_dir)) is not None:
        return _fail(problem)
    sock = _bind(args.host, args.port)
    if isinstance(sock, str):
        return _fail(sock)
    if not args.kafkastore_bootstrap_servers:
        app = create_app(data_dir, max_body=args.max_body, synchronous=args.sync.upper(),
                         api_version=args.api_version)
        return _serve(app, sock, "schemawire registry")
    from registry.store.kafka import KafkaStore
    from registry.store.kafka_follower import LeaderForwarding
    try:
        store = KafkaStore(args.kafkastore_bootstrap_servers, args.kafkastore_topic)
    except Exception as exc:
        sock.close()
        return _fail(f"cannot use Kafka store {args.kafkastore_bootstrap_servers}: {exc}")
    try:
        app = create_app(store=store, max_body=args.max_body, api_version=args.api_version)
        if args.kafkastore_leader_url:
            app = LeaderForwarding(app, args.kafkastore_leader_url, store)
        return _serve(app, sock, "schemawire registry")
    finally:
        store.close()


def _kafka_options(pairs: list[str]) -> dict[str, str] | str:
    """`--kafka-option key=value` (repeatable) as a dict, or a one-line problem."""
    out: dict[str, str] = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep or not key.strip():
            return f"--kafka-option wants key=value, not {pair!r}"
        out[key.strip()] = value.strip()
    return out


def _gateway_parts(args: argparse.Namespace, data_dir: Path) -> tuple[object, object] | str:
    """The log and the registry client for `schemawire gateway`, or a one-line problem."""
    from serde.client import AsyncSchemaRegistryClient
    from serde.errors import SerializationError

    options = _kafka_options(args.kafka_option)
    if isinstance(options, str):
        return options
    for side in ("key", "value"):
        if getattr(args, f"{side}_subject_strategy") not in ("topic", "record", "topic_record"):
            return f"--{side}-subject-strategy must be topic, record or topic_record"
    try:
        # "latest" lookups (v3 records without a type) see a newly registered version within 10 s
        client = AsyncSchemaRegistryClient(args.registry_url, latest_ttl=10)
    except (SerializationError, ValueError) as exc:
        return f"bad --registry-url: {exc}"
    if args.bootstrap_servers:
        from gateway.log.kafka import KafkaLog

        try:
            log = KafkaLog(args.bootstrap_servers, client_options=options,
                           default_partitions=args.partitions)
        except Exception as exc:  # noqa: BLE001 - any bad client setting is a one-line error
            return f"bad Kafka settings: {exc}"
        return log, client
    if options:
        return "--kafka-option needs --bootstrap-servers"
    from gateway.log.embedded import EmbeddedLog

    if (problem := _check_data_dir(data_dir)) is not None:
        return problem
    return EmbeddedLog(data_dir, default_partitions=args.partitions, synchronous=args.sync.upper()), client


# (argparse dest, ServerDefaults field, type, help) of the v2 consumer settings; each flag left
# out falls back to its SCHEMAWIRE_CONSUMER_<FIELD> variable, then to Confluent's default.
_CONSUMER_FLAGS = [
    ("consumer_timeout_ms", "instance_timeout_ms", int,
     "v2 consumer instances idle longer than this expire (default 300000, consumer.instance.timeout.ms)"),
    ("consumer_request_timeout_ms", "request_timeout_ms", int,
     "longest wait of a records fetch (default 1000, consumer.request.timeout.ms)"),
    ("consumer_fetch_min_bytes", "fetch_min_bytes", int,
     "a records fetch answers as soon as this many bytes arrived, -1 to wait the full timeout "
     "(default -1, fetch.min.bytes)"),
    ("consumer_max_bytes", "max_bytes", int,
     "most bytes of records in one fetch answer (default 67108864, consumer.request.max.bytes)"),
    ("consumer_record_extras", "record_extras", bool,
     "add timestamp and headers to consumed records (beyond Confluent's shape)"),
    ("consumer_node_routing", "node_routing", bool,
     "generated instance ids name this node, and requests for another node's instances are redirected"),
]


def _gateway_app(args: argparse.Namespace, log: object, client: object):
    from gateway.app import create_app
    from gateway.consumers.manager import configure

    app = create_app(log, client, advertised_url=args.advertised_url, max_body=args.max_body,
                     max_records=args.max_records, rate_limit=args.rate_limit or None,
                     key_subject_strategy=args.key_subject_strategy,
                     value_subject_strategy=args.value_subject_strategy, close_client=True, own_log=False)
    # Only what was given on the command line; SCHEMAWIRE_CONSUMER_* and the defaults fill the rest.
    consumer = {setting: getattr(args, dest) for dest, setting, *_ in _CONSUMER_FLAGS}
    configure(app, **{k: v for k, v in consumer.items() if v is not None})
    return app


async def _start_log(log) -> str | None:
    try:
        await log.start()
    except Exception as exc:  # noqa: BLE001 - reported as one line, exit 2
        return f"cannot start the log: {exc}"
    return None


def _uvicorn(app):
    import uvicorn

    # keep-alive of 30 s, like Confluent's Jetty, so pooled clients rarely meet a closed connection
    return uvicorn.Server(uvicorn.Config(app, log_level="warning", lifespan="on", access_log=False,
                                         timeout_keep_alive=30))


def _run(main) -> int:
    """Run `main()` on uvloop when available; SIGTERM after uvicorn's graceful stop is a clean exit."""
    import asyncio

    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    try:
        import uvloop

        return uvloop.run(main())
    except ImportError:
        return asyncio.run(main())


def cmd_gateway(args: argparse.Namespace) -> int:
    if args.bootstrap_servers and args.data_dir is not None:
        return _fail("use either --bootstrap-servers (Kafka) or --data-dir (embedded log), not both")
    parts = _gateway_parts(args, Path(args.data_dir or _env("DATA_DIR", "./data")))
    if isinstance(parts, str):
        return _fail(parts)
    log, client = parts
    sock = _bind(args.host, args.port)
    if isinstance(sock, str):
        return _fail(sock)

    async def main() -> int:
        if (problem := await _start_log(log)) is not None:
            return _fail(problem)
        server = _uvicorn(_gateway_app(args, log, client))
        host, port = sock.getsockname()[:2]
        print(f"schemawire gateway listening on http://{host}:{port}", flush=True)
        try:
            await server.serve(sockets=[sock])
        finally:
            await log.close()
        return 0 if server.started else 2

    return _run(main)


def cmd_serve(args: argparse.Namespace) -> int:
    """Registry and gateway in one process and one event loop, on one data dir."""
    import asyncio

    import httpx

    from gateway.log.embedded import EmbeddedLog
    from registry.app import create_app
    from serde.client import AsyncSchemaRegistryClient

    data_dir = Path(args.data_dir or _env("DATA_DIR", "./data"))
    if (problem := _check_data_dir(data_dir)) is not None:
        return _fail(problem)
    reg_sock = _bind(args.host, args.port)
    if isinstance(reg_sock, str):
        return _fail(reg_sock)
    gw_sock = _bind(args.host, args.gateway_port)
    if isinstance(gw_sock, str):
        return _fail(gw_sock)
    extra = {"api_version": args.api_version} if hasattr(args, "api_version") else {}
    registry_app = create_app(data_dir, max_body=args.max_body, synchronous=args.sync.upper(), **extra)
    # the gateway reaches the registry in process, through serde's client over an ASGI transport
    client = AsyncSchemaRegistryClient("http://registry.in-process", transport=httpx.ASGITransport(registry_app),
                                       latest_ttl=10)
    log = EmbeddedLog(data_dir, default_partitions=args.partitions, synchronous=args.sync.upper())

    async def main() -> int:
        if (problem := await _start_log(log)) is not None:
            return _fail(problem)
        registry, gateway = _uvicorn(registry_app), _uvicorn(_gateway_app(args, log, client))
        try:
            first = asyncio.ensure_future(registry.serve(sockets=[reg_sock]))
            while not registry.started and not first.done():
                await asyncio.sleep(0.01)
            for label, sock in (("registry", reg_sock), ("gateway", gw_sock)):
                host, port = sock.getsockname()[:2]
                print(f"schemawire {label} listening on http://{host}:{port}", flush=True)
            await asyncio.gather(first, gateway.serve(sockets=[gw_sock]))
        finally:
            await log.close()
        return 0 if registry.started and gateway.started else 2

    return _run(main)


def _gateway_flags(p: argparse.ArgumentParser) -> None:
    p.add_argument("--registry-url", default=_env("REGISTRY_URL", "http://127.0.0.1:8081"),
                   help="Schema Registry URL(s), comma-separated [SCHEMAWIRE_REGISTRY_URL]")
    p.add_argument("--bootstrap-servers", default=_env("BOOTSTRAP_SERVERS", "") or None,
                   help="Kafka brokers HOST:PORT[,...]; without it the embedded log under --data-dir "
                        "[SCHEMAWIRE_BOOTSTRAP_SERVERS]")
    p.add_argument("--kafka-option", action="append", metavar="KEY=VALUE",
                   default=[o for o in _env("KAFKA_OPTIONS", "").split(",") if o.strip()],
                   help="Kafka client setting (acks, linger.ms, compression.type, sasl.*, ssl.*), repeatable "
                        "[SCHEMAWIRE_KAFKA_OPTIONS, comma-separated]")
    p.add_argument("--advertised-url", default=_env("ADVERTISED_URL", "") or None,
                   help="base of the absolute URLs the gateway returns [SCHEMAWIRE_ADVERTISED_URL]")
    p.add_argument("--partitions", type=int, default=int(_env("PARTITIONS", "1")),
                   help="partitions of an auto-created topic [SCHEMAWIRE_PARTITIONS]")
    p.add_argument("--max-records", type=int, default=int(_env("MAX_RECORDS", "10000")),
                   help="most records in one produce request [SCHEMAWIRE_MAX_RECORDS]")
    p.add_argument("--rate-limit", type=float, default=float(_env("RATE_LIMIT", "0")),
                   help="v3 produce records per second per client, 0 for none [SCHEMAWIRE_RATE_LIMIT]")
    from gateway.consumers.manager import CONSUMER_ENV

    for dest, setting, kind, text in _CONSUMER_FLAGS:
        flag = "--" + dest.replace("_", "-")
        env = f"[{CONSUMER_ENV[setting]}]"
        if kind is bool:
            p.add_argument(flag, dest=dest, action="store_true", default=None, help=f"{text} {env}")
        else:
            p.add_argument(flag, dest=dest, type=int, default=None, help=f"{text} {env}")
    for side in ("key", "value"):
        p.add_argument(f"--{side}-subject-strategy", choices=["topic", "record", "topic_record"],
                       default=_env(f"{side.upper()}_SUBJECT_STRATEGY", "topic"),
                       help=f"subject of v2 {side} schemas: <topic>-{side}, the record name, or <topic>-<record name> "
                            f"[SCHEMAWIRE_{side.upper()}_SUBJECT_STRATEGY]")


def build_parser() -> argparse.ArgumentParser:
    from schemawire.ci.commands import register_ci_commands
    parser = argparse.ArgumentParser(prog="schemawire", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)

    def service(name: str, help_: str, port: int) -> argparse.ArgumentParser:
        p = sub.add_parser(name, help=help_)
        p.add_argument("--host", default=_env("HOST", "127.0.0.1"), help="address to listen on [SCHEMAWIRE_HOST]")
        p.add_argument("--port", type=int, default=int(_env("PORT", str(port))), help="port [SCHEMAWIRE_PORT]")
        p.add_argument("--data-dir", default=_env("DATA_DIR", "./data"), help="where data lives [SCHEMAWIRE_DATA_DIR]")
        p.add_argument("--max-body", type=int, default=int(_env("MAX_BODY", str(16 * 1024 * 1024))),
                       help="largest request body in bytes [SCHEMAWIRE_MAX_BODY]")
        p.add_argument("--sync", choices=["normal", "full"], default=_env("SYNC", "normal").lower(),
                       help="normal: acknowledged writes survive kill -9; full: also power loss, "
                            "with an fsync per write [SCHEMAWIRE_SYNC]")
        p.add_argument("--api-version", type=int, choices=[7, 8], default=int(_env("API_VERSION", "7")),
                       help="7: Confluent 7.9 response shapes; 8: 8.x shapes with guid, ts, deleted, "
                            "as header framing needs [SCHEMAWIRE_API_VERSION]")
        return p

    registry = service("registry", "run the Schema Registry", 8081)
    registry.set_defaults(func=cmd_registry)
    registry.add_argument("--kafkastore-bootstrap-servers", default=_env("KAFKASTORE_BOOTSTRAP_SERVERS", ""),
                          help="keep the registry in Kafka (Confluent's _schemas format) instead of SQLite "
                               "[SCHEMAWIRE_KAFKASTORE_BOOTSTRAP_SERVERS]")
    registry.add_argument("--kafkastore-topic", default=_env("KAFKASTORE_TOPIC", "_schemas"),
                          help="the compacted store topic [SCHEMAWIRE_KAFKASTORE_TOPIC]")
    registry.add_argument("--kafkastore-leader-url", default=_env("KAFKASTORE_LEADER_URL", ""),
                          help="run as a follower: serve reads from the topic, forward writes to this leader "
                               "[SCHEMAWIRE_KAFKASTORE_LEADER_URL]")
    gateway = service("gateway", "run the REST produce gateway", 8082)
    gateway.set_defaults(func=cmd_gateway, data_dir=None)
    _gateway_flags(gateway)
    for action in gateway._actions:  # the embedded log's dir defaults later, so --bootstrap-servers can refuse it
        if action.dest == "data_dir":
            action.default = _env("DATA_DIR", "") or None
    serve = service("serve", "run registry and gateway in one process on embedded defaults", 8081)
    serve.add_argument("--gateway-port", type=int, default=int(_env("GATEWAY_PORT", "8082")),
                       help="the gateway's port [SCHEMAWIRE_GATEWAY_PORT]")
    _gateway_flags(serve)
    serve.set_defaults(func=cmd_serve)
    register_ci_commands(sub)  # CI checks: schemawire/ci/
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return args.func(args)
    except KeyboardInterrupt:
        return 0


if __name__ == "__main__":
    sys.exit(main())

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
    if (problem := _check_data_dir(data_dir)) is not None:
        return _fail(problem)
    sock = _bind(args.host, args.port)
    if isinstance(sock, str):
        return _fail(sock)
    app = create_app(data_dir, max_body=args.max_body, synchronous=args.sync.upper())
    return _serve(app, sock, "schemawire registry")


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
        return p

    service("registry", "run the Schema Registry", 8081).set_defaults(func=cmd_registry)
    service("serve", "run everything on embedded defaults", 8081).set_defaults(func=cmd_registry)
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

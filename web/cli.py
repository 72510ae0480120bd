"""The `communecter` command: serve, worker, demo, import-territories, dump, token create."""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence
from datetime import UTC, datetime

from web.settings import Settings


def _common(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--data", dest="data_dir", help="data directory (COMMUNECTER_DATA)")
    parser.add_argument("--base-url", help="public base URL (COMMUNECTER_BASE_URL)")
    parser.add_argument("--store", choices=("oxigraph", "memory", "sparql"),
                        help="store backend (COMMUNECTER_STORE)")
    parser.add_argument("--sparql-query-url", help="COMMUNECTER_SPARQL_QUERY_URL")
    parser.add_argument("--sparql-update-url", help="COMMUNECTER_SPARQL_UPDATE_URL")


def default_workers() -> int:
    return (os.cpu_count() or 1) + 1


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="communecter", description=(
        "Communecter: a citizen social network of territories, built on Linked Data."))
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    serve = commands.add_parser("serve", help="run the production server (gunicorn)")
    _common(serve)
    serve.add_argument("--host", default=os.environ.get("COMMUNECTER_HOST", "127.0.0.1"))
    serve.add_argument("--port", type=int, default=int(os.environ.get("COMMUNECTER_PORT", 8000)))
    serve.add_argument("--workers", type=int, default=int(os.environ.get(
        "COMMUNECTER_WORKERS", default_workers())), help="worker processes (default: one per "
        "core plus one: kept-alive connections stay with the worker that took them, and one "
        "worker cannot use more than a core)")
    serve.add_argument("--threads", type=int, default=int(os.environ.get("COMMUNECTER_THREADS", 8)))
    serve.add_argument("--query-timeout", type=float, help="SPARQL endpoint time limit, seconds")
    serve.add_argument("--max-body", dest="max_body_bytes", type=int,
                       help="largest request body, bytes")
    serve.add_argument("--authorized-fetch", action="store_true", default=None,
                       help="require signed GETs of ActivityPub objects "
                            "(COMMUNECTER_AUTHORIZED_FETCH)")
    worker = commands.add_parser("worker", help="run background work (deliveries to other "
                                 "servers, mail) apart from serve")
    _common(worker)
    worker.add_argument("--queue-url", help="COMMUNECTER_QUEUE_URL")
    worker.add_argument("--threads", type=int, help="sending threads "
                        "(COMMUNECTER_DELIVERY_THREADS, default 4)")
    demo = commands.add_parser("demo", help="load La Réunion's territories and demo data")
    _common(demo)
    territories = commands.add_parser("import-territories", help="load official territories")
    _common(territories)
    territories.add_argument("--scope", choices=("reunion", "france"), default="reunion")
    dump = commands.add_parser("dump", help="write the public dataset to standard output")
    _common(dump)
    dump.add_argument("--format", choices=("nquads", "trig"), default="nquads")
    token = commands.add_parser("token", help="API bearer tokens")
    _common(token)
    token_commands = token.add_subparsers(dest="token_command", required=True)
    create = token_commands.add_parser("create", help="print a bearer token for a local actor")
    _common(create)
    create.add_argument("handle", help="the actor's handle (its slug under /persons/)")
    create.add_argument("--create", action="store_true", help="create the citizen first")
    create.add_argument("--name", help="display name when creating the citizen")
    return parser


def _settings(args: argparse.Namespace) -> Settings:
    overrides = {key: getattr(args, key, None) for key in (
        "data_dir", "base_url", "store", "sparql_query_url", "sparql_update_url",
        "query_timeout", "max_body_bytes", "authorized_fetch")}
    return Settings.from_env(**overrides)


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    settings = _settings(args)
    if args.command == "serve":
        from web.server import serve

        serve(settings, args.host, args.port, args.workers, args.threads)
        return 0
    if args.command == "worker":
        from web.deliveries import run_worker

        if args.queue_url:
            settings.queue_url = args.queue_url
        return run_worker(settings, args.threads)
    from web import operations

    try:
        if args.command == "demo":
            operations.load_demo(settings, datetime.now(UTC))
        elif args.command == "import-territories":
            operations.import_territories(settings, args.scope)
        elif args.command == "dump":
            media = "application/trig" if args.format == "trig" else "application/n-quads"
            operations.dump(settings, media, sys.stdout.buffer)
        elif args.command == "token":
            token = operations.create_token(settings, args.handle, args.create, args.name)
            print(token)
    except operations.OperationFailed as error:
        print(f"communecter: {error}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

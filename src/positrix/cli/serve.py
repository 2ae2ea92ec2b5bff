"""``positrix serve``: the web application (uvicorn; a supervisor restarts a worker that
dies when ``--workers`` > 1)."""

from __future__ import annotations

import argparse
import os
from pathlib import Path
from typing import Any

__all__ = ["add_parser"]


def add_parser(subparsers: Any) -> None:
    """Register ``positrix serve``."""
    serve = subparsers.add_parser(
        "serve",
        help="the web application: PET/CT viewer, facility pages, API, Learn PET",
        description="Serves the pages, the JSON API (/api, OpenAPI at /api/openapi.json) and "
        "the viewer on the facility database. --demo makes (once) and serves the demo facility "
        "and study with demo logins.",
    )
    serve.add_argument("--demo", action="store_true", help="serve the demo facility and study")
    serve.add_argument(
        "--db", help="database URL (default: the SQLite file in the user's data folder)"
    )
    serve.add_argument(
        "--data",
        default="positrix-web",
        help="folder for the secret key, the volume cache and the demo (default positrix-web)",
    )
    serve.add_argument("--host", default="127.0.0.1", help="address (default 127.0.0.1)")
    serve.add_argument("--port", type=int, default=8000, help="port (default 8000)")
    serve.add_argument("--workers", type=int, default=1, help="worker processes (default 1)")
    serve.add_argument(
        "--secure-cookies", action="store_true", help="Secure cookies (behind a TLS proxy)"
    )
    serve.set_defaults(run=run_serve)


def run_serve(args: argparse.Namespace) -> int:
    """Prepare the demo if asked, then run uvicorn until interrupted."""
    import uvicorn

    from positrix.errors import PositrixError

    if args.workers < 1 or not 0 < args.port < 65536:
        raise PositrixError("workers must be ≥ 1 and the port 1–65535", field="--workers/--port")
    data = Path(args.data).resolve()
    db = args.db
    if args.demo:
        from positrix.pipeline.demo_site import prepare_demo_site

        site = prepare_demo_site(data)
        db = db or site["db_url"]
        print(f"demo logins ({site['password']}): {', '.join(site['users'])}")
        print(f"demo PET/CT: http://{args.host}:{args.port}/sessions/{site['session_id']}")
    os.environ["POSITRIX_WEB_DB"] = db or ""
    os.environ["POSITRIX_WEB_DATA"] = str(data)
    os.environ["POSITRIX_WEB_SECURE"] = "1" if args.secure_cookies else "0"
    print(f"Positrix on http://{args.host}:{args.port}/ (Ctrl-C stops)", flush=True)
    uvicorn.run(
        "positrix.web.app:app_from_env",
        factory=True,
        host=args.host,
        port=args.port,
        workers=args.workers,
        log_level="warning",
    )
    return 0

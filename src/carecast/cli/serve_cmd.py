"""``carecast serve``: run the web app on this machine."""

from __future__ import annotations

from typing import Annotated

import typer

from carecast.cli.common import WorkspaceOpt, console, friendly_errors

DatabaseOpt = Annotated[
    str | None,
    typer.Option(
        "--database",
        help="Accounts and audit database URL (default: an SQLite file in the workspace; "
        "e.g. postgresql://user@host/carecast).",
        show_default=False,
    ),
]


@friendly_errors
def serve(
    host: Annotated[str, typer.Option(help="Address to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to listen on.")] = 8000,
    database: DatabaseOpt = None,
    trusted_proxy: Annotated[
        list[str] | None,
        typer.Option("--trusted-proxy",
                     help="Address or network (10.0.0.0/8) of a reverse proxy whose "
                     "X-Forwarded-For and X-Forwarded-Proto are believed; repeat for more. "
                     "Without it the headers are ignored.", show_default=False),
    ] = None,
    page_workers: Annotated[
        int, typer.Option(min=0, max=8, help="Processes that build public pages beside the "
                          "server (about 500 MB each); 0 builds them in threads.")] = 1,
    workspace: WorkspaceOpt = None,
) -> None:
    """Serve the web app: public maps and council pages, and signed-in record-level pages."""
    import uvicorn

    from carecast.web import Settings, create_app

    settings = Settings.from_workspace(workspace, database, tuple(trusted_proxy or ()),
                                       page_workers)
    app = create_app(settings)
    console.print(f"carecast is serving on http://{host}:{port}/ (Ctrl+C stops it)")
    # The app reads forwarded headers itself, from the trusted proxies only.
    uvicorn.run(app, host=host, port=port, proxy_headers=False, log_level="warning")

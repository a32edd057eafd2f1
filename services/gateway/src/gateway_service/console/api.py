"""The console's static files at ``/``: hashed assets cached for a year, ``index.html`` never, and the SPA fallback.

Any GET that is not the API (``/api/``), a probe (``/health/``) or the metrics endpoint and names no file of the bundle
gets ``index.html``, so a reload on ``/admin/sync`` opens the console there. Without a built bundle the answer is a
short page that says how to build it (503), never a blank page.
"""

from __future__ import annotations

from pathlib import Path

from fastapi import APIRouter, Request
from fastapi.responses import FileResponse, HTMLResponse, Response

from crm_common.errors import NotFound

# Same-origin only: the bundle has no inline script; React sets inline styles through the DOM (style attributes).
CONSOLE_CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; "
    "font-src 'self'; connect-src 'self'; object-src 'none'; base-uri 'self'; form-action 'self'; "
    "frame-ancestors 'none'"
)
IMMUTABLE = "public, max-age=31536000, immutable"  # Vite puts a content hash in every file name under assets/
NOT_CONSOLE = ("api/", "health/", "metrics")

NOT_BUILT = """<!doctype html><html lang="en"><meta charset="utf-8"><title>CRM console not built</title>
<body style="font-family:sans-serif;max-width:40em;margin:4em auto">
<h1>The console has not been built</h1>
<p>The gateway serves the web console from <code>{dist}</code>, which has no <code>index.html</code>.
Build it with <code>make console</code> (or <code>cd console &amp;&amp; npm ci &amp;&amp; npm run build</code>);
<code>make dev</code> builds it too. The API is unaffected: <a href="/api/v1/docs">/api/v1/docs</a>.</p>
</body></html>"""

router = APIRouter(include_in_schema=False)


def _headers(cache: str) -> dict[str, str]:
    return {"cache-control": cache, "content-security-policy": CONSOLE_CSP}


def resolve(dist: Path, path: str) -> Path | None:
    """The bundle's file at ``path``, or ``None`` (also for anything that would resolve outside the bundle)."""
    if not path:
        return None
    root = dist.resolve()
    candidate = (root / path).resolve()
    if not candidate.is_relative_to(root) or not candidate.is_file():
        return None
    return candidate


def console_response(dist: Path, path: str) -> Response:
    # An empty segment (``//api/v1/...``) is never a console page: a proxy or the browser may read it as the API.
    if path.startswith("/") or "//" in path or path.startswith(NOT_CONSOLE) or path in ("api", "health"):
        raise NotFound(f"nothing at /{path}")
    index = dist / "index.html"
    if not index.is_file():
        return HTMLResponse(NOT_BUILT.format(dist=dist), status_code=503, headers=_headers("no-store"))
    found = resolve(dist, path)
    if found is not None:
        cache = IMMUTABLE if path.startswith("assets/") else "no-cache"
        return FileResponse(found, headers=_headers(cache))
    if path.startswith("assets/"):
        raise NotFound(f"no asset /{path}")  # a stale hashed name: index.html would be parsed as a script
    return FileResponse(index, headers=_headers("no-cache"), media_type="text/html")


@router.api_route("/{path:path}", methods=["GET", "HEAD"])
async def console(path: str, request: Request) -> Response:
    return console_response(Path(request.app.state.settings.console_dir), path)

"""The dashboard's FastAPI application: server-rendered pages and a JSON API, read-only.

Every page and every ``/api`` answer comes from a job in :mod:`ca_incident.app.dashboard`
(the ``/api`` answers are the jobs' ``as_json()``, exactly what the command line's ``--json``
prints). Templates escape everything they are given (autoescape); the only markup that reaches
a page unescaped is markdown-it's rendering of a report (:mod:`.markdown`) and the charts' SVG,
drawn from numbers. Every answer carries a strict Content-Security-Policy: scripts, styles and
images from this server only, no inline script or style, no frames. Only GET and HEAD exist.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from datetime import datetime
from importlib import resources
from typing import Annotated, Any
from urllib.parse import quote, urlencode

from fastapi import FastAPI, HTTPException, Query, Request, Response
from fastapi import Path as PathParameter
from fastapi.responses import HTMLResponse, JSONResponse
from fastapi.staticfiles import StaticFiles
from jinja2 import Environment, PackageLoader, StrictUndefined
from starlette.middleware.trustedhost import TrustedHostMiddleware
from starlette.templating import Jinja2Templates

from ca_incident import __version__
from ca_incident.app.dashboard import SORTS, Dashboard, ListQuery, rule_catalog
from ca_incident.checks.citations import citations
from ca_incident.errors import CaIncidentError
from ca_incident.model import Stage
from ca_incident.templates import get as get_template
from ca_incident.timeutil import iso_z, report_time, utc_now
from ca_incident.web import charts
from ca_incident.web.markdown import render as markdown

CONTENT_SECURITY_POLICY = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; "
    "font-src 'self'; connect-src 'self'; form-action 'self'; frame-ancestors 'none'; "
    "base-uri 'none'"
)
SECURITY_HEADERS = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "X-Frame-Options": "DENY",
    "Cross-Origin-Opener-Policy": "same-origin",
    "Cross-Origin-Resource-Policy": "same-origin",
}
LOOPBACK_HOSTS = ("127.0.0.1", "localhost", "::1", "[::1]")
ERRORS: dict[int | str, dict[str, Any]] = {
    400: {"description": "A parameter the job refuses, with the reason in `detail`."},
    404: {"description": "No such incident, bug or rule."},
}


Ca = Annotated[str | None, Query(description="Only this CA Owner's incidents.")]
StageFilter = Annotated[
    str | None, Query(description=f"Only this stage: {', '.join(s.value for s in Stage)}.")
]
Tag = Annotated[str | None, Query(description="Only bugs with this whiteboard tag.")]
Overdue = Annotated[bool, Query(description="Only incidents with an overdue clock.")]
Sort = Annotated[str, Query(description=f"Sort by: {', '.join(SORTS)}.")]
Order = Annotated[str, Query(pattern="^(asc|desc)$")]
PageNumber = Annotated[int, Query(alias="page", ge=1, le=1_000_000)]


def _environment() -> Environment:
    env = Environment(
        loader=PackageLoader("ca_incident.web", "templates"),
        autoescape=True,
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["when"] = lambda moment: report_time(moment) if moment else ""
    env.filters["iso"] = lambda moment: iso_z(moment) if moment else ""
    env.filters["number"] = lambda value: f"{value:,}" if value is not None else "N/A"
    env.filters["markdown"] = markdown
    env.filters["state"] = charts.clock_state
    env.filters["template_title"] = lambda name: get_template(name).title if name else ""
    env.filters["citations"] = citations
    env.filters["path"] = lambda text: quote(str(text), safe="")
    env.globals["version"] = __version__
    env.globals["chart_issuance"] = charts.issuance
    env.globals["chart_revocation"] = charts.revocation
    env.globals["chart_clocks"] = charts.clock_timeline
    env.globals["chart_per_year"] = charts.per_year
    return env


def list_url(query: ListQuery, **changes: Any) -> str:
    """The incident list's URL with the query's filters, sort and page, changed as asked."""
    values = {
        "ca": query.ca,
        "stage": query.stage,
        "tag": query.tag,
        "overdue": "true" if query.overdue else None,
        "sort": query.sort if query.sort != "next" else None,
        "order": "desc" if query.descending else None,
        "page": query.page if query.page != 1 else None,
    }
    values.update(changes)
    kept = {k: v for k, v in values.items() if v not in (None, "", False)}
    return "/" + (f"?{urlencode(kept)}" if kept else "")


def create_app(dashboard: Dashboard, *, allowed_hosts: Sequence[str] = LOOPBACK_HOSTS) -> FastAPI:
    """The application over one dashboard. ``allowed_hosts`` guards against DNS rebinding:
    a request naming any other host is refused."""
    app = FastAPI(
        title="ca-incident dashboard",
        version=__version__,
        summary="CA incident reports, their clocks and findings (CCADB IRG), read-only.",
        docs_url=None,
        redoc_url=None,
        openapi_url="/api/openapi.json",
    )
    app.add_middleware(TrustedHostMiddleware, allowed_hosts=list(allowed_hosts))
    static = resources.files("ca_incident.web") / "static"
    app.mount("/static", StaticFiles(directory=str(static)), name="static")
    templates = Jinja2Templates(env=_environment())

    @app.middleware("http")
    async def security_headers(
        request: Request, call_next: Callable[[Request], Awaitable[Response]]
    ) -> Response:
        response = await call_next(request)
        for name, value in SECURITY_HEADERS.items():
            response.headers.setdefault(name, value)
        return response

    def now() -> datetime:
        return dashboard.fixed_as_of or utc_now()

    def page(
        request: Request, name: str, section: str, status_code: int = 200, **context: Any
    ) -> HTMLResponse:
        context.setdefault("as_of", now())
        return templates.TemplateResponse(
            request,
            name,
            {"section": section, "has_bugzilla": dashboard.settings is not None, **context},
            status_code=status_code,
        )

    @app.exception_handler(CaIncidentError)
    async def input_error(request: Request, exc: CaIncidentError) -> Response:
        if request.url.path.startswith("/api/"):
            return JSONResponse({"detail": str(exc)}, status_code=400)
        return page(request, "error.html", "", 400, message=str(exc), title="Cannot show this")

    def missing(request: Request, what: str) -> Response:
        if request.url.path.startswith("/api/"):
            raise HTTPException(404, f"no {what}")
        return page(request, "error.html", "", 404, message=f"No {what}.", title="Not found")

    def list_query(
        ca: str | None,
        stage: str | None,
        tag: str | None,
        overdue: bool,
        sort: str,
        order: str,
        page_number: int,
    ) -> ListQuery:
        return ListQuery(
            ca=ca or None,
            stage=stage or None,
            tag=tag or None,
            overdue=overdue,
            sort=sort,
            descending=order == "desc",
            page=page_number,
        )

    # Pages.

    @app.get("/", response_class=HTMLResponse, include_in_schema=False)
    def incidents_page(
        request: Request,
        ca: Ca = None,
        stage: StageFilter = None,
        tag: Tag = None,
        overdue: Overdue = False,
        sort: Sort = "next",
        order: Order = "asc",
        page_number: PageNumber = 1,
    ) -> Response:
        query = list_query(ca, stage, tag, overdue, sort, order, page_number)
        moment = now()
        found = dashboard.incidents(query, moment)
        return page(
            request,
            "incidents.html",
            "incidents",
            listing=found,
            query=query,
            list_url=list_url,
            as_of=moment,
        )

    @app.get("/incidents/{key}", response_class=HTMLResponse, include_in_schema=False)
    def incident_view(request: Request, key: str) -> Response:
        moment = now()
        found = dashboard.incident(key, moment)
        if found is None:
            return missing(request, f"incident '{key}'")
        return page(request, "incident.html", "incidents", view=found, as_of=moment)

    @app.get("/incidents/{key}/files/{name}", include_in_schema=False)
    def incident_file(request: Request, key: str, name: str) -> Response:
        found = dashboard.incident(key, now())
        content = found.file(name) if found else None
        if content is None:
            return missing(request, f"file '{name}' of incident '{key}'")
        data, kind = content
        charset = "" if kind == "text/calendar" else "; charset=utf-8"
        return Response(
            data,
            media_type=kind + charset,
            headers={"Content-Disposition": f'attachment; filename="{quote(name)}"'},
        )

    @app.get("/bugs/{number}", response_class=HTMLResponse, include_in_schema=False)
    def bug_view(request: Request, number: int) -> Response:
        moment = now()
        found = dashboard.bug(number, moment)
        if found is None:
            return missing(request, f"bug {number} in the Bugzilla cache")
        latest = next((r for r in reversed(found.facts.reports) if r.by_ca), None)
        return page(request, "bug.html", "incidents", show=found, latest=latest, as_of=moment)

    @app.get("/reviewer", response_class=HTMLResponse, include_in_schema=False)
    def reviewer_page(request: Request) -> Response:
        moment = now()
        return page(request, "reviewer.html", "reviewer", view=dashboard.reviewer(moment))

    @app.get("/related", response_class=HTMLResponse, include_in_schema=False)
    def related_page(
        request: Request,
        q: Annotated[str | None, Query(max_length=2000)] = None,
        incident: Annotated[str | None, Query()] = None,
    ) -> Response:
        moment = now()
        found = None
        if dashboard.index is not None:
            if incident:
                found = dashboard.related_to_incident(incident, moment)
            elif q and q.strip():
                found = dashboard.related(q.strip(), moment)
        return page(request, "related.html", "related", result=found, q=q or "")

    @app.get("/rules", response_class=HTMLResponse, include_in_schema=False)
    def rules_page(request: Request) -> Response:
        return page(request, "rules.html", "rules", catalog=rule_catalog())

    @app.get("/rules/{code}", response_class=HTMLResponse, include_in_schema=False)
    def rule_page(request: Request, code: str) -> Response:
        found = rule_catalog().get(code)
        if found is None:
            return missing(request, f"rule '{code}'")
        return page(request, "rule.html", "rules", rule=found)

    # The API: each answer is a job's as_json(), as the command line's --json prints it.

    @app.get("/api/incidents", responses=ERRORS)
    def api_incidents(
        ca: Ca = None,
        stage: StageFilter = None,
        tag: Tag = None,
        overdue: Overdue = False,
        sort: Sort = "next",
        order: Order = "asc",
        page_number: PageNumber = 1,
    ) -> dict[str, Any]:
        """The incident list: local folders and synced bugs, filtered and sorted."""
        query = list_query(ca, stage, tag, overdue, sort, order, page_number)
        return dashboard.incidents(query, now()).as_json()

    @app.get("/api/incidents/{key}", responses=ERRORS)
    def api_incident(key: str) -> dict[str, Any]:
        """One incident folder: its clocks, build, problems and downloads."""
        found = dashboard.incident(key, now())
        if found is None:
            raise HTTPException(404, f"no incident '{key}'")
        return found.as_json()

    @app.get("/api/incidents/{key}/build", responses=ERRORS)
    def api_build(key: str) -> dict[str, Any]:
        """What `ca-incident build DIR --json` prints (nothing is written)."""
        found = dashboard.incident(key, now())
        if found is None or found.build is None:
            raise HTTPException(404, f"no built incident '{key}'")
        return found.build.as_json()

    @app.get("/api/incidents/{key}/check", responses=ERRORS)
    def api_check(key: str) -> Any:
        """What `ca-incident check DIR --format json` prints."""
        found = dashboard.check(key, now())
        if found is None:
            raise HTTPException(404, f"no incident '{key}'")
        return found.as_json()

    @app.get("/api/incidents/{key}/revocation", responses=ERRORS)
    def api_revocation(key: str) -> dict[str, Any]:
        """What `ca-incident revocation DIR --json` prints."""
        found = dashboard.revocation(key, now())
        if found is None:
            raise HTTPException(404, f"no incident '{key}'")
        return found.as_json()

    @app.get("/api/status", responses=ERRORS)
    def api_status() -> dict[str, Any]:
        """What `ca-incident status DIR... --json` prints, over the folders served."""
        return dashboard.status(now()).as_json()

    @app.get("/api/bugs/{number}", responses=ERRORS)
    def api_bug(number: Annotated[int, PathParameter(ge=1, le=2**31)]) -> dict[str, Any]:
        """What `ca-incident bugzilla show BUG --offline --json` prints."""
        found = dashboard.bug(number, now())
        if found is None:
            raise HTTPException(404, f"no bug {number} in the Bugzilla cache")
        return found.as_json()

    @app.get("/api/reviewer", responses=ERRORS)
    def api_reviewer() -> dict[str, Any]:
        """Every synced CA Certificate Compliance bug, as the reviewer view shows them."""
        found = dashboard.reviewer(now())
        if found is None:
            raise HTTPException(404, "no Bugzilla cache")
        return found.as_json()

    @app.get("/api/related", responses=ERRORS)
    def api_related(
        q: Annotated[str, Query(min_length=1, max_length=2000)],
        limit: Annotated[int, Query(ge=1, le=100)] = 10,
    ) -> dict[str, Any]:
        """What `ca-incident related DIR|BUG|TEXT --json` prints."""
        if dashboard.index is None:
            raise HTTPException(404, "no Bugzilla cache")
        return dashboard.related(q, now(), limit).as_json()

    @app.get("/api/rules")
    def api_rules() -> list[dict[str, Any]]:
        """What `ca-incident rules --json` prints."""
        return rule_catalog().as_json()

    @app.get("/api/rules/{code}", responses=ERRORS)
    def api_rule(code: str) -> dict[str, Any]:
        """One rule of `ca-incident rules --json`."""
        found = rule_catalog().get(code)
        if found is None:
            raise HTTPException(404, f"no rule '{code}'")
        return next(r for r in rule_catalog().as_json() if r["code"] == found.code)

    return app

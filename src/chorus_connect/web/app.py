"""The web application: French pages for people, a REST API (``/api/v1``) for ERPs, on one store.

``create_app(store, settings)`` builds it; ``chorus web`` serves it with uvicorn on 127.0.0.1.
"""

from __future__ import annotations

import logging
import secrets
from pathlib import Path

from fastapi import Depends, FastAPI
from fastapi.exceptions import RequestValidationError
from fastapi.staticfiles import StaticFiles
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.requests import Request
from starlette.responses import Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from chorus_connect import __version__
from chorus_connect.api import BusinessError, ChorusError
from chorus_connect.engine.buyers import BuyerError
from chorus_connect.engine.errors import EngineError, ForbiddenActionError, InvoiceFileError
from chorus_connect.invoice import InvoiceInputError
from chorus_connect.store import Store, StoreError
from chorus_connect.web import problems
from chorus_connect.web.access import enforce_scope
from chorus_connect.web.api import router as api_router
from chorus_connect.web.auth import LoginRequired, is_api_request
from chorus_connect.web.problems import Problem
from chorus_connect.web.security import Passwords, SecurityHeadersMiddleware
from chorus_connect.web.services import WebServices, invalid_invoice
from chorus_connect.web.settings import WebSettings
from chorus_connect.web.ui import admin, invoices, login, received, structures
from chorus_connect.web.ui.common import login_url, render

log = logging.getLogger("chorus_connect.web")
STATIC = Path(__file__).resolve().parent / "static"

API_DESCRIPTION = """\
REST API of chorus-connect for ERPs and integrators: import invoices (JSON or files), check them, deposit
them on Chorus Pro exactly once, follow them, complete or recycle them; read structures and test their
connection; act on received invoices as a public buyer; set webhooks.

**Authentication**: an API key bound to one or more structures, `Authorization: Bearer cck_…` (or
`X-API-Key`). A key only ever sees its structures' objects; others answer 404.

**Idempotency**: every POST honours `Idempotency-Key`: the first answer is stored for 24 h and replayed
to retries with the same key (header `Idempotent-Replayed: true`); the same key with a different request
is refused with 422.

**Errors**: RFC 9457 problem details (`application/problem+json`) with `fix` (what to do) and `errors`
(one entry per field at fault).
"""


def create_app(store: Store, settings: WebSettings | None = None) -> FastAPI:
    settings = settings or WebSettings()
    app = FastAPI(
        title="chorus-connect",
        version=__version__,
        description=API_DESCRIPTION,
        openapi_url="/api/v1/openapi.json",
        docs_url=None,  # Swagger UI loads its scripts from a CDN: not with this CSP, nor offline
        redoc_url=None,
        dependencies=[Depends(enforce_scope)],  # isolation between structures, for every route
    )
    app.state.store = store
    app.state.settings = settings
    app.state.passwords = Passwords(settings.password_hashing)
    app.state.services = WebServices(store, settings)
    app.state.flash_key = secrets.token_bytes(32)

    app.include_router(api_router.router)
    app.include_router(login.public)
    app.include_router(login.signed_in)
    for module in (invoices, structures, received, admin):
        app.include_router(module.router)
    app.mount("/static", StaticFiles(directory=STATIC), name="static")
    app.add_middleware(UnexpectedErrorMiddleware)  # inside the headers: a 500 gets them too
    app.add_middleware(SecurityHeadersMiddleware, secure=settings.secure_cookies)
    _install_error_handlers(app)
    return app


# --- errors ---------------------------------------------------------------------------------------------

_PAGE_TITLES = {
    400: "Requête incorrecte",
    401: "Connexion requise",
    403: "Accès refusé",
    404: "Introuvable",
    405: "Action impossible",
    409: "Action impossible",
    413: "Fichier trop volumineux",
    422: "Données incorrectes",
    429: "Trop de demandes",
    502: "Chorus Pro a répondu par une erreur",
    503: "Service indisponible",
}


def _respond(request: Request, problem: Problem) -> Response:
    if is_api_request(request):
        return problem.response(request.url.path)
    status = problem.status or problem.kind.status
    message = problem.french or _french_default(status)
    response = render(
        request,
        "error.html",
        {
            "title": _PAGE_TITLES.get(status, "Erreur"),
            "message": message,
            "detail": problem.detail,
            "fix": problem.fix,
        },
        status_code=status,
    )
    for name, value in problem.headers.items():
        response.headers[name] = value
    return response


def _french_default(status: int) -> str:
    if status == 404:
        return "Cette page ou cet objet n'existe pas, ou vous n'y avez pas accès."
    if status >= 500:
        return "Une erreur est survenue ; réessayez, et si elle persiste, prévenez votre administrateur."
    return "La demande ne peut pas être traitée : voyez le détail ci-dessous."


def _install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(Problem)
    async def on_problem(request: Request, error: Problem) -> Response:
        return _respond(request, error)

    @app.exception_handler(LoginRequired)
    async def on_login_required(request: Request, _error: LoginRequired) -> Response:
        target = request.url.path if request.method == "GET" else "/"
        if request.url.query and request.method == "GET":
            target += f"?{request.url.query}"
        return Response(status_code=303, headers={"Location": login_url(target)})

    @app.exception_handler(RequestValidationError)
    async def on_invalid_request(request: Request, error: RequestValidationError) -> Response:
        problem = problems.from_request_validation(error)
        problem.french = "Le formulaire est incomplet ou mal rempli : " + ", ".join(
            e.field for e in problem.errors
        )
        return _respond(request, problem)

    @app.exception_handler(StarletteHTTPException)
    async def on_http(request: Request, error: StarletteHTTPException) -> Response:
        return _respond(request, problems.from_http_exception(error))

    @app.exception_handler(StoreError)
    async def on_store(request: Request, error: StoreError) -> Response:
        return _respond(request, problems.from_store_error(error))

    @app.exception_handler(InvoiceInputError)
    async def on_invoice_input(request: Request, error: InvoiceInputError) -> Response:
        problem = problems.from_invoice_input(error)
        problem.french = f"Le fichier {error.source} ne peut pas être lu comme une facture."
        return _respond(request, problem)

    @app.exception_handler(EngineError)
    async def on_engine(request: Request, error: EngineError) -> Response:
        if isinstance(error, InvoiceFileError):
            problem = invalid_invoice(error)
            problem.french = (
                f"Le fichier {error.source} ne peut pas être lu comme une facture : {error.message}"
            )
            return _respond(request, problem)
        slug = "conflict" if isinstance(error, ForbiddenActionError) else "action-refused"
        return _respond(request, Problem(slug, error.message, fix=error.fix, french=error.message))

    @app.exception_handler(BuyerError)
    async def on_buyer(request: Request, error: BuyerError) -> Response:
        return _respond(
            request, Problem("action-refused", error.message, fix=error.fix, french=error.message)
        )

    @app.exception_handler(ChorusError)
    async def on_chorus(request: Request, error: ChorusError) -> Response:
        if isinstance(error, BusinessError):
            # Chorus Pro refused the data (codeRetour): the caller's to correct, not a gateway failure.
            return _respond(
                request, Problem("action-refused", error.message, fix=error.fix, french=error.message)
            )
        return _respond(request, Problem("chorus-error", error.message, fix=error.fix))


class UnexpectedErrorMiddleware:
    """A bug becomes a logged 500 answer without any detail (problem details, or the French error page)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = False

        async def tracking_send(message: Message) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, receive, tracking_send)
        except Exception:
            request = Request(scope)
            log.exception("web.unexpected_error path=%s", request.url.path)
            if started:
                raise
            problem = Problem(
                "internal-error",
                "An unexpected error happened; it was logged.",
                fix="Retry; if it persists, report it with the time of the request.",
            )
            await _respond(request, problem)(scope, receive, send)

"""The FastAPI app: services load in `lifespan`, the routes (`serve/routes.py`) reach them through `Depends`,
and domain errors (rag, engine, pipeline) become HTTP status codes only here."""

from __future__ import annotations

import asyncio
import json
import logging
import time
import uuid
from contextlib import asynccontextmanager

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.middleware.cors import CORSMiddleware
from fastapi.responses import JSONResponse, Response

from ragtune.config import Config
from ragtune.rag.retrieve import EmptyQuestion
from ragtune.rag.store import IndexMismatch, IndexNotFound
from ragtune.serve.backend import PromptTooLong, QueueFull
from ragtune.serve.metrics import Metrics
from ragtune.serve.pipeline import GenerationTimeout
from ragtune.serve.remote import RemoteError
from ragtune.serve.routes import router
from ragtune.serve.services import Services, load_services

log = logging.getLogger("serve")


def create_app(cfg: Config, services: Services | None = None) -> FastAPI:
    """`services` lets tests hand in ready-made ones; otherwise lifespan loads them from `cfg`."""
    metrics = Metrics()

    @asynccontextmanager
    async def lifespan(app: FastAPI):
        svc = services or await asyncio.to_thread(load_services, cfg)
        svc.start(metrics)
        app.state.services = svc
        watcher = asyncio.create_task(_watch_index(svc, cfg.serve.reload_poll_s)) if cfg.serve.reload_poll_s else None
        yield
        if watcher:
            watcher.cancel()
        svc.engine.close()

    app = FastAPI(title="ragtune", lifespan=lifespan)
    app.state.metrics = metrics
    if cfg.serve.cors_origins:
        app.add_middleware(CORSMiddleware, allow_origins=cfg.serve.cors_origins, allow_methods=["GET", "POST"],
                           allow_headers=["Authorization", "Content-Type"])  # fmt: skip

    @app.middleware("http")
    async def request_context(request: Request, call_next):
        request_id = request.headers.get("x-request-id") or uuid.uuid4().hex[:16]
        request.state.request_id = request_id
        started = time.perf_counter()
        length = request.headers.get("content-length")
        if length and length.isdigit() and int(length) > cfg.serve.max_body_bytes:
            response: Response = JSONResponse({"detail": f"request body over {cfg.serve.max_body_bytes} bytes"}, 413)
        else:
            response = await call_next(request)
        response.headers["X-Request-ID"] = request_id
        route = request.scope.get("route")
        path = route.path if route else "unmatched"
        elapsed = time.perf_counter() - started
        metrics.observe_request(request.method, path, response.status_code, elapsed)
        log.info(json.dumps({"request_id": request_id, "method": request.method, "path": path,
                             "status": response.status_code, "ms": round(elapsed * 1000, 1)}))  # fmt: skip
        return response

    @app.exception_handler(RequestValidationError)
    async def _invalid(request: Request, exc: RequestValidationError):
        fields = [{"field": ".".join(str(p) for p in e["loc"] if p != "body"), "message": e["msg"]} for e in exc.errors()]
        return JSONResponse({"detail": fields}, 422)

    @app.exception_handler(IndexNotFound)
    async def _no_index(request: Request, exc: IndexNotFound):
        return JSONResponse({"detail": "no index is published yet; run `make index`"}, 503)

    @app.exception_handler(IndexMismatch)
    async def _mismatch(request: Request, exc: IndexMismatch):
        return JSONResponse({"detail": "the index does not match the configured embedder; rebuild it"}, 503)

    @app.exception_handler(EmptyQuestion)
    async def _empty(request: Request, exc: EmptyQuestion):
        return JSONResponse({"detail": [{"field": "question", "message": str(exc)}]}, 422)

    @app.exception_handler(PromptTooLong)
    async def _too_long(request: Request, exc: PromptTooLong):
        return JSONResponse({"detail": [{"field": exc.field, "message": str(exc)}]}, 422)

    @app.exception_handler(GenerationTimeout)
    async def _timeout(request: Request, exc: GenerationTimeout):
        return JSONResponse({"detail": str(exc)}, 504)

    @app.exception_handler(QueueFull)
    async def _busy(request: Request, exc: QueueFull):
        return JSONResponse({"detail": "the server is busy; retry shortly"}, 503, headers={"Retry-After": "2"})

    @app.exception_handler(RemoteError)
    async def _remote(request: Request, exc: RemoteError):
        return JSONResponse({"detail": "the remote generator failed; see the server log"}, 502)

    @app.exception_handler(Exception)
    async def _unexpected(request: Request, exc: Exception):
        log.exception("unhandled error (request %s)", getattr(request.state, "request_id", "-"))
        return JSONResponse({"detail": "internal error", "request_id": getattr(request.state, "request_id", "")}, 500)

    app.include_router(router)
    return app


async def _watch_index(svc: Services, every_s: float) -> None:
    """Hot reload: switch to a newly published index version; searches in flight keep the old one."""
    while True:
        await asyncio.sleep(every_s)
        try:
            if await asyncio.to_thread(svc.retriever.reload):
                log.info("index reloaded: now %s", svc.retriever.version)
        except (IndexNotFound, IndexMismatch, OSError, ValueError) as e:
            log.warning("index reload skipped: %s", e)

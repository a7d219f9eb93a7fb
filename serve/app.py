"""The FastAPI app: services load in `lifespan`, the routes (`serve/routes.py`) reach them through `Depends`,
every request passes the gate first (`serve/gate.py`: key, body size, logging, 500s), and domain errors
(rag, engine, pipeline) become HTTP status codes only here."""

from __future__ import annotations

import asyncio
import logging
from contextlib import asynccontextmanager

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.middleware.cors import CORSMiddleware
from fastapi.responses import JSONResponse

from ragtune.config import Config
from ragtune.rag.retrieve import EmptyQuestion
from ragtune.rag.store import IndexMismatch, IndexNotFound, IndexUnavailable
from ragtune.serve.backend import PromptTooLong, QueueFull
from ragtune.serve.gate import Gate
from ragtune.serve.metrics import Metrics
from ragtune.serve.pipeline import GenerationTimeout
from ragtune.serve.remote import RemoteError
from ragtune.serve.routes import router
from ragtune.serve.schemas import invalid
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

    # with keys set, the interactive docs go (a browser cannot send the key); /openapi.json needs the key
    docs = {} if not cfg.serve.api_keys else {"docs_url": None, "redoc_url": None}
    app = FastAPI(title="ragtune", lifespan=lifespan, **docs)
    app.state.metrics = metrics

    @app.exception_handler(RequestValidationError)
    async def _invalid(request: Request, exc: RequestValidationError):
        return JSONResponse({"detail": [{"loc": list(e["loc"]), "msg": e["msg"], "type": e["type"]} for e in exc.errors()]}, 422)

    @app.exception_handler(IndexNotFound)
    async def _no_index(request: Request, exc: IndexNotFound):
        return JSONResponse({"detail": "no index is published yet; run `make index`"}, 503)

    @app.exception_handler(IndexMismatch)
    async def _mismatch(request: Request, exc: IndexMismatch):
        return JSONResponse({"detail": "the index does not match the configured embedder; rebuild it"}, 503)

    @app.exception_handler(IndexUnavailable)
    async def _index_down(request, exc):
        log.warning("index store unavailable: %s", exc)
        return JSONResponse({"detail": "the index store cannot be reached; retry shortly"}, 503, headers={"Retry-After": "5"})

    @app.exception_handler(EmptyQuestion)
    async def _empty(request: Request, exc: EmptyQuestion):
        return JSONResponse({"detail": [invalid("question", str(exc))]}, 422)

    @app.exception_handler(PromptTooLong)
    async def _too_long(request: Request, exc: PromptTooLong):
        return JSONResponse({"detail": [invalid(exc.field, str(exc))]}, 422)

    @app.exception_handler(GenerationTimeout)
    async def _timeout(request: Request, exc: GenerationTimeout):
        metrics.generation_timeouts.inc()
        return JSONResponse({"detail": str(exc)}, 504)

    @app.exception_handler(QueueFull)
    async def _busy(request: Request, exc: QueueFull):
        return JSONResponse({"detail": "the server is busy; retry shortly"}, 503, headers={"Retry-After": "2"})

    @app.exception_handler(RemoteError)
    async def _remote(request: Request, exc: RemoteError):
        return JSONResponse({"detail": "the remote generator failed; see the server log"}, 502)

    app.include_router(router)
    # outermost after CORS (added later, so a preflight is answered without a key): key, body size, logging
    routes = [r for r in app.router.routes if hasattr(r, "path")] + router.routes  # the docs' and ours (no prefix)
    app.add_middleware(Gate, routes=routes, keys=cfg.serve.api_keys, max_body_bytes=cfg.serve.max_body_bytes, metrics=metrics)
    if cfg.serve.cors_origins:
        app.add_middleware(CORSMiddleware, allow_origins=cfg.serve.cors_origins, allow_methods=["GET", "POST"],
                           allow_headers=["Authorization", "Content-Type"])  # fmt: skip
    return app


async def _watch_index(svc: Services, every_s: float) -> None:
    """Hot reload: switch to a newly published index version; searches in flight keep the old one. A version that
    fails to load (whatever the error) leaves the old one serving; the failure is logged, counted, shown by /ready,
    and the next poll tries again."""
    while True:
        await asyncio.sleep(every_s)
        await asyncio.to_thread(svc.reload_index)

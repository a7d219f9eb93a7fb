"""The FastAPI app: models and index load in `lifespan`, reach routes through `Depends`."""

from __future__ import annotations

import asyncio
import logging
import time
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Annotated

from fastapi import APIRouter, Depends, FastAPI, HTTPException, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field

from rag.config import Config
from rag.prompt import Passage, build_messages, render_prompt
from rag.retrieve import EmptyQuestion, Retriever, build_retriever
from rag.store import IndexMismatch, IndexNotFound
from serve.generator import LoadedModel, generate, load_for_serving

log = logging.getLogger("serve")


@dataclass
class Services:
    config: Config
    lm: LoadedModel
    retriever: Retriever
    lock: asyncio.Lock  # one generation at a time on the in-process model


class Turn(BaseModel):
    role: str = Field(pattern="^(user|assistant)$")
    content: str = Field(max_length=8000)


class AskRequest(BaseModel):
    question: str = Field(min_length=1, max_length=4000)
    history: list[Turn] = Field(default_factory=list, max_length=20)
    top_k: int | None = Field(None, ge=1, le=20)
    filters: dict[str, str] = Field(default_factory=dict, description="{'doc_prefix': 'company/'}")
    max_tokens: int | None = Field(None, ge=1, le=2048)
    temperature: float | None = Field(None, ge=0, le=2)


class Source(BaseModel):
    n: int
    doc_id: str
    title: str
    heading: str
    page: int | None
    score: float
    snippet: str


class AskResponse(BaseModel):
    answer: str
    sources: list[Source]
    model: str
    adapter: str | None
    index_version: str
    usage: dict[str, int]
    timings_ms: dict[str, float]


def load_services(cfg: Config) -> Services:
    lm = load_for_serving(
        cfg.model.generator,
        cfg.model.models_dir,
        cfg.finetune.output_dir,
        cfg.finetune.merged_dir,
        cfg.model.device,
        cfg.model.system_prompt,
    )
    retriever = build_retriever(cfg)
    return Services(cfg, lm, retriever, asyncio.Lock())


def create_app(cfg: Config, services: Services | None = None) -> FastAPI:
    """`services` lets tests hand in ready-made ones; otherwise lifespan loads them from `cfg`."""

    @asynccontextmanager
    async def lifespan(app: FastAPI):
        app.state.services = services or await asyncio.to_thread(load_services, cfg)
        yield

    app = FastAPI(title="ragtune", lifespan=lifespan)

    @app.exception_handler(IndexNotFound)
    async def _no_index(request: Request, exc: IndexNotFound):
        return JSONResponse(status_code=503, content={"detail": "no index is published yet; run `make index`"})

    @app.exception_handler(IndexMismatch)
    async def _mismatch(request: Request, exc: IndexMismatch):
        return JSONResponse(status_code=503, content={"detail": "the index does not match the configured embedder"})

    app.include_router(_routes())
    return app


def get_services(request: Request) -> Services:
    return request.app.state.services


ServicesDep = Annotated[Services, Depends(get_services)]


def _routes():
    router = APIRouter()

    @router.get("/health")
    async def health():
        return {"status": "ok"}

    @router.get("/ready")
    async def ready(svc: ServicesDep):
        return {"status": "ready", "model": svc.lm.name, "index_version": svc.retriever.version}

    @router.post("/ask", response_model=AskResponse)
    async def ask(req: AskRequest, svc: ServicesDep):
        cfg = svc.config
        started = time.perf_counter()
        try:
            hits = svc.retriever.search(
                req.question, req.top_k or cfg.serve.top_k, doc_prefix=req.filters.get("doc_prefix", "")
            )
        except EmptyQuestion as e:
            raise HTTPException(status_code=422, detail=f"question: {e}") from None
        retrieved = time.perf_counter()
        messages = build_messages(
            req.question,
            [Passage(h.chunk.text, h.chunk.heading or h.chunk.title, h.chunk.doc_id) for h in hits],
            [t.model_dump() for t in req.history],
            cfg.model.system_prompt,
        )
        prompt = render_prompt(svc.lm.tokenizer, messages)
        async with svc.lock:
            completion = await asyncio.to_thread(
                generate,
                svc.lm,
                prompt,
                req.max_tokens or cfg.serve.max_new_tokens,
                cfg.serve.temperature if req.temperature is None else req.temperature,
            )
        done = time.perf_counter()
        return AskResponse(
            answer=completion.text,
            sources=[
                Source(
                    n=i,
                    doc_id=h.chunk.doc_id,
                    title=h.chunk.title,
                    heading=h.chunk.heading,
                    page=h.chunk.page,
                    score=round(h.score, 4),
                    snippet=h.chunk.text[:300],
                )
                for i, h in enumerate(hits, start=1)
            ],
            model=svc.lm.name,
            adapter=svc.lm.adapter,
            index_version=svc.retriever.version,
            usage={"prompt_tokens": completion.prompt_tokens, "completion_tokens": completion.completion_tokens},
            timings_ms={
                "retrieve": round((retrieved - started) * 1000, 1),
                "generate": round((done - retrieved) * 1000, 1),
                "total": round((done - started) * 1000, 1),
            },
        )

    return router

"""The FastAPI app. Models, index and the generation engine load in `lifespan` and reach the thin
routes through `Depends`; domain errors (rag, engine) become HTTP status codes only here."""

from __future__ import annotations

import asyncio
import hmac
import json
import logging
import time
import uuid
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated

from fastapi import APIRouter, Depends, FastAPI, HTTPException, Request
from fastapi.exceptions import RequestValidationError
from fastapi.middleware.cors import CORSMiddleware
from fastapi.responses import FileResponse, JSONResponse, Response, StreamingResponse
from ragtune.finetune.generation import Completion
from ragtune.rag.retrieve import EmptyQuestion, Hit, Retriever, build_retriever
from ragtune.rag.store import IndexMismatch, IndexNotFound
from ragtune.serve.backend import QueueFull
from ragtune.serve.engine import Engine, GenRequest
from ragtune.serve.generator import LoadedModel, load_for_serving, load_tokenizer_only
from ragtune.serve.guard import LeakGuard
from ragtune.serve.metrics import Metrics
from ragtune.serve.remote import RemoteEngine, RemoteError
from ragtune.serve.schemas import AskRequest, AskResponse, ChatRequest, CompletionRequest, Source

from ragtune.citations import clean_citations
from ragtune.config import Config
from ragtune.prompt import build_messages, render_prompt, stop_strings

log = logging.getLogger("serve")
STATIC = Path(__file__).parent / "static"


@dataclass
class Services:
    config: Config
    lm: LoadedModel
    retriever: Retriever
    engine: Engine | None = None  # created in lifespan when not handed in


def load_services(cfg: Config) -> Services:
    if cfg.serve.generator_url:
        lm = load_tokenizer_only(cfg.model.generator, cfg.model.models_dir, cfg.finetune.merged_dir, cfg.serve.generator_model)
        engine = RemoteEngine(cfg.serve.generator_url, cfg.serve.generator_model or lm.name, stop_strings(lm.tokenizer),
                              cfg.serve.generator_api_key, cfg.serve.max_queue, cfg.serve.request_timeout_s)  # fmt: skip
        log.info("generation goes to the remote %s (model %s)", cfg.serve.generator_url, engine.model)
        return Services(cfg, lm, build_retriever(cfg), engine)
    lm = load_for_serving(
        cfg.model.generator, cfg.model.models_dir, cfg.finetune.output_dir, cfg.finetune.merged_dir,
        cfg.model.device, cfg.model.system_prompt, cfg.model.inference_dtype,
    )  # fmt: skip
    return Services(cfg, lm, build_retriever(cfg))


def create_app(cfg: Config, services: Services | None = None) -> FastAPI:
    """`services` lets tests hand in ready-made ones; otherwise lifespan loads them from `cfg`."""
    metrics = Metrics()

    @asynccontextmanager
    async def lifespan(app: FastAPI):
        svc = services or await asyncio.to_thread(load_services, cfg)
        if svc.engine is None:
            svc.engine = Engine(svc.lm.model, svc.lm.tokenizer, svc.lm.stop_ids, cfg.serve.max_batch, cfg.serve.max_queue)
        svc.engine.on_batch = metrics.observe_batch
        svc.engine.on_finish = metrics.observe_finish
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

    app.include_router(_routes(cfg, metrics))
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


def get_services(request: Request) -> Services:
    return request.app.state.services


ServicesDep = Annotated[Services, Depends(get_services)]


def require_key(request: Request) -> None:
    keys = request.app.state.services.config.serve.api_keys
    if not keys:
        return
    header = request.headers.get("authorization", "")
    scheme, _, token = header.partition(" ")
    ok = scheme.lower() == "bearer" and any(hmac.compare_digest(token.encode(), k.encode()) for k in keys)
    if not ok:
        raise HTTPException(401, "missing or invalid API key (Authorization: Bearer <key>)", headers={"WWW-Authenticate": "Bearer"})


def retrieval_query(question: str, history: list[dict[str, str]]) -> str:
    """Follow-ups ("còn trường hợp kia thì sao?") are searched together with the previous user turn."""
    previous = [t["content"] for t in history if t["role"] == "user"][-1:]
    return " ".join([*previous, question])


def sources_of(hits: list[Hit]) -> list[Source]:
    return [
        Source(n=i, doc_id=h.chunk.doc_id, title=h.chunk.title, heading=h.chunk.heading, page=h.chunk.page,
               score=round(h.score, 4), snippet=h.chunk.text[:300])  # fmt: skip
        for i, h in enumerate(hits, start=1)
    ]


def _routes(cfg: Config, metrics: Metrics) -> APIRouter:
    router = APIRouter()
    auth = [Depends(require_key)]
    limits = cfg.serve
    guard = LeakGuard(cfg.model.system_prompt, cfg.model.not_found_phrase)

    def check_limits(question: str, top_k: int | None, max_tokens: int | None) -> None:
        problems = []
        if len(question) > limits.max_question_chars:
            problems.append({"field": "question", "message": f"at most {limits.max_question_chars} characters"})
        if top_k is not None and top_k > limits.max_top_k:
            problems.append({"field": "top_k", "message": f"at most {limits.max_top_k}"})
        if max_tokens is not None and max_tokens > limits.max_tokens_limit:
            problems.append({"field": "max_tokens", "message": f"at most {limits.max_tokens_limit}"})
        if problems:
            raise HTTPException(422, problems)

    async def prepare(svc: Services, question: str, history: list[dict], top_k: int, doc_prefix: str, use_rag: bool):
        """Retrieve (or not) and render the prompt; returns (hits, prompt, gate) where gate says 'not found'."""
        hits: list[Hit] = []
        if use_rag:
            began = time.perf_counter()
            try:
                hits = await svc.engine.call(svc.retriever.search, retrieval_query(question, history), top_k,
                                             doc_prefix=doc_prefix, min_share=limits.min_relative_score)  # fmt: skip
            except EmptyQuestion as e:
                raise HTTPException(422, [{"field": "question", "message": str(e)}]) from None
            metrics.retrieval_seconds.observe(time.perf_counter() - began)
        gate = use_rag and limits.min_score > 0 and max((h.similarity or 0.0 for h in hits), default=0.0) < limits.min_score
        passages = [h.passage() for h in hits]
        prompt = render_prompt(svc.lm.tokenizer, build_messages(question, passages, history, cfg.model.system_prompt))
        return hits, prompt, gate

    async def run_to_end(svc: Services, req: GenRequest, request: Request) -> Completion:
        """Wait for the completion; cancel it if the client leaves or the timeout passes."""

        async def watch_disconnect():
            while not req.cancelled.is_set():
                if await request.is_disconnected():
                    req.cancelled.set()
                    return
                await asyncio.sleep(0.25)

        watcher = asyncio.create_task(watch_disconnect())
        try:
            return await asyncio.wait_for(svc.engine.complete(req), timeout=limits.request_timeout_s)
        except TimeoutError:
            req.cancelled.set()
            raise HTTPException(504, f"generation took longer than {limits.request_timeout_s} s") from None
        finally:
            watcher.cancel()

    def cite(text: str, hits: list[Hit]) -> str:
        """The answer with citation markers that point nowhere removed (and counted)."""
        text, removed = clean_citations(text, len(hits))
        metrics.citations_removed.inc(removed)
        return text

    def finish(text: str, hits: list[Hit]) -> tuple[str, bool]:
        """A whole answer as sent, and whether the guard blocked it (streams are guarded as they go: `_guarded`)."""
        if guard.leaks(text):
            metrics.answers_blocked.inc()
            return cfg.model.not_found_phrase, True
        return cite(text, hits), False

    @router.get("/health")
    async def health():
        return {"status": "ok"}

    @router.get("/ready", dependencies=auth)
    async def ready(svc: ServicesDep):
        return {"status": "ready", "model": svc.lm.name, "adapter": svc.lm.adapter, "index_version": svc.retriever.version,
                "queue_depth": svc.engine.stats().queue_depth}  # fmt: skip

    @router.get("/metrics", dependencies=auth)
    async def prometheus(svc: ServicesDep):
        metrics.queue_depth.set(svc.engine.stats().queue_depth)
        return Response(metrics.render(), media_type="text/plain; version=0.0.4")

    @router.post("/admin/reload", dependencies=auth)
    async def reload(svc: ServicesDep):
        switched = await asyncio.to_thread(svc.retriever.reload)
        return {"reloaded": switched, "index_version": svc.retriever.version}

    @router.get("/")
    async def chat_page():
        return FileResponse(STATIC / "index.html", media_type="text/html")

    @router.post("/ask", dependencies=auth)
    async def ask(body: AskRequest, request: Request, svc: ServicesDep):
        check_limits(body.question, body.top_k, body.max_tokens)
        started = time.perf_counter()
        history = [t.model_dump() for t in body.history]
        hits, prompt, gate = await prepare(svc, body.question, history, body.top_k or limits.top_k,
                                           body.filters.get("doc_prefix", ""), use_rag=True)  # fmt: skip
        retrieved = time.perf_counter()
        sources = sources_of(hits)
        max_tokens = body.max_tokens or limits.max_new_tokens
        temperature = limits.temperature if body.temperature is None else body.temperature

        def timings(done: float) -> dict[str, float]:
            return {"retrieve": round((retrieved - started) * 1000, 1), "generate": round((done - retrieved) * 1000, 1),
                    "total": round((done - started) * 1000, 1)}  # fmt: skip

        meta = {"model": svc.lm.name, "adapter": svc.lm.adapter, "index_version": svc.retriever.version}
        if gate:
            completion = Completion(cfg.model.not_found_phrase, 0, 0, "not_found")
        elif not body.stream:
            completion = await run_to_end(svc, svc.engine.submit(prompt, max_tokens, temperature), request)
        else:
            req = svc.engine.submit(prompt, max_tokens, temperature)
            return StreamingResponse(_sse_ask(svc, req, request, sources, meta, timings, hits, cite, metrics, guard),
                                     media_type="text/event-stream")  # fmt: skip
        metrics.tokens_generated.inc(completion.completion_tokens)
        return AskResponse(
            answer=finish(completion.text, hits)[0], sources=sources, **meta,
            usage={"prompt_tokens": completion.prompt_tokens, "completion_tokens": completion.completion_tokens},
            timings_ms=timings(time.perf_counter()),
        )  # fmt: skip

    @router.post("/v1/completions", dependencies=auth)
    async def completions(body: CompletionRequest, request: Request, svc: ServicesDep):
        """Raw text completion, no retrieval: what another ragtune uses this one for as its remote generator."""
        check_limits("", None, body.max_tokens)
        max_tokens = body.max_tokens or limits.max_new_tokens
        temperature = limits.temperature if body.temperature is None else body.temperature
        req = svc.engine.submit(body.prompt, max_tokens, temperature)
        cid, created = f"cmpl-{uuid.uuid4().hex[:24]}", int(time.time())
        base = {"id": cid, "object": "text_completion", "created": created, "model": svc.lm.name}
        if body.stream:
            async def events():
                async for delta in _consume(req, request, svc.engine):
                    yield _sse({**base, "choices": [{"index": 0, "text": delta, "finish_reason": None}]})
                if req.result is not None:
                    r = req.result
                    usage = {"prompt_tokens": r.prompt_tokens, "completion_tokens": r.completion_tokens,
                             "total_tokens": r.prompt_tokens + r.completion_tokens}  # fmt: skip
                    reason = "length" if r.finish_reason == "length" else "stop"
                    yield _sse({**base, "choices": [{"index": 0, "text": "", "finish_reason": reason}], "usage": usage})
                    yield "data: [DONE]\n\n"

            return StreamingResponse(events(), media_type="text/event-stream")
        r = await run_to_end(svc, req, request)
        return {**base, "choices": [{"index": 0, "text": r.text, "finish_reason": "length" if r.finish_reason == "length" else "stop"}],
                "usage": {"prompt_tokens": r.prompt_tokens, "completion_tokens": r.completion_tokens,
                          "total_tokens": r.prompt_tokens + r.completion_tokens}}  # fmt: skip

    @router.get("/v1/models", dependencies=auth)
    async def models(svc: ServicesDep):
        return {"object": "list", "data": [{"id": svc.lm.name, "object": "model", "created": 0, "owned_by": "ragtune"}]}

    @router.post("/v1/chat/completions", dependencies=auth)
    async def chat(body: ChatRequest, request: Request, svc: ServicesDep):
        turns = [m for m in body.messages if m.role in ("user", "assistant")]
        if not turns or turns[-1].role != "user":
            raise HTTPException(422, [{"field": "messages", "message": "the last message must be the user's"}])
        question = turns[-1].content
        check_limits(question, body.top_k, body.max_tokens)
        history = [m.model_dump() for m in turns[:-1]]
        hits, prompt, gate = await prepare(svc, question, history, body.top_k or limits.top_k, "", use_rag=body.retrieval)
        sources = [s.model_dump() for s in sources_of(hits)]
        max_tokens = body.max_tokens or limits.max_new_tokens
        temperature = limits.temperature if body.temperature is None else body.temperature
        cid, created = f"chatcmpl-{uuid.uuid4().hex[:24]}", int(time.time())
        if body.stream and not gate:
            req = svc.engine.submit(prompt, max_tokens, temperature)
            return StreamingResponse(_sse_chat(svc, req, request, cid, created, sources, metrics, guard),
                                     media_type="text/event-stream")  # fmt: skip
        if gate:
            completion = Completion(cfg.model.not_found_phrase, 0, 0, "stop")
        else:
            completion = await run_to_end(svc, svc.engine.submit(prompt, max_tokens, temperature), request)
        metrics.tokens_generated.inc(completion.completion_tokens)
        answer, blocked = finish(completion.text, hits)
        reason = "content_filter" if blocked else "length" if completion.finish_reason == "length" else "stop"
        return {
            "id": cid, "object": "chat.completion", "created": created, "model": svc.lm.name,
            "choices": [{"index": 0, "message": {"role": "assistant", "content": answer},
                         "finish_reason": reason}],
            "usage": {"prompt_tokens": completion.prompt_tokens, "completion_tokens": completion.completion_tokens,
                      "total_tokens": completion.prompt_tokens + completion.completion_tokens},
            "sources": sources,
        }  # fmt: skip

    return router


def _sse(event: dict) -> str:
    return f"data: {json.dumps(event, ensure_ascii=False)}\n\n"


async def _consume(req: GenRequest, request: Request, engine: Engine):
    """Deltas of one request; a client that disconnects cancels its row in the running batch."""
    try:
        async for delta in engine.stream(req):
            if await request.is_disconnected():
                req.cancelled.set()
                return
            yield delta
    finally:
        if req.result is None:
            req.cancelled.set()


async def _guarded(req: GenRequest, request: Request, engine: Engine, guard: LeakGuard, metrics: Metrics, blocked: list[bool]):
    """`_consume`, stopped as soon as the text so far repeats the system prompt: row cancelled, block counted."""
    watch = guard.watch()
    async for delta in _consume(req, request, engine):
        if watch.feed(delta):
            blocked.append(True)
            metrics.answers_blocked.inc()
            req.cancelled.set()
            async for _ in engine.stream(req):  # wait for the engine to retire the row and report usage
                pass
            return
        yield delta


async def _sse_ask(svc, req, request, sources, meta, timings, hits, cite, metrics, guard):
    yield _sse({"type": "sources", "sources": [s.model_dump() for s in sources], **meta})
    blocked: list[bool] = []
    async for delta in _guarded(req, request, svc.engine, guard, metrics, blocked):
        yield _sse({"type": "delta", "text": delta})
    if req.result is None:
        return
    metrics.tokens_generated.inc(req.result.completion_tokens)
    yield _sse({
        "type": "done", "answer": svc.config.model.not_found_phrase if blocked else cite(req.result.text, hits),
        "finish_reason": "content_filter" if blocked else req.result.finish_reason,
        "usage": {"prompt_tokens": req.result.prompt_tokens, "completion_tokens": req.result.completion_tokens},
        "timings_ms": timings(time.perf_counter()),
    })  # fmt: skip


async def _sse_chat(svc, req, request, cid, created, sources, metrics, guard):
    base = {"id": cid, "object": "chat.completion.chunk", "created": created, "model": svc.lm.name}
    yield _sse({**base, "choices": [{"index": 0, "delta": {"role": "assistant", "content": ""}, "finish_reason": None}],
                "sources": sources})  # fmt: skip
    blocked: list[bool] = []
    async for delta in _guarded(req, request, svc.engine, guard, metrics, blocked):
        yield _sse({**base, "choices": [{"index": 0, "delta": {"content": delta}, "finish_reason": None}]})
    if req.result is None:
        return
    metrics.tokens_generated.inc(req.result.completion_tokens)
    usage = {"prompt_tokens": req.result.prompt_tokens, "completion_tokens": req.result.completion_tokens,
             "total_tokens": req.result.prompt_tokens + req.result.completion_tokens}  # fmt: skip
    reason = "content_filter" if blocked else "length" if req.result.finish_reason == "length" else "stop"
    yield _sse({**base, "choices": [{"index": 0, "delta": {}, "finish_reason": reason}], "usage": usage})
    yield "data: [DONE]\n\n"


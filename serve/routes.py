"""The HTTP routes: each translates a request to the answer pipeline (or the backend) and the result back.

No route decides anything about answers; `serve/pipeline.py` does. Domain errors raised here become
status codes in `serve/app.py`'s exception handlers.
"""

from __future__ import annotations

import asyncio
import json
import time
import uuid
from collections.abc import AsyncIterator, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated

from fastapi import APIRouter, Depends, HTTPException, Request
from fastapi.responses import FileResponse, Response, StreamingResponse

from ragtune.config import Config
from ragtune.serve.backend import PromptTooLong, effective_temperature
from ragtune.serve.pipeline import (
    Answer,
    AnswerOptions,
    DeltaEvent,
    DoneEvent,
    GenerationTimeout,
    SourcesEvent,
    Usage,
    deltas,
    run_to_end,
)
from ragtune.serve.schemas import AskRequest, AskResponse, ChatRequest, CompletionRequest, invalid
from ragtune.serve.services import Services, get_services

STATIC = Path(__file__).parent / "static"
ServicesDep = Annotated[Services, Depends(get_services)]
router = APIRouter()


def _sse(event: dict) -> str:
    return f"data: {json.dumps(event, ensure_ascii=False)}\n\n"


def _event_stream(events: AsyncIterator[str]) -> StreamingResponse:
    return StreamingResponse(events, media_type="text/event-stream")


def options(cfg: Config, question: str, top_k: int | None, max_tokens: int | None, temperature: float | None,
            doc_prefix: str = "", retrieval: bool = True) -> AnswerOptions:  # fmt: skip
    """A request's options with the configured defaults, after checking the configured limits (422 naming the field)."""
    limits, problems = cfg.serve, []
    if len(question) > limits.max_question_chars:
        problems.append(invalid("question", f"at most {limits.max_question_chars} characters"))
    if top_k is not None and top_k > limits.max_top_k:
        problems.append(invalid("top_k", f"at most {limits.max_top_k}"))
    if max_tokens is not None and max_tokens > limits.max_tokens_limit:
        problems.append(invalid("max_tokens", f"at most {limits.max_tokens_limit}"))
    if problems:
        raise HTTPException(422, problems)
    temperature = effective_temperature(limits.temperature if temperature is None else temperature)
    return AnswerOptions(top_k or limits.top_k, max_tokens or limits.max_new_tokens, temperature, doc_prefix, retrieval)


@contextmanager
def _field(name: str) -> Iterator[None]:
    """A too-long prompt names this route's field (the chat API has `messages`, not `question`)."""
    try:
        yield
    except PromptTooLong as e:
        e.field = name
        raise


def openai_finish_reason(reason: str) -> str:
    """OpenAI's vocabulary: our 'not_found' and 'cancelled' answers ended normally; one cut off by the timeout did not."""
    return "length" if reason == "timeout" else reason if reason in ("length", "content_filter") else "stop"


def openai_usage(usage: Usage) -> dict[str, int]:
    return {"prompt_tokens": usage.prompt_tokens, "completion_tokens": usage.completion_tokens,
            "total_tokens": usage.total_tokens}  # fmt: skip


# --- ragtune's own API ---------------------------------------------------------------------------


@router.get("/health")
async def health():
    return {"status": "ok"}


@router.get("/ready")
async def ready(svc: ServicesDep):
    return {"status": "ready", "model": svc.lm.name, "adapter": svc.lm.adapter, "index_version": svc.retriever.version,
            "queue_depth": svc.engine.stats().queue_depth, "index_reload_error": svc.reload_error}  # fmt: skip


@router.get("/metrics")
async def prometheus(svc: ServicesDep):
    svc.metrics.queue_depth.set(svc.engine.stats().queue_depth)
    return Response(svc.metrics.render(), media_type="text/plain; version=0.0.4")


@router.post("/admin/reload")
async def reload(svc: ServicesDep):
    switched = await asyncio.to_thread(svc.reload_index)
    return {"reloaded": switched, "index_version": svc.retriever.version, "index_reload_error": svc.reload_error}


@router.get("/")
async def chat_page():
    return FileResponse(STATIC / "index.html", media_type="text/html")


@router.post("/ask")
async def ask(body: AskRequest, request: Request, svc: ServicesDep):
    opts = options(svc.config, body.question, body.top_k, body.max_tokens, body.temperature, body.filters.get("doc_prefix", ""))
    history = [t.model_dump() for t in body.history]
    meta = {"model": svc.lm.name, "adapter": svc.lm.adapter}
    if not body.stream:
        answer = await svc.pipeline.answer(body.question, history, opts, request.is_disconnected)
        return AskResponse(answer=answer.text, sources=answer.sources, **meta, index_version=answer.index_version, usage=_ask_usage(answer),
                           timings_ms=answer.timings_ms, verified=answer.verified, quoted=answer.quoted,
                           answerability=answer.answerability())  # fmt: skip
    events = await svc.pipeline.stream(body.question, history, opts, request.is_disconnected)

    async def sse():
        async for event in events:
            if isinstance(event, SourcesEvent):
                yield _sse({"type": "sources", "sources": [s.model_dump() for s in event.sources], **meta,
                            "index_version": event.index_version})  # fmt: skip
            elif isinstance(event, DeltaEvent):
                yield _sse({"type": "delta", "text": event.text})
            else:
                a = event.answer
                yield _sse({"type": "done", "answer": a.text, "finish_reason": a.finish_reason, "usage": _ask_usage(a),
                            "timings_ms": a.timings_ms, "verified": a.verified, "quoted": a.quoted,
                            "answerability": a.answerability()})  # fmt: skip

    return _event_stream(sse())


def _ask_usage(answer: Answer) -> dict[str, int]:
    return {"prompt_tokens": answer.usage.prompt_tokens, "completion_tokens": answer.usage.completion_tokens}


# --- the OpenAI-compatible API -------------------------------------------------------------------


@router.get("/v1/models")
async def models(svc: ServicesDep):
    return {"object": "list", "data": [{"id": svc.lm.name, "object": "model", "created": 0, "owned_by": "ragtune"}]}


@router.post("/v1/chat/completions")
async def chat(body: ChatRequest, request: Request, svc: ServicesDep):
    turns = [m for m in body.messages if m.role in ("user", "assistant")]
    if not turns or turns[-1].role != "user":
        raise HTTPException(422, [invalid("messages", "the last message must be the user's")])
    question, history = turns[-1].content, [m.model_dump() for m in turns[:-1]]
    opts = options(svc.config, question, body.top_k, body.max_tokens, body.temperature, retrieval=body.retrieval)
    base = {"id": f"chatcmpl-{uuid.uuid4().hex[:24]}", "created": int(time.time()), "model": svc.lm.name}
    if not body.stream:
        with _field("messages"):
            a = await svc.pipeline.answer(question, history, opts, request.is_disconnected)
        return {**base, "object": "chat.completion", "sources": [s.model_dump() for s in a.sources], "verified": a.verified,
                "quoted": a.quoted, "answerability": a.answerability(),
                "choices": [{"index": 0, "message": {"role": "assistant", "content": a.text},
                             "finish_reason": openai_finish_reason(a.finish_reason)}],
                "usage": openai_usage(a.usage)}  # fmt: skip
    with _field("messages"):
        events = await svc.pipeline.stream(question, history, opts, request.is_disconnected)
    chunk = {**base, "object": "chat.completion.chunk"}

    async def sse():
        async for event in events:
            if isinstance(event, SourcesEvent):
                delta, extra = {"role": "assistant", "content": ""}, {"sources": [s.model_dump() for s in event.sources]}
                yield _sse({**chunk, "choices": [{"index": 0, "delta": delta, "finish_reason": None}], **extra})
            elif isinstance(event, DeltaEvent):
                yield _sse({**chunk, "choices": [{"index": 0, "delta": {"content": event.text}, "finish_reason": None}]})
            elif isinstance(event, DoneEvent):
                reason = openai_finish_reason(event.answer.finish_reason)
                yield _sse({**chunk, "choices": [{"index": 0, "delta": {}, "finish_reason": reason}],
                            "usage": openai_usage(event.answer.usage), "verified": event.answer.verified,
                            "quoted": event.answer.quoted, "answerability": event.answer.answerability()})  # fmt: skip
                yield "data: [DONE]\n\n"

    return _event_stream(sse())


@router.post("/v1/completions")
async def completions(body: CompletionRequest, request: Request, svc: ServicesDep):
    """Raw text completion, no retrieval: what another ragtune uses this one for as its remote generator. Like
    llama.cpp and vLLM it reads the prompt after a BOS, the one the chat template writes (`template_bos`)."""
    opts = options(svc.config, "", None, body.max_tokens, body.temperature, retrieval=False)
    prompt = body.prompt if body.prompt.startswith(svc.bos) else svc.bos + body.prompt
    gen = svc.engine.submit(prompt, opts.max_tokens, opts.temperature)
    base = {"id": f"cmpl-{uuid.uuid4().hex[:24]}", "object": "text_completion", "created": int(time.time()),
            "model": svc.lm.name}  # fmt: skip
    if not body.stream:
        r = await run_to_end(svc.engine, gen, svc.config.serve.request_timeout_s, request.is_disconnected)
        usage = Usage(r.prompt_tokens, r.completion_tokens)
        return {**base, "choices": [{"index": 0, "text": r.text, "finish_reason": openai_finish_reason(r.finish_reason)}],
                "usage": openai_usage(usage)}  # fmt: skip

    async def sse():
        timed_out = False
        try:
            async for delta in deltas(svc.engine, gen, request.is_disconnected, svc.config.serve.request_timeout_s):
                yield _sse({**base, "choices": [{"index": 0, "text": delta, "finish_reason": None}]})
        except GenerationTimeout:
            timed_out = True
            svc.metrics.generation_timeouts.inc()
        if (r := gen.result) is not None:
            reason = openai_finish_reason("timeout" if timed_out else r.finish_reason)
            usage = Usage(r.prompt_tokens, r.completion_tokens)
            yield _sse({**base, "choices": [{"index": 0, "text": "", "finish_reason": reason}], "usage": openai_usage(usage)})
            yield "data: [DONE]\n\n"

    return _event_stream(sse())

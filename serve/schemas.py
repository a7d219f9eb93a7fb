"""Request and response bodies. Hard bounds live here; configurable limits are checked in the routes."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, Field


def invalid(field: str, message: str, kind: str = "value_error") -> dict[str, Any]:
    """One entry of a 422's `detail`, in the shape the OpenAPI document declares (FastAPI's ValidationError):
    `loc` names the body field, `msg` says what is wrong. The offending input is never echoed."""
    return {"loc": ["body", *field.split(".")], "msg": message, "type": kind}


class Turn(BaseModel):
    role: str = Field(pattern="^(user|assistant)$")
    content: str = Field(max_length=8000)


class AskRequest(BaseModel):
    question: str = Field(min_length=1)
    history: list[Turn] = Field(default_factory=list, max_length=20)
    top_k: int | None = Field(None, ge=1)
    filters: dict[str, str] = Field(default_factory=dict, description="{'doc_prefix': 'company/'}")
    max_tokens: int | None = Field(None, ge=1)
    temperature: float | None = Field(None, ge=0, le=2)
    stream: bool = False


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
    verified: bool  # every number the generated answer stated was found in the source it cited
    quoted: bool = False  # the generated answer missed the question: the best-matching source sentence replaced it
    # uncovered: share of the question's term weight no passage holds; refusal_score: P(answer starts with the
    # not-found phrase), None for a remote generator (ragtune/answerability.py)
    answerability: dict[str, float | None] = {}


class ChatMessage(BaseModel):
    role: str = Field(pattern="^(system|user|assistant|developer|tool)$")
    content: str = Field(max_length=8000)


class ChatRequest(BaseModel):
    """The OpenAI chat-completions body; `retrieval` and `top_k` are ragtune's extras (extra_body)."""

    model: str = ""
    messages: list[ChatMessage] = Field(min_length=1, max_length=40)
    max_tokens: int | None = Field(None, ge=1)
    temperature: float | None = Field(None, ge=0, le=2)
    stream: bool = False
    retrieval: bool = True
    top_k: int | None = Field(None, ge=1)


class CompletionRequest(BaseModel):
    """The OpenAI text-completions body (a raw prompt; no retrieval)."""

    model: str = ""
    prompt: str = Field(min_length=1, max_length=200_000)
    max_tokens: int | None = Field(None, ge=1)
    temperature: float | None = Field(None, ge=0, le=2)
    stream: bool = False
    stop: list[str] | None = None
    stream_options: dict | None = None

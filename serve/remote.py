"""A remote generator: any OpenAI-compatible server (vLLM with the adapter as a LoRA module, llama.cpp,
Ollama, another ragtune) generates, while this server keeps retrieval, prompting and citations.

It speaks the text-completions API with the prompt ragtune rendered, so the chat template, the
context blocks and the stop tokens stay exactly those the adapter was trained with. Two things every such
server does to a text prompt are undone: it puts a BOS before it (the template's own is left out,
`prompt.template_bos`), and llama.cpp's server penalises repeated tokens unless told not to (`repeat_penalty`
1.1 by default: an answer that copies a number or a name from its passages is pushed off it; the other servers
ignore the field or default to 1.0). Tested against llama-cpp-python's server (tests/serve/test_llama_cpp_remote.py).
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field

import httpx

from ragtune.errors import RagtuneError
from ragtune.finetune.generation import Completion
from ragtune.serve.backend import BackendStats, QueueFull

log = logging.getLogger("serve.remote")


class RemoteError(RagtuneError, RuntimeError):
    """The remote generator failed or answered something that is not a completion."""


@dataclass
class RemoteRequest:
    """One submitted request, the remote generator's `Generation`."""

    prompt: str
    max_new_tokens: int
    temperature: float
    cancelled: asyncio.Event = field(default_factory=asyncio.Event)
    result: Completion | None = None


class RemoteEngine:
    """The `Backend` interface over HTTP; concurrency bounded by max_queue."""

    def __init__(self, url: str, model: str, stop: list[str], api_key: str = "", max_queue: int = 32, timeout_s: float = 180,
                 bos: str = "", count_tokens: Callable[[str], int] | None = None):  # fmt: skip
        self.url = url.rstrip("/")
        self.bos = bos  # the template's BOS text: the remote server adds its own
        self.count_tokens = count_tokens  # usage for servers whose stream does not report it (llama-cpp-python's)
        self.model = model
        self.stop = stop
        self.headers = {"Authorization": f"Bearer {api_key}"} if api_key else {}
        self.max_queue = max_queue
        self.timeout_s = timeout_s
        self.in_flight = 0
        self.on_batch = self.on_finish = self.on_busy = None
        self._client = httpx.AsyncClient(timeout=timeout_s)

    def stats(self) -> BackendStats:
        return BackendStats(0, self.in_flight)

    def cancel(self, req: RemoteRequest) -> None:
        req.cancelled.set()  # the stream stops reading at its next line and closes the connection

    async def call(self, fn, *args, **kwargs):
        """Other work of the server (retrieval) in a thread: generation is not in this process."""
        return await asyncio.to_thread(fn, *args, **kwargs)

    def submit(self, prompt: str, max_new_tokens: int, temperature: float, refusal_threshold: float | None = None) -> RemoteRequest:
        """`refusal_threshold` is not applied: the remote API gives no first-token distribution before decoding."""
        if self.in_flight >= self.max_queue:
            raise QueueFull(f"{self.in_flight} requests are already with the remote generator; retry shortly")
        self.in_flight += 1
        return RemoteRequest(prompt, max_new_tokens, temperature)

    async def stream(self, req: RemoteRequest) -> AsyncIterator[str]:
        prompt = req.prompt.removeprefix(self.bos) if self.bos else req.prompt
        body = {"model": self.model, "prompt": prompt, "max_tokens": req.max_new_tokens, "temperature": req.temperature,
                "repeat_penalty": 1.0, "stop": self.stop, "stream": True, "stream_options": {"include_usage": True}}  # fmt: skip
        text, usage, finish = "", {}, "length"
        try:
            async with self._client.stream("POST", f"{self.url}/completions", json=body, headers=self.headers) as r:
                if r.status_code != 200:
                    raise RemoteError(
                        f"remote generator answered {r.status_code}: {(await r.aread())[:200]!r}; see its log "
                        "(serve.generator_url)"
                    )
                async for line in r.aiter_lines():
                    if req.cancelled.is_set():
                        finish = "cancelled"
                        break
                    if not line.startswith("data: ") or line == "data: [DONE]":
                        continue
                    chunk = json.loads(line[len("data: ") :])
                    usage = chunk.get("usage") or usage
                    for choice in chunk.get("choices", []):
                        if choice.get("text"):
                            text += choice["text"]
                            yield choice["text"]
                        finish = choice.get("finish_reason") or finish
        except httpx.HTTPError as e:
            raise RemoteError(f"remote generator unreachable ({e.__class__.__name__}); check that {self.url} is up") from None
        finally:
            self.in_flight -= 1
        if not usage and self.count_tokens:
            usage = {"prompt_tokens": self.count_tokens(req.prompt), "completion_tokens": self.count_tokens(text)}
        req.result = Completion(text.strip(), usage.get("prompt_tokens", 0), usage.get("completion_tokens", 0), finish)
        if self.on_finish:
            self.on_finish(finish)

    async def complete(self, req: RemoteRequest) -> Completion:
        async for _ in self.stream(req):
            pass
        return req.result

    def close(self) -> None:
        try:
            asyncio.get_running_loop().create_task(self._client.aclose())
        except RuntimeError:
            pass

"""Generation off the event loop: a bounded queue, dynamic batching, streaming and cancellation.

One worker thread owns the model. It takes the oldest waiting request, gathers whatever else arrived
within a short window (up to `max_batch`, same sampling settings), and runs one left-padded batched
`generate`. Tokens fan out to each request's asyncio queue as they are produced; a request that is
cancelled (client gone, timeout) or reaches its own token limit stops its row while the others go on.
"""

from __future__ import annotations

import asyncio
import logging
import queue
import threading
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass, field

import torch
from transformers import StoppingCriteria, StoppingCriteriaList
from transformers.generation.streamers import BaseStreamer

from finetune.generation import Completion

log = logging.getLogger("serve.engine")


class QueueFull(RuntimeError):
    """More requests are waiting than the server accepts; the client should retry later."""


@dataclass
class GenRequest:
    prompt: str
    max_new_tokens: int
    temperature: float
    loop: asyncio.AbstractEventLoop
    events: asyncio.Queue = field(default_factory=asyncio.Queue)  # ("delta", str) ... ("done", Completion)
    cancelled: threading.Event = field(default_factory=threading.Event)
    enqueued_at: float = field(default_factory=time.perf_counter)
    result: Completion | None = None  # set when the stream ends

    def emit(self, kind: str, value) -> None:
        self.loop.call_soon_threadsafe(self.events.put_nowait, (kind, value))


class _Row:
    """Per-request decoding state inside a batch."""

    def __init__(self, req: GenRequest, prompt_tokens: int):
        self.req = req
        self.prompt_tokens = prompt_tokens
        self.tokens: list[int] = []
        self.sent = ""  # text already streamed
        self.done = False
        self.finish = "length"


class _FanOut(BaseStreamer):
    """Receives each step's tokens for the whole batch and streams each row's new text to its request."""

    def __init__(self, rows: list[_Row], tokenizer, stop_ids: set[int]):
        self.rows, self.tokenizer, self.stop_ids = rows, tokenizer, stop_ids
        self.prompt_seen = False

    def put(self, value: torch.Tensor) -> None:
        if not self.prompt_seen:  # generate first passes the prompt ids
            self.prompt_seen = True
            return
        for row, token in zip(self.rows, value.view(-1).tolist(), strict=True):
            if row.done:
                continue
            if token in self.stop_ids:
                row.done, row.finish = True, "stop"
                continue
            row.tokens.append(token)
            text = self.tokenizer.decode(row.tokens, skip_special_tokens=True)
            if text.endswith("\ufffd"):
                continue  # a multi-byte character is not complete yet
            if len(text) > len(row.sent):
                row.req.emit("delta", text[len(row.sent) :])
                row.sent = text
            if len(row.tokens) >= row.req.max_new_tokens:
                row.done = True

    def end(self) -> None:
        pass


class _RowsDone(StoppingCriteria):
    """Per-row stop: finished, over its own token limit, or cancelled by the client."""

    def __init__(self, rows: list[_Row]):
        self.rows = rows

    def __call__(self, input_ids, scores, **kwargs) -> torch.BoolTensor:
        for row in self.rows:
            if row.req.cancelled.is_set() and not row.done:
                row.done, row.finish = True, "cancelled"
        return torch.tensor([row.done for row in self.rows], dtype=torch.bool, device=input_ids.device)


class Engine:
    def __init__(self, model, tokenizer, stop_ids: list[int], max_batch: int = 8, max_queue: int = 32, batch_window_ms: float = 15):
        self.model, self.tokenizer = model, tokenizer
        self.stop_ids = list(stop_ids)
        self.max_batch = max_batch
        self.batch_window_s = batch_window_ms / 1000
        self._queue: queue.Queue[GenRequest] = queue.Queue(maxsize=max_queue)
        self._held: list[GenRequest] = []  # taken from the queue but not yet batched (other settings)
        self._stop = threading.Event()
        self.last_batch_size = 0
        self.on_batch = None  # optional callback(batch_size)
        self.on_finish = None  # optional callback(finish_reason), once per request
        self._thread = threading.Thread(target=self._run, name="ragtune-generate", daemon=True)
        self._thread.start()

    @property
    def depth(self) -> int:
        return self._queue.qsize() + len(self._held)

    def submit(self, prompt: str, max_new_tokens: int, temperature: float) -> GenRequest:
        req = GenRequest(prompt, max_new_tokens, temperature, asyncio.get_running_loop())
        try:
            self._queue.put_nowait(req)
        except queue.Full:
            raise QueueFull(f"{self._queue.maxsize} requests are already waiting") from None
        return req

    async def stream(self, req: GenRequest) -> AsyncIterator[str]:
        """Text deltas; the final Completion is left in `req.result`."""
        while True:
            kind, value = await req.events.get()
            if kind == "delta":
                yield value
            elif kind == "done":
                req.result = value
                return
            else:
                raise value

    async def complete(self, req: GenRequest) -> Completion:
        async for _ in self.stream(req):
            pass
        return req.result

    def close(self) -> None:
        self._stop.set()
        self._thread.join(timeout=5)

    # --- worker thread -----------------------------------------------------------------------------
    def _next_batch(self) -> list[GenRequest]:
        first = self._held.pop(0) if self._held else self._queue.get(timeout=0.1)
        batch, deadline = [first], time.perf_counter() + self.batch_window_s
        candidates, self._held = self._held, []
        while len(batch) < self.max_batch:
            if candidates:
                req = candidates.pop(0)
            else:
                remaining = deadline - time.perf_counter()
                try:
                    req = self._queue.get(timeout=max(remaining, 0)) if remaining > 0 else self._queue.get_nowait()
                except queue.Empty:
                    break
            if req.temperature == first.temperature:
                batch.append(req)
            else:
                self._held.append(req)
        self._held += candidates
        return [r for r in batch if not r.cancelled.is_set()] or self._finish_cancelled(batch)

    def _finish_cancelled(self, batch: list[GenRequest]) -> list[GenRequest]:
        for r in batch:
            r.emit("done", Completion("", 0, 0, "cancelled"))
        return []

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                batch = self._next_batch()
            except queue.Empty:
                continue
            if not batch:
                continue
            try:
                self._generate(batch)
            except Exception as e:  # a failed batch fails its requests, never the worker
                log.exception("generation failed")
                for r in batch:
                    r.emit("error", e)

    @torch.inference_mode()
    def _generate(self, batch: list[GenRequest]) -> None:
        tok = self.tokenizer
        side, tok.padding_side = tok.padding_side, "left"
        try:
            inputs = tok([r.prompt for r in batch], return_tensors="pt", padding=True, add_special_tokens=False)
        finally:
            tok.padding_side = side
        inputs = inputs.to(self.model.device)
        rows = [_Row(r, int(n)) for r, n in zip(batch, inputs["attention_mask"].sum(dim=1).tolist(), strict=True)]
        temperature = batch[0].temperature
        sampling = {"do_sample": True, "temperature": temperature, "top_p": 0.95} if temperature > 0 else {"do_sample": False}
        self.last_batch_size = len(batch)
        self.model.generate(
            **inputs,
            max_new_tokens=max(r.max_new_tokens for r in batch),
            eos_token_id=self.stop_ids,
            pad_token_id=tok.pad_token_id,
            streamer=_FanOut(rows, tok, set(self.stop_ids)),
            stopping_criteria=StoppingCriteriaList([_RowsDone(rows)]),
            **sampling,
        )
        for row in rows:
            text = tok.decode(row.tokens, skip_special_tokens=True)
            if len(text) > len(row.sent):  # flush a held-back tail
                row.req.emit("delta", text[len(row.sent) :])
            completion_tokens = len(row.tokens) + (row.finish == "stop")
            row.req.emit("done", Completion(text.strip(), row.prompt_tokens, completion_tokens, row.finish))
            if self.on_finish:
                self.on_finish(row.finish)
        if self.on_batch:
            self.on_batch(len(batch))

"""Generation off the event loop: a bounded queue, continuous batching, streaming and cancellation.

One worker thread owns the model and decodes all running requests one token at a time in a single
batch. Between steps it admits waiting requests (up to `max_batch` running): their prompts are
prefilled (in one forward when their lengths are close, else in several: no compute spent on padding)
and their KV cache is merged into the running one, so a newcomer never waits for the longest answer
in flight, and a finished or cancelled row leaves the batch at once.

The cache (serve/kvcache.py) stays left-aligned: every row's next token sits at the same cache
position, shorter rows padded on the left and masked out; its layers append in place. Rows leave
in place too (`keep_rows`), and columns that only padding uses are cut. The prompt start every request
shares (chat template + system prompt) is prefilled once and its cache copied into each newcomer's.
Models whose caches are not plain or sliding-window dynamic layers run one batch at a time and
recompute every prompt in full. Stream events of a step reach the event loop together (`_post`).
"""

from __future__ import annotations

import asyncio
import copy
import logging
import queue
import threading
import time
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass, field

import torch

from ragtune.finetune.generation import Completion
from ragtune.hardware import compute_threads, release_free_memory
from ragtune.serve.backend import BackendStats, PromptTooLong, QueueFull, effective_temperature
from ragtune.serve.decode_step import GemmaStep, decoding_forward
from ragtune.serve.kvcache import (
    growing,
    keep_rows,
    merge_caches,
    mergeable,
    new_cache,
    rewind,
    spare_room,
    starts,
)
from ragtune.serve.speculate import Lookup, accepted
from ragtune.serve.vocab import VocabHead

log = logging.getLogger("serve.engine")


@dataclass
class GenRequest:
    """One submitted request, the engine's `Generation`: its stream's events and its cancel flag."""

    prompt: str
    ids: list[int]  # the prompt's tokens, counted when it was submitted
    max_new_tokens: int
    temperature: float
    loop: asyncio.AbstractEventLoop
    outbox: list  # the engine's: events wait there and reach the loop once per step (Engine._post)
    events: asyncio.Queue = field(default_factory=asyncio.Queue)  # ("delta", str) ... ("done", Completion)
    cancelled: threading.Event = field(default_factory=threading.Event)
    enqueued_at: float = field(default_factory=time.perf_counter)
    result: Completion | None = None  # set when the stream ends
    refusal_threshold: float | None = None  # refuse at a refusal score >= this (ragtune/answerability.py); None: off
    refusal_score: float | None = None  # set at prefill when the engine knows the refusal tokens

    def emit(self, kind: str, value) -> None:
        self.outbox.append((self, kind, value))


def _deliver(events: list[tuple[GenRequest, str, object]]) -> None:
    for req, kind, value in events:
        req.events.put_nowait((kind, value))


def _settle(future: asyncio.Future, result, error: Exception | None) -> None:
    if future.cancelled():
        return
    if error is not None:
        future.set_exception(error)
    else:
        future.set_result(result)


MIN_PREFIX = 16  # tokens; a shorter common start is not worth a cached prefix
# Pad tokens that one forward fewer is worth: a forward costs about as much in weight reads and fixed work as
# prefilling ~55 prompt tokens (default model on 2 CPU cores: 45 ms for 1 token, 373 ms for 402).
PAD_BUDGET = 48


def prefill_groups(lengths: list[int], pad_budget: int) -> list[list[int]]:
    """Indices of prompts to prefill together: by length, a prompt joins the group before it while the group's
    padding stays within `pad_budget` tokens per forward saved; otherwise it starts a group of its own."""
    groups: list[list[int]] = []
    for i in sorted(range(len(lengths)), key=lengths.__getitem__):
        if groups:
            group = groups[-1]
            padding = lengths[i] * (len(group) + 1) - sum(lengths[j] for j in group) - lengths[i]  # i is the longest
            if padding <= pad_budget * len(group):
                group.append(i)
                continue
        groups.append([i])
    return groups


class _Row:
    """One running request: its tokens so far and what of them has been streamed."""

    def __init__(self, req: GenRequest, prompt_tokens: int):
        self.req = req
        self.prompt_tokens = prompt_tokens
        self.extra = None  # the prompt tokens a restricted output vocabulary lacks (serve/vocab.py)
        self.lookup: Lookup | None = None  # its prompt + answer n-grams, once it decodes alone (serve/speculate.py)
        self.looked = 0  # answer tokens already in `lookup`
        self.tokens: list[int] = []
        self.sent = ""  # text already streamed
        self.done = False
        self.finish = "length"

    def push(self, token: int, tokenizer, stop_ids: set[int]) -> None:
        if token in stop_ids:
            self.done, self.finish = True, "stop"
            return
        self.tokens.append(token)
        text = tokenizer.decode(self.tokens, skip_special_tokens=True)
        if not text.endswith("\ufffd") and len(text) > len(self.sent):  # hold back a half multi-byte character
            self.req.emit("delta", text[len(self.sent) :])
            self.sent = text
        if len(self.tokens) >= self.req.max_new_tokens:
            self.done = True

    def close(self, tokenizer) -> Completion:
        text = tokenizer.decode(self.tokens, skip_special_tokens=True)
        if len(text) > len(self.sent):  # flush a held-back tail
            self.req.emit("delta", text[len(self.sent) :])
        completion = Completion(text.strip(), self.prompt_tokens, len(self.tokens) + (self.finish == "stop"), self.finish,
                                self.req.refusal_score)  # fmt: skip
        self.req.emit("done", completion)
        return completion


class _Batch:
    """The running batch, owned by the worker thread: its rows, their KV cache and attention mask, and each
    row's next token. Row i of `rows`, `next`, `mask` and the cache is one request; only `admit`, `keep` and
    `clear` change which rows there are, so the four always agree (a decoding step gives `mask` one more
    column and `next` a new token per row)."""

    def __init__(self):
        self.clear()

    def clear(self) -> None:
        self.rows: list[_Row] = []
        self.cache = None
        self.mask: torch.Tensor | None = None  # 1 where a row has a real token, left-aligned
        self.next: list[int] = []  # each row's last sampled token, fed at the next step

    def __len__(self) -> int:
        return len(self.rows)

    def admit(self, parts: list[tuple], rows: list[_Row], first: list[int]) -> None:
        """Join prefilled rows to the running ones: `parts` holds each prefill group's (cache, mask), in the
        order of `rows` and of their first tokens `first`; all merge into the running cache at once."""
        if self.rows:
            parts.insert(0, (self.cache, self.mask))
        self.cache = parts[0][0]
        self.mask = merge_caches(parts) if len(parts) > 1 else parts[0][1]
        self.rows += rows
        self.next += first

    def keep(self, indices: list[int]) -> None:
        """Keep only the rows at `indices`, in order (the cache drops the others in place)."""
        if not indices:
            self.clear()
            return
        self.mask = keep_rows(self.cache, self.mask, indices)
        self.rows = [self.rows[i] for i in indices]
        self.next = [self.next[i] for i in indices]


def context_tokens(config) -> int:
    """Positions the model was trained for (text config of a multimodal model); 8192 where it does not say."""
    text = getattr(config, "text_config", None) or config
    return int(getattr(text, "max_position_embeddings", None) or 8192)


def _refused(req: GenRequest) -> bool:
    return req.refusal_threshold is not None and req.refusal_score is not None and req.refusal_score >= req.refusal_threshold


def sample(logits: torch.Tensor, temperatures: list[float], top_p: float = 0.95, ids: torch.Tensor | None = None) -> list[int]:
    """Greedy for rows at temperature 0 (or below MIN_TEMPERATURE), nucleus sampling for the others; one row's
    setting never affects another. `ids`: the token id of each column (serve/vocab.py), else the column index."""
    tokens = logits.argmax(dim=-1)
    for i, temperature in enumerate(temperatures):
        if effective_temperature(temperature) > 0:
            probs = torch.softmax(logits[i].float() / temperature, dim=-1)
            ordered, order = probs.sort(descending=True)
            outside = ordered.cumsum(0) - ordered > top_p  # keep the smallest set whose mass reaches top_p
            ordered[outside] = 0
            tokens[i] = order[torch.multinomial(ordered, 1)]
    return (tokens if ids is None else ids.gather(1, tokens[:, None]).squeeze(1)).tolist()


class Engine:
    """The in-process `Backend`: continuous batching on one worker thread (see the module docstring)."""

    def __init__(self, model, tokenizer, stop_ids: list[int], max_batch: int = 8, max_queue: int = 32, batch_window_ms: float = 15,
                 refusal_ids: Sequence[int] = (), max_prompt_tokens: int | None = None, vocab: VocabHead | None = None,
                 speculate: int = 0):  # fmt: skip
        self.model, self.tokenizer = model, tokenizer
        # decoding steps score only this output vocabulary (+ each row's prompt); None: the full head
        self.vocab = vocab
        # the decoder's forward for decoding steps (serve/decode_step.py), followed by the output vocabulary's head,
        # or by the model's own head where the lean Gemma forward applies; else the model's whole forward
        forward = decoding_forward(model)
        self._decoder = forward if vocab is not None or isinstance(forward, GemmaStep) else None
        # a greedy row decoding alone checks up to this many tokens guessed from its prompt in each forward
        self.speculate = speculate
        self.drafted = self.accepted = 0  # guessed tokens checked, and kept
        # a prompt and its answer fit in the model's positions; `max_prompt_tokens` bounds one prefill further
        self.context_tokens = context_tokens(model.config)
        self.max_prompt_tokens = max_prompt_tokens
        self.stop_ids = set(stop_ids)
        self.refusal_ids = list(refusal_ids)  # first tokens of the not-found phrases: their probability is the refusal score
        self.max_batch = max_batch
        self.batch_window_s = batch_window_ms / 1000
        self._queue: queue.Queue[GenRequest] = queue.Queue(maxsize=max_queue)
        self._calls: queue.SimpleQueue = queue.SimpleQueue()  # (fn, args, kwargs, future) for `call`
        self._wake = threading.Event()  # set by submit and call: an idle worker starts at once
        self._stop = threading.Event()
        self._outbox: list[tuple[GenRequest, str, object]] = []  # written and posted by the worker thread only
        self._batch = _Batch()  # the running requests, owned by the worker thread
        self._can_merge = growing(model.config)  # else one batch at a time, each prompt recomputed in full
        # the shared prompt prefix (template + system prompt) and its KV cache, computed once
        self._prefix_ids: list[int] | None = None
        self._prefix_cache = None
        self._last_ids: list[int] | None = None
        self.prefix_hits = 0  # prompts that reused the cached prefix
        self.on_batch = None  # optional callback(running rows), once per decoding step
        self.on_finish = None  # optional callback(finish_reason), once per request
        self.on_busy = None  # optional callback(phase, seconds): the worker's time in prefill, decode or calls
        self._thread = threading.Thread(target=self._run, name="ragtune-generate", daemon=True)
        self._thread.start()

    def stats(self) -> BackendStats:
        return BackendStats(self._queue.qsize(), len(self._batch))

    def cancel(self, req: GenRequest) -> None:
        req.cancelled.set()  # the worker retires the row before its next step

    def prompt_limit(self, max_new_tokens: int) -> int:
        """The most prompt tokens a request answering up to `max_new_tokens` may have."""
        limit = self.context_tokens - max_new_tokens
        return min(limit, self.max_prompt_tokens) if self.max_prompt_tokens else limit

    def submit(self, prompt: str, max_new_tokens: int, temperature: float, refusal_threshold: float | None = None) -> GenRequest:
        """Queue a request, tokenized and checked here: a prompt the batch cannot take (PromptTooLong) fails its
        caller, never the requests running beside it."""
        ids = self.tokenizer(prompt, add_special_tokens=False)["input_ids"]
        if not ids or len(ids) > self.prompt_limit(max_new_tokens):
            raise PromptTooLong(len(ids), max(self.prompt_limit(max_new_tokens), 0))
        req = GenRequest(prompt, ids, max_new_tokens, temperature, asyncio.get_running_loop(), self._outbox,
                         refusal_threshold=refusal_threshold)  # fmt: skip
        try:
            self._queue.put_nowait(req)
        except queue.Full:
            raise QueueFull(f"{self._queue.maxsize} requests are already waiting") from None
        self._wake.set()
        return req

    async def call(self, fn, *args, **kwargs):
        """`fn(*args, **kwargs)` run on the generation thread between two steps; its result (or exception).

        For other torch work of the server (the query embedding of retrieval): run in a thread of its own it
        starts a second OpenMP team next to generation's, and the two fight over the cores. Serving the
        default model to 8 clients (bench/serve_load.py, interleaved with the previous code): 1.17-1.40
        answers/s in four runs against 1.18-1.20; the machine's noise is about as large as the gain.
        """
        if self._stop.is_set():
            raise RuntimeError("the generation engine has stopped")
        future = asyncio.get_running_loop().create_future()
        self._calls.put((fn, args, kwargs, future))
        self._wake.set()
        return await future

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
    def _run(self) -> None:
        torch.set_num_threads(compute_threads())  # the caller's thread may compute single-threaded (ragtune/hardware.py)
        while not self._stop.is_set():
            newcomers: list[GenRequest] = []
            self._run_calls()
            try:
                newcomers = self._waiting()
                if newcomers:
                    self._timed("prefill", self._prefill, newcomers)
                if self._batch:
                    self._timed("decode", self._step)
            except Exception as e:  # a failed step fails the requests in it, never the worker
                log.exception("generation failed")
                for r in {id(r): r for r in newcomers + [row.req for row in self._batch.rows]}.values():
                    r.emit("error", e)
                self._batch.clear()
            self._post()
        self._run_calls()  # fails what is left: nobody waits forever on a stopped engine

    def _timed(self, phase: str, fn, *args, **kwargs):
        """fn(*args, **kwargs), its time reported to `on_busy` (the worker's busy time by phase: where a load's time goes)."""
        began = time.perf_counter()
        try:
            return fn(*args, **kwargs)
        finally:
            if self.on_busy:
                self.on_busy(phase, time.perf_counter() - began)

    def _run_calls(self) -> None:
        while True:
            try:
                fn, args, kwargs, future = self._calls.get_nowait()
            except queue.Empty:
                return
            result, error = None, RuntimeError("the generation engine has stopped")
            if not self._stop.is_set():
                try:
                    result, error = self._timed("calls", fn, *args, **kwargs), None  # timed only when a call runs
                except Exception as e:  # the caller gets it; the worker goes on
                    error = e
            try:
                future.get_loop().call_soon_threadsafe(_settle, future, result, error)
            except RuntimeError:  # the caller's event loop has closed
                pass

    def _post(self) -> None:
        """Hand this step's events to their event loops: one wake-up per loop, not one per row and token."""
        if not self._outbox:
            return
        events = self._outbox[:]
        self._outbox.clear()
        by_loop: dict[int, list] = {}
        for event in events:
            by_loop.setdefault(id(event[0].loop), []).append(event)
        for batch in by_loop.values():
            try:
                batch[0][0].loop.call_soon_threadsafe(_deliver, batch)
            except RuntimeError:  # that caller's event loop has closed: nobody is left to read its events
                for req, *_ in batch:
                    req.cancelled.set()

    def _waiting(self) -> list[GenRequest]:
        """Requests to admit now: up to the free slots; when idle, wait for one and a short window for more."""
        room = self.max_batch - len(self._batch)
        if room <= 0 or (self._batch and not self._can_merge):
            return []
        taken: list[GenRequest] = []
        if not self._batch:
            if self._queue.empty():
                self._wake.wait(timeout=0.1)
                self._wake.clear()  # whatever set it is in a queue: a request is read below, a call at the next turn
            try:
                taken.append(self._queue.get_nowait())
            except queue.Empty:
                return []
            deadline = time.perf_counter() + self.batch_window_s
            while len(taken) < room and (remaining := deadline - time.perf_counter()) > 0:
                try:
                    taken.append(self._queue.get(timeout=remaining))
                except queue.Empty:
                    break
        while len(taken) < room:
            try:
                taken.append(self._queue.get_nowait())
            except queue.Empty:
                break
        live = [r for r in taken if not r.cancelled.is_set()]
        for r in taken:
            if r.cancelled.is_set():
                r.emit("done", Completion("", 0, 0, "cancelled"))
        return live

    def _shared_prefix(self, ids: list[list[int]]) -> int:
        """Length of the cached prompt prefix these prompts start with (0: none), learning it when needed.

        Every RAG prompt starts with the same template and system prompt. The prefix is the longest
        common start of two prompts seen; a prompt that shares less (but at least MIN_PREFIX tokens)
        shrinks it, so it converges on what all prompts share. Its KV cache is computed once.
        """
        if not self._can_merge:
            return 0
        known = self._prefix_ids if self._prefix_ids is not None else self._last_ids
        if known is None and len(ids) == 1:
            self._last_ids = ids[0]
            return 0
        group = ([known] if known is not None else []) + ids
        shared = 0
        limit = min(min(len(i) for i in ids) - 1, len(group[0]))  # every prompt keeps a token to prefill
        while shared < limit and all(i[shared] == group[0][shared] for i in group[1:]):
            shared += 1
        if shared < MIN_PREFIX:
            self._last_ids = ids[0]
            return 0
        if self._prefix_ids is None or shared != len(self._prefix_ids):
            self._prefix_ids = group[0][:shared]
            cache = new_cache(self.model.config)
            self.model(input_ids=torch.tensor([self._prefix_ids], device=self.model.device), cache=cache,
                       use_cache=True, logits_to_keep=1)  # fmt: skip
            if not mergeable(cache):
                self._can_merge = False
                return 0
            self._prefix_cache = cache
        self.prefix_hits += len(ids)
        return shared

    @torch.inference_mode()
    def _prefill(self, reqs: list[GenRequest]) -> None:
        """Prefill newcomers (after the cached shared prefix, if any) and merge them into the batch.

        Prompts of similar length are prefilled together; a prompt much longer than the others gets its own
        forward rather than making them compute padding (`prefill_groups`). Each group's first tokens stream
        at once; all the groups join the running batch in one merge.
        """
        tok = self.tokenizer
        ids = [r.ids for r in reqs]
        shared = self._shared_prefix(ids)
        groups = prefill_groups([len(i) - shared for i in ids], PAD_BUDGET) if self._can_merge else [list(range(len(reqs)))]
        parts, rows, first = [], [], []
        for group in groups:
            try:
                cache, mask, tokens = self._prefill_group([ids[i] for i in group], [reqs[i] for i in group], shared)
            except Exception as e:  # fails this group's requests; the other groups and the running rows go on
                log.exception("prefill failed")
                for i in group:
                    reqs[i].emit("error", e)
                continue
            parts.append((cache, mask))
            for i, token in zip(group, tokens, strict=True):
                rows.append(_Row(reqs[i], len(ids[i])))
                if self.vocab is not None:
                    rows[-1].extra = self.vocab.extra(ids[i])
                if _refused(reqs[i]):  # the pipeline answers with the not-found phrase: nothing to decode
                    rows[-1].done, rows[-1].finish = True, "refused"
                else:
                    rows[-1].push(token, tok, self.stop_ids)
            first += tokens
            self._post()  # this group's first tokens need not wait for the next group's forward
        if rows:
            self._batch.admit(parts, rows, first)
            self._can_merge = self._can_merge and mergeable(self._batch.cache)
            self._retire()
        # the prefill's activations are freed, but glibc keeps them in this thread's arena, fragmented: without
        # this the server's RSS grew by ~0.6 GB over its first hundred answers at 8 clients (1.04 -> 1.72 GB);
        # with it, 1.04 -> 1.37 GB. It takes ~8 ms, under 1 % of the engine's time.
        release_free_memory()

    def _prefill_group(self, ids: list[list[int]], reqs: list[GenRequest], shared: int):
        """One forward over these prompts (left-padded to the longest): their cache, mask and first tokens."""
        if shared:
            cache = copy.deepcopy(self._prefix_cache)
            cache.batch_repeat_interleave(len(ids))
        else:
            cache = new_cache(self.model.config)
        device = self.model.device
        width = max(len(i) for i in ids) - shared
        suffix = torch.full((len(ids), width), self.tokenizer.pad_token_id, dtype=torch.long)
        mask = torch.zeros((len(ids), shared + width), dtype=torch.long)
        for row, i in enumerate(ids):
            suffix[row, width - (len(i) - shared) :] = torch.tensor(i[shared:])
            mask[row, :shared] = 1
            mask[row, shared + width - (len(i) - shared) :] = 1
        mask = mask.to(device)
        out = self.model(
            input_ids=suffix.to(device),
            attention_mask=mask,
            position_ids=(mask.cumsum(dim=1) - 1).clamp(min=0)[:, shared:],
            cache=cache,
            cache_position=torch.arange(shared, shared + width, device=device),
            use_cache=True,
            logits_to_keep=1,
        )
        logits = self._answerability(out.logits[:, -1], reqs)
        return cache, mask, sample(logits, [r.temperature for r in reqs])

    def _answerability(self, logits: torch.Tensor, reqs: list[GenRequest]) -> torch.Tensor:
        """Each request's refusal score from its first-token distribution; below its threshold the refusal
        tokens are masked, so whether the answer refuses is the threshold's decision alone."""
        if not self.refusal_ids:
            return logits
        scores = torch.softmax(logits.float(), dim=-1)[:, self.refusal_ids].sum(dim=-1).tolist()
        masked = None
        for i, (req, score) in enumerate(zip(reqs, scores, strict=True)):
            req.refusal_score = score
            if req.refusal_threshold is not None and not _refused(req):
                masked = logits.clone() if masked is None else masked
                masked[i, self.refusal_ids] = float("-inf")
        return logits if masked is None else masked

    @torch.inference_mode()
    def _step(self) -> None:
        """One token for every running row; several for a greedy row alone whose answer copies its prompt."""
        batch = self._batch
        draft = self._draft()
        n = 1 + len(draft)
        width = batch.mask.shape[1]
        mask = torch.cat([batch.mask, batch.mask.new_ones((len(batch), n))], dim=1)
        offsets = torch.arange(n, device=mask.device)
        step = {
            "input_ids": torch.tensor([[token, *draft] for token in batch.next], device=mask.device),
            "attention_mask": mask,
            "position_ids": batch.mask.sum(dim=1, keepdim=True) + offsets,  # real tokens so far = the next position
            "cache": batch.cache,
            "cache_position": width + offsets,
            "use_cache": True,
        }
        held = starts(batch.cache) if draft else None
        ids = None  # the token id of each logits column, when not the column's index
        if self.vocab is None and self._decoder is None:
            logits = self.model(**step, logits_to_keep=n).logits
        elif self.vocab is None:
            logits = self._decoder.logits(self._decoder(**step))
        else:  # the decoder alone, then the head over the output vocabulary
            hidden = self._decoder(**step)
            extras = [row.extra for row in batch.rows for _ in range(n)]
            logits, ids = (t.unflatten(0, (len(batch), n)) for t in self.vocab.logits(hidden.flatten(0, 1), extras))
        if self.on_batch:
            self.on_batch(len(batch))
        if draft:
            best = logits[0].argmax(dim=-1, keepdim=True)  # greedy after each guessed token
            chosen = (best if ids is None else ids[0].gather(1, best)).squeeze(1).tolist()
            kept = accepted(draft, chosen)
            self.drafted, self.accepted = self.drafted + len(draft), self.accepted + kept
            rewind(batch.cache, held, len(draft) - kept)  # the cache forgets the guesses the model did not make
            batch.mask = mask[:, : width + 1 + kept]
            new = chosen[: kept + 1]  # the kept guesses and the model's own token after them
            batch.next = new[-1:]
            row = batch.rows[0]
            for token in new:
                row.push(token, self.tokenizer, self.stop_ids)
                if row.done:
                    break
        else:
            batch.mask = mask
            batch.next = sample(logits[:, -1], [row.req.temperature for row in batch.rows], ids=None if ids is None else ids[:, -1])
            for row, token in zip(batch.rows, batch.next, strict=True):
                row.push(token, self.tokenizer, self.stop_ids)
        self._retire()

    def _draft(self) -> list[int]:
        """Tokens to check after the next one: the prompt-lookup guess of a greedy row decoding alone, within the
        cache's spare room and the row's answer length; [] for a plain step."""
        if not self.speculate or len(self._batch) != 1:
            return []
        row = self._batch.rows[0]
        room = min(spare_room(self._batch.cache) - 1, self.speculate, row.req.max_new_tokens - len(row.tokens) - 1)
        if effective_temperature(row.req.temperature) > 0 or room <= 0:
            return []
        if row.lookup is None:
            row.lookup = Lookup(row.req.ids)
        row.lookup.extend(row.tokens[row.looked :])
        row.looked = len(row.tokens)
        return row.lookup.draft(room)

    def _retire(self) -> None:
        """Finish rows that are done or cancelled and take them out of the batch."""
        rows = self._batch.rows
        for row in rows:
            if row.req.cancelled.is_set() and not row.done:
                row.done, row.finish = True, "cancelled"
        if not any(row.done for row in rows):
            return
        for row in rows:
            if row.done:
                completion = row.close(self.tokenizer)
                if self.on_finish:
                    self.on_finish(completion.finish_reason)
        self._batch.keep([i for i, row in enumerate(rows) if not row.done])

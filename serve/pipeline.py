"""The RAG answer, once, for every route (and the tests) without HTTP.

question + history + options -> retrieve -> (score gate) -> prompt -> generate -> guard -> verify -> citations,
as one final `Answer` (`AnswerPipeline.answer`) or as a stream of events: the sources first, then text
deltas, then the final answer with usage, timings and finish reason (`AnswerPipeline.stream`).
The routes (`serve/routes.py`) only translate HTTP to these calls and back.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field, replace

from ragtune.answer_type import asks_quantity, holds_quantity
from ragtune.citations import clean_citations
from ragtune.config import DEFAULT_QUOTE_LEAD, DEFAULT_QUOTE_LEAD_EN
from ragtune.evidence import answer_match
from ragtune.finetune.generation import Completion
from ragtune.prompt import (
    Passage,
    build_messages,
    nfc,
    not_found_for,
    quoted_answer,
    render_prompt,
    retrieval_query,
)
from ragtune.rag.retrieve import Hit, Retriever
from ragtune.serve.backend import Backend, Generation, PromptTooLong
from ragtune.serve.guard import LeakGuard
from ragtune.serve.metrics import Metrics
from ragtune.serve.schemas import Source
from ragtune.serve.verify import Verifier

Disconnected = Callable[[], Awaitable[bool]]  # whether the client has gone; polled while generating
DISCONNECT_POLL_S = 0.25


class GenerationTimeout(RuntimeError):
    """A generation ran past serve.request_timeout_s and was cancelled."""


@dataclass(frozen=True)
class AnswerOptions:
    top_k: int
    max_tokens: int
    temperature: float
    doc_prefix: str = ""  # only documents whose id starts with this
    retrieval: bool = True  # False: the question alone, no passages


@dataclass(frozen=True)
class Usage:
    prompt_tokens: int
    completion_tokens: int

    @property
    def total_tokens(self) -> int:
        return self.prompt_tokens + self.completion_tokens


@dataclass(frozen=True)
class Answer:
    text: str
    sources: list[Source]
    # stop | length | cancelled | not_found (score gate or refusal threshold: nothing decoded; or nothing verified)
    # | content_filter (guard blocked it) | timeout (a stream cut off at serve.request_timeout_s)
    finish_reason: str
    usage: Usage
    timings_ms: dict[str, float] = field(default_factory=dict)  # retrieve, generate, total
    verified: bool = True  # every number the generated answer stated was in the passage it cited
    unsupported: int = 0  # sentences replaced by a quote of their source or dropped (serve/verify.py)
    refusal_score: float | None = None  # P(the answer starts with the not-found phrase), where the backend measures it
    uncovered: float | None = None  # share of the question's term weight no retrieved sentence holds (ragtune/answerability.py)
    index_version: str = ""  # the index version the sources came from
    quoted: bool = False  # the generated answer missed the question and the best-matching source sentence replaced it

    def answerability(self) -> dict[str, float | None]:
        return {"uncovered": self.uncovered, "refusal_score": self.refusal_score}


@dataclass(frozen=True)
class SourcesEvent:
    sources: list[Source]
    index_version: str = ""


@dataclass(frozen=True)
class DeltaEvent:
    text: str


@dataclass(frozen=True)
class DoneEvent:
    answer: Answer


Event = SourcesEvent | DeltaEvent | DoneEvent


def sources_of(hits: list[Hit]) -> list[Source]:
    return [
        Source(n=i, doc_id=h.chunk.doc_id, title=h.chunk.title, heading=h.chunk.heading, page=h.chunk.page,
               score=round(h.score, 4), snippet=h.chunk.text[:300])  # fmt: skip
        for i, h in enumerate(hits, start=1)
    ]


async def run_to_end(backend: Backend, gen: Generation, timeout_s: float, disconnected: Disconnected | None = None) -> Completion:
    """The whole completion of `gen`; cancelled if the client leaves or `timeout_s` passes (GenerationTimeout)."""

    async def watch() -> None:
        while True:
            await asyncio.sleep(DISCONNECT_POLL_S)
            if await disconnected():
                backend.cancel(gen)
                return

    watcher = asyncio.create_task(watch()) if disconnected else None
    try:
        return await asyncio.wait_for(backend.complete(gen), timeout=timeout_s)
    except TimeoutError:
        backend.cancel(gen)
        raise GenerationTimeout(f"generation took longer than {timeout_s} s") from None
    finally:
        if watcher:
            watcher.cancel()


async def stop(backend: Backend, gen: Generation) -> None:
    """Cancel `gen` and wait until the backend has retired it: then `gen.result` holds its usage."""
    backend.cancel(gen)
    async for _ in backend.stream(gen):
        pass


async def deltas(backend: Backend, gen: Generation, disconnected: Disconnected | None = None,
                 timeout_s: float | None = None) -> AsyncIterator[str]:  # fmt: skip
    """Text deltas of `gen`; a client that leaves (or a consumer that stops early) cancels its generation. Past
    `timeout_s` the generation is cancelled, its result collected and GenerationTimeout raised: a stream has
    sent its status already, so the caller ends it with a final event that says so."""
    stream = backend.stream(gen).__aiter__()
    deadline = None if timeout_s is None else asyncio.get_running_loop().time() + timeout_s
    try:
        while True:
            try:
                left = None if deadline is None else max(deadline - asyncio.get_running_loop().time(), 0)
                delta = await asyncio.wait_for(anext(stream), left)
            except StopAsyncIteration:
                return
            except TimeoutError:
                await stop(backend, gen)
                raise GenerationTimeout(f"generation took longer than {timeout_s} s") from None
            if disconnected and await disconnected():
                backend.cancel(gen)
                return
            yield delta
    finally:
        if gen.result is None:
            backend.cancel(gen)


class AnswerPipeline:
    def __init__(self, retriever: Retriever, backend: Backend, tokenizer, metrics: Metrics, *, system_prompt: str,
                 not_found_phrase: str, min_relative_score: float, min_score: float, timeout_s: float,
                 not_found_phrase_en: str = "", refusal_threshold: float | None = None,
                 coverage_threshold: float | None = None, max_prompt_tokens: int | None = None,
                 context_tokens: int | None = None, quote_below: float = 0.0, quote_lead: str = DEFAULT_QUOTE_LEAD,
                 quote_lead_en: str = DEFAULT_QUOTE_LEAD_EN):  # fmt: skip
        self.retriever, self.backend, self.tokenizer, self.metrics = retriever, backend, tokenizer, metrics
        # a prompt longer than this (or than the model's context less the answer) loses its oldest history turns
        # or is refused (PromptTooLong); None: not counted
        self.max_prompt_tokens, self.context_tokens = max_prompt_tokens, context_tokens
        self.system_prompt = system_prompt
        self.not_found, self.not_found_en = not_found_phrase, not_found_phrase_en
        # refusal score (ragtune/answerability.py) at or above which the answer is the not-found phrase; None: off
        self.refusal_threshold = refusal_threshold
        # uncovered share of the question at or above which the answer is the not-found phrase, undecoded; None: off
        self.coverage_threshold = coverage_threshold
        self.min_relative_score = min_relative_score  # chunks below this share of the best stay out of the prompt
        self.min_score = min_score  # best dense similarity below this: 'not found' without generating (0 = off)
        self.timeout_s = timeout_s
        # an answer matching the question below this share of the best source sentence becomes that sentence (0: never)
        self.quote_below = quote_below
        self.quote_lead, self.quote_lead_en = quote_lead, quote_lead_en  # the words before a quote, {n} its citation
        self.guard = LeakGuard(system_prompt, not_found_phrase)

    async def retrieve(self, question: str, history: list[dict[str, str]], options: AnswerOptions) -> list[Hit]:
        if not options.retrieval:
            return []
        began = time.perf_counter()
        hits = await self.backend.call(self.retriever.search, retrieval_query(question, history), options.top_k,
                                       doc_prefix=options.doc_prefix, min_share=self.min_relative_score)  # fmt: skip
        self.metrics.retrieval_seconds.observe(time.perf_counter() - began)
        return hits

    def gated(self, hits: list[Hit], options: AnswerOptions) -> bool:
        """The score gate: retrieval found nothing close enough to answer from."""
        best = max((h.similarity or 0.0 for h in hits), default=0.0)
        return options.retrieval and self.min_score > 0 and best < self.min_score

    def uncovered(self, question: str, history: list[dict[str, str]], hits: list[Hit]) -> float | None:
        """How much of the question no retrieved passage speaks of; None without passages."""
        return self.retriever.uncovered(retrieval_query(question, history), [h.passage() for h in hits]) if hits else None

    def early(self, question: str, hits: list[Hit], options: AnswerOptions, uncovered: float | None,
              sources: list[Source], clock: _Clock) -> Answer | None:  # fmt: skip
        """The not-found answer decided before generating (score gate, question coverage), or None."""
        if self.gated(hits, options):
            return Answer(self.not_found_for(question), sources, "not_found", Usage(0, 0), clock.timings(), uncovered=uncovered)
        if uncovered is not None and self.coverage_threshold is not None and uncovered >= self.coverage_threshold:
            self.metrics.answers_refused.labels("coverage").inc()
            return Answer(self.not_found_for(question), sources, "not_found", Usage(0, 0), clock.timings(), uncovered=uncovered)
        return None

    def prompt(self, question: str, history: list[dict[str, str]], hits: list[Hit], max_tokens: int = 0) -> str:
        """The rendered prompt. Over the prompt limit, the oldest history turns are left out until it fits (each
        counted once, the result counted again); a prompt too long without any history raises PromptTooLong."""
        passages = [h.passage() for h in hits]
        prompt = render_prompt(self.tokenizer, build_messages(question, passages, history, self.system_prompt))
        if self.max_prompt_tokens is None:
            return prompt
        limit = self.prompt_limit(max_tokens)
        tokens = self.count(prompt)
        turns = [self.count(t["content"]) for t in history]
        kept = list(history)
        while tokens > limit:
            if not kept:
                raise PromptTooLong(tokens, limit, "question")
            drop = 1 + (len(kept) > 1 and kept[1]["role"] == "assistant")  # the history never starts with an answer
            tokens -= sum(turns[:drop])
            kept, turns = kept[drop:], turns[drop:]
            if tokens <= limit:  # the estimate says it fits: count what will be sent
                prompt = render_prompt(self.tokenizer, build_messages(question, passages, kept, self.system_prompt))
                tokens = self.count(prompt)
        if len(kept) < len(history):
            self.metrics.history_trimmed.inc(len(history) - len(kept))
        return prompt

    def prompt_limit(self, max_tokens: int) -> int:
        limit = self.max_prompt_tokens or 0
        return min(limit, self.context_tokens - max_tokens) if self.context_tokens else limit

    def count(self, text: str) -> int:
        return len(self.tokenizer(text, add_special_tokens=False)["input_ids"])

    def cite(self, text: str, hits: list[Hit]) -> str:
        """The answer with citation markers that point nowhere removed (and counted)."""
        text, removed = clean_citations(text, len(hits))
        self.metrics.citations_removed.inc(removed)
        return text

    def blocked(self) -> str:
        self.metrics.answers_blocked.inc()
        return self.not_found

    def not_found_for(self, question: str) -> str:
        """The not-found phrase in the question's language."""
        return not_found_for(question, self.not_found, self.not_found_en)

    def submit(self, question: str, history: list[dict[str, str]], hits: list[Hit], options: AnswerOptions) -> Generation:
        """Generation of the answer; the refusal threshold applies where there are passages to answer from."""
        threshold = self.refusal_threshold if hits else None
        return self.backend.submit(self.prompt(question, history, hits, options.max_tokens), options.max_tokens, options.temperature,
                                   refusal_threshold=threshold)  # fmt: skip

    def refused(self, question: str, completion: Completion, sources: list[Source], usage: Usage, clock: _Clock,
                uncovered: float | None) -> Answer:  # fmt: skip
        """The answer when the refusal score reached the threshold: the not-found phrase, nothing decoded."""
        self.metrics.answers_refused.labels("refusal_score").inc()
        return Answer(self.not_found_for(question), sources, "not_found", usage, clock.timings(),
                      refusal_score=completion.refusal_score, uncovered=uncovered)  # fmt: skip

    def verifier(self, question: str, hits: list[Hit]) -> Verifier:
        return Verifier([h.passage() for h in hits], question)

    def verified(self, question: str, text: str, completion: Completion, verifier: Verifier, sources: list[Source],
                 usage: Usage, clock: _Clock, uncovered: float | None) -> Answer:  # fmt: skip
        """The final answer from the sentences that passed (or replaced those that failed) verification."""
        self.metrics.unsupported_claims.inc(verifier.unsupported)
        self.metrics.citations_attributed.inc(verifier.attributed)
        reason = completion.finish_reason
        if not text.strip() and completion.text.strip():  # every sentence failed: nothing supported is left
            text, reason = self.not_found_for(question), "not_found"
        quote = self.quote(question, text, verifier.passages) if reason in ("stop", "length") else None
        if quote is not None:
            self.metrics.answers_quoted.inc()
        return Answer((quote or text).strip(), sources, reason, usage, clock.timings(), verifier.verified, verifier.unsupported,
                      completion.refusal_score, uncovered, quoted=quote is not None)  # fmt: skip

    def quote(self, question: str, text: str, passages: list[Passage]) -> str | None:
        """The best-matching source sentence, cited, in place of an answer that states little of what the question
        asks next to it (its best sentence holds less than `quote_below` of the question weight that one holds),
        or that states no quantity where the question asks for one and the quote states one: the 270M model
        often copies a neighbouring sentence of the right passage, or drops the number (issue #16). None: keep
        the answer."""
        declines = tuple(p for p in (self.not_found, self.not_found_en) if p)
        if not self.quote_below or not text.strip() or text.strip().startswith(declines):
            return None
        held, best = answer_match(nfc(question), passages, text)
        if best is None:
            return None
        misses = held < self.quote_below * best.score
        unstated = asks_quantity(question) and not holds_quantity(text) and holds_quantity(best.text)
        if not (misses or unstated):
            return None
        return quoted_answer(question, best.n, best.text, self.quote_lead, self.quote_lead_en)

    async def answer(self, question: str, history: list[dict[str, str]], options: AnswerOptions,
                     disconnected: Disconnected | None = None) -> Answer:  # fmt: skip
        clock = _Clock()
        hits = await self.retrieve(question, history, options)
        clock.retrieved()
        version = self.version_of(hits)
        return replace(await self._answer(question, history, options, disconnected, hits, clock), index_version=version)

    async def _answer(self, question: str, history: list[dict[str, str]], options: AnswerOptions,
                      disconnected: Disconnected | None, hits: list[Hit], clock: _Clock) -> Answer:  # fmt: skip
        sources = sources_of(hits)
        uncovered = self.uncovered(question, history, hits)
        if (early := self.early(question, hits, options, uncovered, sources, clock)) is not None:
            return early
        gen = self.submit(question, history, hits, options)
        completion = await run_to_end(self.backend, gen, self.timeout_s, disconnected)
        self.metrics.tokens_generated.inc(completion.completion_tokens)
        usage = Usage(completion.prompt_tokens, completion.completion_tokens)
        if completion.finish_reason == "refused":
            return self.refused(question, completion, sources, usage, clock, uncovered)
        if self.guard.leaks(completion.text):
            return Answer(self.blocked(), sources, "content_filter", usage, clock.timings(),
                          refusal_score=completion.refusal_score, uncovered=uncovered)  # fmt: skip
        verifier = self.verifier(question, hits)
        text = "".join(self.cite(s, hits) for s in verifier.check(completion.text))
        return self.verified(question, text, completion, verifier, sources, usage, clock, uncovered)

    def version_of(self, hits: list[Hit]) -> str:
        """The index version the answer's sources come from (a reload may have published another since)."""
        return hits[0].version if hits else self.retriever.version

    async def stream(self, question: str, history: list[dict[str, str]], options: AnswerOptions,
                     disconnected: Disconnected | None = None) -> AsyncIterator[Event]:  # fmt: skip
        """Sources, deltas, then the final answer; a stream is guarded as it goes (stopped at the first leak).

        Raises (QueueFull, EmptyQuestion, ...) before the first event, so a route can still answer with an
        error status. A client that leaves ends the stream without a final event.
        """
        clock = _Clock()
        hits = await self.retrieve(question, history, options)
        clock.retrieved()
        sources, version = sources_of(hits), self.version_of(hits)
        uncovered = self.uncovered(question, history, hits)
        if (early := self.early(question, hits, options, uncovered, sources, clock)) is not None:
            return _single(sources, replace(early, index_version=version))
        gen = self.submit(question, history, hits, options)
        return self._generated(gen, question, hits, sources, version, clock, disconnected, uncovered)

    async def _generated(self, gen: Generation, question: str, hits: list[Hit], sources: list[Source], version: str,
                         clock: _Clock, disconnected: Disconnected | None, uncovered: float | None) -> AsyncIterator[Event]:  # fmt: skip
        def done(answer: Answer) -> DoneEvent:
            return DoneEvent(replace(answer, index_version=version))

        yield SourcesEvent(sources, version)
        watch, blocked = self.guard.watch(), False
        verifier, streamed = self.verifier(question, hits), False
        timed_out = False
        try:
            async for delta in deltas(self.backend, gen, disconnected, self.timeout_s):
                if watch.feed(delta):
                    blocked = True
                    await stop(self.backend, gen)
                    break
                for piece in verifier.feed(delta):  # words before a number at once, a number once its sentence checks
                    streamed = True
                    yield DeltaEvent(clean_citations(piece, len(hits))[0])
        except GenerationTimeout:
            timed_out = True
        result = gen.result
        if result is None:  # the client left
            return
        self.metrics.tokens_generated.inc(result.completion_tokens)
        usage = Usage(result.prompt_tokens, result.completion_tokens)
        if timed_out:  # what was sent stays; the final event says the answer was cut off
            self.metrics.generation_timeouts.inc()
            text = "".join(self.cite(s, hits) for s in verifier.kept)  # the verified part; a held-back sentence goes
            yield done(Answer(text.strip(), sources, "timeout", usage, clock.timings(), verifier.verified, verifier.unsupported,
                              result.refusal_score, uncovered))  # fmt: skip
            return
        if result.finish_reason == "refused":
            answer = self.refused(question, result, sources, usage, clock, uncovered)
            yield DeltaEvent(answer.text)
            yield done(answer)
            return
        if blocked:
            yield done(Answer(self.blocked(), sources, "content_filter", usage, clock.timings(),
                              refusal_score=result.refusal_score, uncovered=uncovered))
            return
        for piece in verifier.finish():
            streamed = True
            yield DeltaEvent(clean_citations(piece, len(hits))[0])
        answer = self.verified(question, "".join(self.cite(s, hits) for s in verifier.kept), result, verifier, sources, usage,
                               clock, uncovered)  # fmt: skip
        if answer.finish_reason == "not_found" or answer.quoted:  # what the client sees instead of what streamed
            yield DeltaEvent(("\n" if streamed else "") + answer.text)
        yield done(answer)


async def _single(sources: list[Source], answer: Answer) -> AsyncIterator[Event]:
    """The events of an answer that needed no generation."""
    yield SourcesEvent(sources, answer.index_version)
    yield DeltaEvent(answer.text)
    yield DoneEvent(answer)


class _Clock:
    """Milliseconds spent retrieving and generating, as every answer reports them."""

    def __init__(self):
        self.started = self.retrieved_at = time.perf_counter()

    def retrieved(self) -> None:
        self.retrieved_at = time.perf_counter()

    def timings(self) -> dict[str, float]:
        done = time.perf_counter()
        return {"retrieve": round((self.retrieved_at - self.started) * 1000, 1),
                "generate": round((done - self.retrieved_at) * 1000, 1),
                "total": round((done - self.started) * 1000, 1)}  # fmt: skip

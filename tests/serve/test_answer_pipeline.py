"""The answer pipeline without HTTP: real retriever (hash embedder) over the tiny corpus, a scripted backend.

The backend is a fake on purpose: what is under test is what the pipeline does with retrieval and with
whatever text comes back (sources, events, guard, citations, gate, cancellation); the real engine runs
under it in tests/serve/test_app.py and test_live.py.
"""

import asyncio

import pytest

from ragtune.config import DEFAULT_NOT_FOUND, DEFAULT_NOT_FOUND_EN, DEFAULT_SYSTEM_PROMPT
from ragtune.finetune.generation import Completion
from ragtune.rag.index import build_index
from ragtune.rag.retrieve import EmptyQuestion, Retriever
from ragtune.serve.backend import Backend, BackendStats
from ragtune.serve.metrics import Metrics
from ragtune.serve.pipeline import (
    AnswerOptions,
    AnswerPipeline,
    DeltaEvent,
    DoneEvent,
    GenerationTimeout,
    SourcesEvent,
)

QUESTION = "Nhân viên được nghỉ phép năm bao nhiêu ngày?"
OPTIONS = AnswerOptions(top_k=3, max_tokens=32, temperature=0.0)


class _Gen:
    def __init__(self):
        self.result = None
        self.cancelled = False
        self.pos = 0


class ScriptedBackend:
    """Answers every prompt with `text`, a word per delta; `hang` never finishes (for timeouts)."""

    on_batch = on_finish = on_busy = None

    def __init__(self, text: str = "", hang: bool = False, refusal_score: float | None = None):
        self.words, self.hang, self.refusal_score = text.split(), hang, refusal_score
        self.prompts: list[str] = []
        self.thresholds: list[float | None] = []
        self.cancelled: list[_Gen] = []

    def submit(self, prompt, max_new_tokens, temperature, refusal_threshold=None):
        self.prompts.append(prompt)
        self.thresholds.append(refusal_threshold)
        return _Gen()

    async def stream(self, gen):
        score, threshold = self.refusal_score, self.thresholds[-1]
        if score is not None and threshold is not None and score >= threshold:  # what the engine does at prefill
            gen.result = Completion("", 50, 0, "refused", score)
            return
        while self.hang and not gen.cancelled:
            await asyncio.sleep(0.01)
        while gen.pos < len(self.words) and not gen.cancelled:
            gen.pos += 1
            yield self.words[gen.pos - 1] + " "
        gen.result = Completion(" ".join(self.words[: gen.pos]), 50, gen.pos, "cancelled" if gen.cancelled else "stop", score)

    async def complete(self, gen):
        async for _ in self.stream(gen):
            pass
        return gen.result

    def cancel(self, gen):
        gen.cancelled = True
        self.cancelled.append(gen)

    async def call(self, fn, *args, **kwargs):
        return fn(*args, **kwargs)

    def stats(self):
        return BackendStats(0, 0)

    def close(self):
        pass


@pytest.fixture
def make_pipeline(tiny_corpus, tmp_path, hash_embedder):
    build_index(tiny_corpus, tmp_path / "index", "hash-test", 64, 8, 8, embedder=hash_embedder)
    retriever = Retriever(tmp_path / "index", "hash-test", embedder=hash_embedder)

    def make(backend, min_score=0.0, timeout_s=30.0, tokenizer=None, refusal_threshold=None, coverage_threshold=None, quote_below=0.0,
             **quote_leads):
        assert isinstance(backend, Backend)
        metrics = Metrics()
        pipeline = AnswerPipeline(retriever, backend, tokenizer or _Template(), metrics, system_prompt=DEFAULT_SYSTEM_PROMPT,
                                  not_found_phrase=DEFAULT_NOT_FOUND, min_relative_score=0.0, min_score=min_score,
                                  timeout_s=timeout_s, not_found_phrase_en=DEFAULT_NOT_FOUND_EN,
                                  refusal_threshold=refusal_threshold, coverage_threshold=coverage_threshold,
                                  quote_below=quote_below, **quote_leads)  # fmt: skip
        return pipeline, metrics

    return make


class _Template:
    """A chat template that shows the messages as they are (the real template is tested in tests/core)."""

    def apply_chat_template(self, messages, tokenize=False, add_generation_prompt=True):
        return "\n".join(f"<{m['role']}>{m['content']}" for m in messages)


def _events(pipeline, *args, **kwargs):
    async def collect():
        return [e async for e in await pipeline.stream(*args, **kwargs)]

    return asyncio.run(collect())


def _counter(metrics: Metrics, name: str, **labels: str) -> float:
    return metrics.registry.get_sample_value(name, labels or None) or 0.0


def test_answer_has_numbered_sources_and_drops_citations_that_point_nowhere(make_pipeline):
    backend = ScriptedBackend("Nhân viên được nghỉ 14 ngày [1] [7].")
    pipeline, metrics = make_pipeline(backend)
    answer = asyncio.run(pipeline.answer(QUESTION, [], OPTIONS))
    assert answer.sources[0].doc_id == "company/nghi-phep.md"
    assert [s.n for s in answer.sources] == list(range(1, len(answer.sources) + 1)) and len(answer.sources) <= 3
    assert answer.text == "Nhân viên được nghỉ 14 ngày [1]."
    assert _counter(metrics, "ragtune_citations_removed_total") == 1
    assert answer.finish_reason == "stop" and answer.usage.total_tokens == 50 + 8
    assert set(answer.timings_ms) == {"retrieve", "generate", "total"}
    prompt = backend.prompts[0]  # the retrieved passage reaches the prompt, numbered as the sources are
    assert "[1]" in prompt and "14 ngày" in prompt and QUESTION in prompt


def test_stream_sends_sources_then_deltas_then_the_final_answer(make_pipeline):
    pipeline, _ = make_pipeline(ScriptedBackend("Nghỉ 14 ngày [1] [5]."))
    events = _events(pipeline, QUESTION, [], OPTIONS)
    assert isinstance(events[0], SourcesEvent) and events[0].sources[0].doc_id == "company/nghi-phep.md"
    assert isinstance(events[-1], DoneEvent) and all(isinstance(e, DeltaEvent) for e in events[1:-1])
    # what is streamed is what the final answer says: verified and with its citations cleaned, sentence by sentence
    assert "".join(e.text for e in events[1:-1]).strip() == "Nghỉ 14 ngày [1]."
    assert events[-1].answer.text == "Nghỉ 14 ngày [1]." and events[-1].answer.sources == events[0].sources


def test_an_answer_that_recites_the_system_prompt_is_blocked_and_its_stream_stopped(make_pipeline):
    backend = ScriptedBackend("Dạ, " + DEFAULT_SYSTEM_PROMPT)
    pipeline, metrics = make_pipeline(backend)
    answer = asyncio.run(pipeline.answer(QUESTION, [], OPTIONS))
    assert answer.text == DEFAULT_NOT_FOUND and answer.finish_reason == "content_filter"
    events = _events(pipeline, QUESTION, [], OPTIONS)
    shown = "".join(e.text for e in events if isinstance(e, DeltaEvent))
    assert len(shown.split()) <= 8 and len(backend.cancelled) == 1
    assert events[-1].answer.text == DEFAULT_NOT_FOUND and events[-1].answer.finish_reason == "content_filter"
    assert _counter(metrics, "ragtune_answers_blocked_total") == 2
    # a blocked answer still reports its answerability scores
    assert answer.uncovered is not None and events[-1].answer.uncovered == answer.uncovered
    ok, _ = make_pipeline(ScriptedBackend(DEFAULT_NOT_FOUND))  # the phrase itself is a legitimate answer
    assert asyncio.run(ok.answer(QUESTION, [], OPTIONS)).finish_reason == "stop"


def test_an_answer_that_misses_the_question_is_replaced_by_the_best_matching_source_sentence(make_pipeline):
    neighbour = "Dạ, đơn xin nghỉ dùng mẫu NS-03 [1]."  # the right passage, the wrong sentence
    pipeline, metrics = make_pipeline(ScriptedBackend(neighbour), quote_below=0.5)
    answer = asyncio.run(pipeline.answer(QUESTION, [], OPTIONS))
    assert answer.quoted and answer.finish_reason == "stop"
    assert answer.text.startswith("Dạ, theo tài liệu [1]: Nhân viên chính thức được nghỉ phép năm 14 ngày mỗi năm")
    assert answer.sources[0].doc_id == "company/nghi-phep.md"  # [1] is the passage the quote comes from
    events = _events(pipeline, QUESTION, [], OPTIONS)  # streamed: a last delta shows what replaced the words sent
    assert events[-1].answer.quoted and events[-1].answer.text == answer.text and events[-2].text == "\n" + answer.text
    assert _counter(metrics, "ragtune_answers_quoted_total") == 2
    for text in ("Dạ, nhân viên chính thức được nghỉ phép năm 14 ngày [1].", DEFAULT_NOT_FOUND):  # kept as they are
        kept, _ = make_pipeline(ScriptedBackend(text), quote_below=0.5)
        assert asyncio.run(kept.answer(QUESTION, [], OPTIONS)).text == text
    off, _ = make_pipeline(ScriptedBackend(neighbour))  # serve.quote_below 0: never
    kept = asyncio.run(off.answer(QUESTION, [], OPTIONS))
    assert not kept.quoted and kept.text.startswith("Dạ, đơn xin nghỉ dùng mẫu NS-03 [")  # verification may move the [n]


def test_an_answer_without_the_asked_number_is_replaced_by_the_quote_that_states_it(make_pipeline):
    vague = "Dạ, nhân viên chính thức được nghỉ phép năm theo quy định [1]."  # on the question, but no number
    pipeline, _ = make_pipeline(ScriptedBackend(vague), quote_below=0.5)
    answer = asyncio.run(pipeline.answer(QUESTION, [], OPTIONS))
    assert answer.quoted and "14 ngày" in answer.text
    # the same words answer a question that asks for no number
    asked = "Nhân viên chính thức có được nghỉ phép năm không?"
    assert not asyncio.run(pipeline.answer(asked, [], OPTIONS)).quoted


def test_the_quote_is_led_by_the_configured_words(make_pipeline):
    neighbour = "Dạ, đơn xin nghỉ dùng mẫu NS-03 [1]."
    pipeline, _ = make_pipeline(ScriptedBackend(neighbour), quote_below=0.5, quote_lead="Thưa anh chị, tài liệu [{n}] ghi:",
                                quote_lead_en="Source [{n}] says:")  # fmt: skip
    assert asyncio.run(pipeline.answer(QUESTION, [], OPTIONS)).text.startswith("Thưa anh chị, tài liệu [1] ghi: Nhân viên chính thức")
    from ragtune.prompt import quoted_answer

    assert quoted_answer("How many days of leave?", 2, "14 days.", "Thưa [{n}]:", "Source [{n}] says:") == "Source [2] says: 14 days."
    assert quoted_answer("Bao nhiêu ngày phép?", 2, "14 ngày.", "Thưa [{n}]:", "Source [{n}] says:") == "Thưa [2]: 14 ngày."


def test_the_score_gate_answers_not_found_without_generating(make_pipeline):
    backend = ScriptedBackend("bịa ra một câu trả lời [1]")
    pipeline, _ = make_pipeline(backend, min_score=0.99)
    answer = asyncio.run(pipeline.answer("giá vàng hôm nay", [], OPTIONS))
    assert answer.text == DEFAULT_NOT_FOUND and answer.finish_reason == "not_found" and answer.usage.total_tokens == 0
    events = _events(pipeline, "giá vàng hôm nay", [], OPTIONS)
    assert [type(e) for e in events] == [SourcesEvent, DeltaEvent, DoneEvent] and events[1].text == DEFAULT_NOT_FOUND
    assert backend.prompts == []


def test_without_retrieval_the_prompt_has_no_passages_and_follow_ups_search_with_the_previous_turn(make_pipeline):
    backend = ScriptedBackend("Xin chào.")
    pipeline, _ = make_pipeline(backend)
    answer = asyncio.run(pipeline.answer(QUESTION, [], AnswerOptions(3, 8, 0.0, retrieval=False)))
    assert answer.sources == [] and "[1]" not in backend.prompts[0]
    history = [{"role": "user", "content": "Luật Cư trú: điều kiện đăng ký thường trú"}, {"role": "assistant", "content": "..."}]
    follow_up = asyncio.run(pipeline.answer("còn chỗ ở hợp pháp thì sao?", history, OPTIONS))
    assert follow_up.sources[0].doc_id == "laws/luat-cu-tru.md"
    only_company = asyncio.run(pipeline.answer(QUESTION, [], AnswerOptions(3, 8, 0.0, doc_prefix="laws/")))
    assert {s.doc_id for s in only_company.sources} == {"laws/luat-cu-tru.md"}


def test_a_generation_past_the_timeout_is_cancelled(make_pipeline):
    backend = ScriptedBackend("không bao giờ xong", hang=True)
    pipeline, _ = make_pipeline(backend, timeout_s=0.2)
    with pytest.raises(GenerationTimeout):
        asyncio.run(pipeline.answer(QUESTION, [], OPTIONS))
    assert len(backend.cancelled) == 1


def test_a_stream_past_the_timeout_is_cancelled_and_its_final_event_says_so(make_pipeline):
    backend = ScriptedBackend("không bao giờ xong", hang=True)
    pipeline, metrics = make_pipeline(backend, timeout_s=0.2)

    async def collect():  # bounded here: before the fix the stream waited for ever
        return await asyncio.wait_for(_collect(pipeline, QUESTION, [], OPTIONS), 10)

    events = asyncio.run(collect())
    assert isinstance(events[0], SourcesEvent) and isinstance(events[-1], DoneEvent)
    assert events[-1].answer.finish_reason == "timeout" and len(backend.cancelled) == 1
    assert _counter(metrics, "ragtune_generation_timeouts_total") == 1


async def _collect(pipeline, *args, **kwargs):
    return [e async for e in await pipeline.stream(*args, **kwargs)]


def test_a_client_that_leaves_cancels_its_generation_and_gets_no_final_event(make_pipeline):
    backend = ScriptedBackend("một hai ba bốn năm sáu")
    pipeline, _ = make_pipeline(backend)

    async def gone():
        return True

    events = _events(pipeline, QUESTION, [], OPTIONS, disconnected=gone)
    assert [type(e) for e in events] == [SourcesEvent] and backend.cancelled and backend.cancelled[0].cancelled


def test_an_empty_question_is_a_domain_error(make_pipeline):
    pipeline, _ = make_pipeline(ScriptedBackend("x"))
    with pytest.raises(EmptyQuestion):
        asyncio.run(pipeline.answer("   ", [], OPTIONS))


def test_an_unsupported_number_is_corrected_before_it_is_sent_and_counted(make_pipeline):
    wrong = "Dạ, nhân viên chính thức được nghỉ phép năm 21 ngày mỗi năm [1]."
    pipeline, metrics = make_pipeline(ScriptedBackend(wrong))
    answer = asyncio.run(pipeline.answer(QUESTION, [], OPTIONS))
    assert "14 ngày" in answer.text and "21" not in answer.text and answer.text.endswith("[1]")
    assert not answer.verified and answer.unsupported == 1
    events = _events(pipeline, QUESTION, [], OPTIONS)
    streamed = "".join(e.text for e in events if isinstance(e, DeltaEvent))
    assert "21" not in streamed and events[-1].answer.text == answer.text  # the wrong number never went out
    assert streamed.endswith(answer.text + " ")  # the correction follows the words already sent
    assert _counter(metrics, "ragtune_unsupported_claims_total") == 2
    fine, _ = make_pipeline(ScriptedBackend("Nhân viên được nghỉ 14 ngày [1]."))
    assert asyncio.run(fine.answer(QUESTION, [], OPTIONS)).verified


def test_an_uncited_copied_sentence_cites_its_passage_in_answers_and_streams(make_pipeline):
    pipeline, metrics = make_pipeline(ScriptedBackend("Dạ, nhân viên chính thức được nghỉ phép năm 14 ngày mỗi năm."))
    answer = asyncio.run(pipeline.answer(QUESTION, [], OPTIONS))
    assert answer.text == "Dạ, nhân viên chính thức được nghỉ phép năm 14 ngày mỗi năm [1]." and answer.verified
    events = _events(pipeline, QUESTION, [], OPTIONS)
    assert "".join(e.text for e in events if isinstance(e, DeltaEvent)).strip() == answer.text == events[-1].answer.text
    assert _counter(metrics, "ragtune_citations_attributed_total") == 2


def test_an_answer_with_nothing_supported_becomes_the_not_found_phrase(make_pipeline):
    pipeline, _ = make_pipeline(ScriptedBackend("Mỗi nhân viên được nhận trợ cấp 100% mỗi năm [1]."))
    answer = asyncio.run(pipeline.answer(QUESTION, [], OPTIONS))
    assert answer.text == DEFAULT_NOT_FOUND and answer.finish_reason == "not_found" and not answer.verified
    events = _events(pipeline, QUESTION, [], OPTIONS)
    streamed = "".join(e.text for e in events if isinstance(e, DeltaEvent))
    assert "100" not in streamed and streamed.endswith("\n" + DEFAULT_NOT_FOUND)
    assert events[-1].answer.text == DEFAULT_NOT_FOUND


def test_a_refusal_score_at_the_threshold_answers_the_not_found_phrase_in_the_question_language(make_pipeline):
    backend = ScriptedBackend("Được nghỉ 99 ngày [1].", refusal_score=0.7)
    pipeline, metrics = make_pipeline(backend, refusal_threshold=0.6)
    answer = asyncio.run(pipeline.answer(QUESTION, [], OPTIONS))
    assert (answer.text, answer.finish_reason, answer.refusal_score) == (DEFAULT_NOT_FOUND, "not_found", 0.7)
    assert backend.thresholds == [0.6] and _counter(metrics, "ragtune_answers_refused_total", score="refusal_score") == 1
    english = asyncio.run(pipeline.answer("How many days of annual leave do employees get?", [], OPTIONS))
    assert english.text == DEFAULT_NOT_FOUND_EN
    events = _events(pipeline, QUESTION, [], OPTIONS)
    assert [type(e) for e in events] == [SourcesEvent, DeltaEvent, DoneEvent]
    assert events[1].text == DEFAULT_NOT_FOUND and events[2].answer.finish_reason == "not_found"


def test_below_the_threshold_the_model_answers_and_without_passages_no_threshold_applies(make_pipeline):
    backend = ScriptedBackend("Nhân viên được nghỉ 14 ngày [1].", refusal_score=0.2)
    pipeline, metrics = make_pipeline(backend, refusal_threshold=0.6)
    answer = asyncio.run(pipeline.answer(QUESTION, [], OPTIONS))
    assert answer.finish_reason == "stop" and answer.refusal_score == 0.2 and "14 ngày" in answer.text
    no_retrieval = AnswerOptions(top_k=3, max_tokens=32, temperature=0.0, retrieval=False)
    asyncio.run(pipeline.answer("Xin chào", [], no_retrieval))
    assert backend.thresholds == [0.6, None] and _counter(metrics, "ragtune_answers_refused_total", score="refusal_score") == 0


def test_a_question_no_passage_speaks_of_is_declined_before_generating(make_pipeline):
    backend = ScriptedBackend("Dạ, thực tập sinh được 5.000.000 đồng [1].")
    pipeline, metrics = make_pipeline(backend, coverage_threshold=0.5)
    near_miss = asyncio.run(pipeline.answer("Thực tập sinh được phụ cấp xăng xe Grab bao nhiêu tiền?", [], OPTIONS))
    assert (near_miss.text, near_miss.finish_reason, near_miss.usage.completion_tokens) == (DEFAULT_NOT_FOUND, "not_found", 0)
    assert near_miss.uncovered >= 0.5 and backend.prompts == []  # nothing was generated
    assert _counter(metrics, "ragtune_answers_refused_total", score="coverage") == 1
    events = _events(pipeline, "Thực tập sinh được phụ cấp xăng xe Grab bao nhiêu tiền?", [], OPTIONS)
    assert [type(e) for e in events] == [SourcesEvent, DeltaEvent, DoneEvent] and events[1].text == DEFAULT_NOT_FOUND
    asked = asyncio.run(pipeline.answer(QUESTION, [], OPTIONS))
    assert asked.uncovered < 0.5 and backend.prompts  # the documents speak of it: the model answers

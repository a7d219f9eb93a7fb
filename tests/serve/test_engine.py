"""The continuous-batching engine on real (tiny) models: batched output = solo output, admission mid-decode,
sliding-window caches, cancellation, and a cache that does not grow while the server stays busy."""

import asyncio
import threading

import pytest
import torch

from ragtune.hardware import compute_threads, single_threaded_main
from ragtune.serve import engine as engine_module
from ragtune.serve.backend import PromptTooLong
from ragtune.serve.engine import Engine, prefill_groups, sample

PROMPTS = ["<bos><start_of_turn>user\nNghỉ phép?<end_of_turn>\n<start_of_turn>model\n",
           "<bos><start_of_turn>user\nGiờ làm việc từ mấy giờ đến mấy giờ?<end_of_turn>\n<start_of_turn>model\n",
           "<bos><start_of_turn>user\nĐăng ký thường trú<end_of_turn>\n<start_of_turn>model\n"]  # fmt: skip


def solo_greedy(model, tokenizer, prompt: str, n: int) -> str:
    """What transformers' own generate gives for one prompt: the reference for every engine output."""
    ids = tokenizer(prompt, return_tensors="pt", add_special_tokens=False)
    with torch.inference_mode():
        out = model.generate(**ids, max_new_tokens=n, min_new_tokens=n, do_sample=False, pad_token_id=tokenizer.pad_token_id)
    return tokenizer.decode(out[0, ids["input_ids"].shape[1] :], skip_special_tokens=True).strip()


def staggered(engine: Engine, prompts: list[str], n: int, after_deltas: int) -> list:
    """Submit the first prompt, and each next one once the previous has streamed `after_deltas` pieces."""

    async def scenario():
        reqs, tasks = [], []
        for prompt in prompts:
            req = engine.submit(prompt, n, 0.0)
            reqs.append(req)
            seen = asyncio.Event()

            async def consume(req=req, seen=seen):
                count = 0
                try:
                    async for _ in engine.stream(req):
                        count += 1
                        if count >= after_deltas:
                            seen.set()
                finally:
                    seen.set()  # also when the engine reports an error: the test fails instead of hanging
                return req.result

            tasks.append(asyncio.create_task(consume()))
            await seen.wait()
        return await asyncio.gather(*tasks)

    return asyncio.run(scenario())


def test_concurrent_requests_are_batched_and_match_single_runs(tiny_lm):
    engine = Engine(tiny_lm.model, tiny_lm.tokenizer, tiny_lm.stop_ids, max_batch=8, batch_window_ms=200)
    sizes = []
    engine.on_batch = sizes.append

    async def run_all(prompts):
        reqs = [engine.submit(p, 8, 0.0) for p in prompts]
        return await asyncio.gather(*(engine.complete(r) for r in reqs))

    try:
        together = asyncio.run(run_all(PROMPTS))
        assert sizes[0] == 3  # all three decoded in one batch
        alone = [asyncio.run(run_all([p]))[0] for p in PROMPTS]
    finally:
        engine.close()
    assert [c.text for c in together] == [c.text for c in alone]
    assert all(c.completion_tokens <= 8 for c in together)


def test_the_worker_reports_its_time_by_phase(tiny_lm):
    engine = Engine(tiny_lm.model, tiny_lm.tokenizer, [], max_batch=8, batch_window_ms=0)
    busy: dict[str, list[float]] = {}
    engine.on_busy = lambda phase, seconds: busy.setdefault(phase, []).append(seconds)

    async def run():
        result = await engine.complete(engine.submit(PROMPTS[0], 6, 0.0))
        return result, await engine.call(lambda: "called")

    try:
        result, called = asyncio.run(run())
    finally:
        engine.close()
    assert called == "called" and result.completion_tokens == 6
    assert len(busy["prefill"]) == 1  # one prompt, one prefill; its first token comes from the prefill
    assert len(busy["decode"]) == 5 and all(s > 0 for s in busy["prefill"] + busy["decode"])
    assert busy["calls"]


def test_requests_join_a_running_batch_and_decode_as_if_alone(tiny_lm):
    engine = Engine(tiny_lm.model, tiny_lm.tokenizer, [], max_batch=8, batch_window_ms=0)  # no stop ids: run to the limit
    sizes = []
    engine.on_batch = sizes.append
    try:
        results = staggered(engine, PROMPTS, 24, after_deltas=5)
    finally:
        engine.close()
    assert 3 in sizes and sizes[0] == 1  # the later requests joined while the first was decoding
    expected = [solo_greedy(tiny_lm.model, tiny_lm.tokenizer, p, 24) for p in PROMPTS]
    assert [r.text for r in results] == expected
    assert all(r.finish_reason == "length" and r.completion_tokens == 24 for r in results)


def test_sliding_window_caches_merge_correctly(sliding_lm, tiny_tokenizer):
    # all longer than the window of 8; each newcomer longer than the batch it joins, so the running rows get padded
    long_prompts = [p.replace("?", " " + "và " * n + "?") for p, n in zip(PROMPTS, (4, 16, 40), strict=True)]
    engine = Engine(sliding_lm, tiny_tokenizer, [], max_batch=8, batch_window_ms=0)
    try:
        results = staggered(engine, long_prompts, 20, after_deltas=4)
    finally:
        engine.close()
    assert [r.text for r in results] == [solo_greedy(sliding_lm, tiny_tokenizer, p, 20) for p in long_prompts]


def test_the_cache_stays_bounded_while_requests_keep_overlapping(tiny_lm):
    engine = Engine(tiny_lm.model, tiny_lm.tokenizer, [], max_batch=4, batch_window_ms=0)
    widths = []
    engine.on_batch = lambda _: widths.append(engine._batch.mask.shape[1])
    try:
        staggered(engine, PROMPTS * 4, 12, after_deltas=6)  # twelve requests, each joining a busy batch
    finally:
        engine.close()
    longest = max(len(tiny_lm.tokenizer(p, add_special_tokens=False)["input_ids"]) for p in PROMPTS)
    assert max(widths) <= longest + 12  # without trimming it would grow with every overlap


def test_a_cancelled_request_stops_while_the_others_finish(tiny_lm):
    engine = Engine(tiny_lm.model, tiny_lm.tokenizer, [], max_batch=8, batch_window_ms=200)  # no stop ids: runs to the limit

    async def scenario():
        keep = engine.submit(PROMPTS[0], 40, 0.0)
        drop = engine.submit(PROMPTS[1], 40, 0.0)
        first = []
        async for delta in engine.stream(drop):
            first.append(delta)
            drop.cancelled.set()
        return await engine.complete(keep), drop.result

    try:
        kept, dropped = asyncio.run(scenario())
    finally:
        engine.close()
    assert kept.completion_tokens == 40 and kept.finish_reason == "length"
    assert dropped.finish_reason == "cancelled" and dropped.completion_tokens < 40


def test_prefill_groups_keep_padding_within_budget():
    assert prefill_groups([300, 20, 310, 25], pad_budget=48) == [[1, 3], [0, 2]]
    assert prefill_groups([300, 20, 310, 25], pad_budget=0) == [[1], [3], [0], [2]]
    assert prefill_groups([10, 10, 10], pad_budget=0) == [[0, 1, 2]]  # equal lengths never pad
    # a third prompt joins while the group's padding stays within budget per forward saved
    assert prefill_groups([100, 120, 130], pad_budget=20) == [[0, 1, 2]]  # padding 20, then 10 + 30 = 40 <= 2 * 20
    assert prefill_groups([100, 120, 150], pad_budget=20) == [[0, 1], [2]]  # 50 + 30 = 80 > 40


@pytest.mark.parametrize("which", ["llama", "sliding"])
def test_prompts_prefilled_in_separate_forwards_join_one_batch_and_decode_as_if_alone(which, tiny_lm, sliding_lm, tiny_tokenizer, monkeypatch):
    model, tok = (tiny_lm.model, tiny_lm.tokenizer) if which == "llama" else (sliding_lm, tiny_tokenizer)
    monkeypatch.setattr(engine_module, "PAD_BUDGET", 0)  # every prompt length its own forward
    engine = Engine(model, tok, [], max_batch=8, batch_window_ms=200)
    forwards, sizes = [], []
    prefill_group = engine._prefill_group
    engine._prefill_group = lambda ids, *a: forwards.append(len(ids)) or prefill_group(ids, *a)
    engine.on_batch = sizes.append

    async def run_all():
        reqs = [engine.submit(p, 10, 0.0) for p in PROMPTS]
        return await asyncio.gather(*(engine.complete(r) for r in reqs))

    try:
        together = asyncio.run(run_all())
    finally:
        engine.close()
    assert forwards == [1, 1, 1] and sizes[0] == 3  # three prefills, one decoding batch
    assert [c.text for c in together] == [solo_greedy(model, tok, p, 10) for p in PROMPTS]


def test_calls_run_on_the_generation_thread_between_steps(tiny_lm):
    engine = Engine(tiny_lm.model, tiny_lm.tokenizer, [], max_batch=8, batch_window_ms=0)  # no stop ids: runs to the limit
    steps = []
    engine.on_batch = steps.append

    def boom():
        raise ValueError("bad query")

    async def scenario():
        idle = await engine.call(lambda: threading.current_thread().name)
        req = engine.submit(PROMPTS[0], 60, 0.0)
        stream = engine.stream(req)
        await anext(stream)  # decoding has started
        during = await engine.call(lambda x, y=0: (x + y, len(steps)), 2, y=3)
        with pytest.raises(ValueError, match="bad query"):
            await engine.call(boom)
        async for _ in stream:
            pass
        return idle, during, req.result

    try:
        idle, (value, steps_before), result = asyncio.run(scenario())
    finally:
        engine.close()
    assert idle == "ragtune-generate" and value == 5
    with pytest.raises(RuntimeError, match="stopped"):
        asyncio.run(engine.call(lambda: 1))
    assert 0 < steps_before < len(steps) and result.completion_tokens == 60  # answered mid-answer; the answer went on


def test_sampling_is_per_row():
    torch.manual_seed(0)
    logits = torch.tensor([[0.0, 5.0, 1.0], [0.0, 5.0, 1.0], [3.0, 0.0, 0.0]])
    draws = {tuple(sample(logits, [0.0, 50.0, 0.0])) for _ in range(40)}
    assert all(d[0] == 1 and d[2] == 0 for d in draws)  # greedy rows never move
    assert len({d[1] for d in draws}) > 1  # the hot row samples


@pytest.mark.parametrize("which", ["llama", "sliding"])
def test_a_shared_prompt_prefix_is_computed_once_and_changes_nothing(which, tiny_lm, sliding_lm, tiny_tokenizer):
    model, tok = (tiny_lm.model, tiny_lm.tokenizer) if which == "llama" else (sliding_lm, tiny_tokenizer)
    system = "<bos><start_of_turn>user\nBạn là trợ lý nội bộ của công ty. Trả lời lịch sự, ngắn gọn, có nguồn.\n\n"
    prompts = [system + p.split("user\n", 1)[1] for p in PROMPTS] * 2
    engine = Engine(model, tok, [], max_batch=8, batch_window_ms=0)
    try:
        results = staggered(engine, prompts, 12, after_deltas=3)
    finally:
        engine.close()
    assert engine.prefix_hits >= len(prompts) - 1  # all but the first prompt (nothing to compare it with yet)
    assert len(engine._prefix_ids) >= len(tok(system, add_special_tokens=False)["input_ids"]) - 1
    assert [r.text for r in results] == [solo_greedy(model, tok, p, 12) for p in prompts]


def test_cancel_ends_a_middle_row_and_a_queued_request_while_the_others_decode_as_if_alone(tiny_lm):
    # the row cancelled by Engine.cancel sits between two others, so the batch keeps rows on both sides of it;
    # with max_batch=3 the fourth request is still queued when cancelled and never reaches the model
    engine = Engine(tiny_lm.model, tiny_lm.tokenizer, [], max_batch=3, batch_window_ms=200)  # no stop ids
    finishes = []
    engine.on_finish = finishes.append

    async def scenario():
        first, middle, last, queued = (engine.submit(p, 24, 0.0) for p in [*PROMPTS, PROMPTS[0]])
        engine.cancel(queued)
        async for _ in engine.stream(middle):
            engine.cancel(middle)
        others = [await engine.complete(r) for r in (first, last, queued)]
        return others[0], middle.result, *others[1:]

    try:
        first, middle, last, queued = asyncio.run(scenario())
    finally:
        engine.close()
    assert middle.finish_reason == "cancelled" and 0 < middle.completion_tokens < 24
    assert queued.finish_reason == "cancelled" and queued.completion_tokens == 0 and queued.text == ""
    for kept, prompt in ((first, PROMPTS[0]), (last, PROMPTS[2])):
        assert kept.text == solo_greedy(tiny_lm.model, tiny_lm.tokenizer, prompt, 24)
        assert kept.finish_reason == "length" and kept.completion_tokens == 24
    assert sorted(finishes) == ["cancelled", "length", "length"]  # the queued request was never a row


def test_the_refusal_threshold_decides_at_prefill_and_the_score_is_the_first_token_probability(tiny_lm):
    model, tok = tiny_lm.model, tiny_lm.tokenizer
    ids = tok(PROMPTS[0], return_tensors="pt", add_special_tokens=False)
    with torch.inference_mode():
        probs = torch.softmax(model(**ids).logits[0, -1].float(), dim=-1)
    favourite = int(probs.argmax())  # what greedy would start with: call it the refusal token
    engine = Engine(model, tok, [], batch_window_ms=0, refusal_ids=[favourite])

    async def answer(threshold):
        return await engine.complete(engine.submit(PROMPTS[0], 4, 0.0, refusal_threshold=threshold))

    try:
        refused = asyncio.run(answer(float(probs[favourite]) - 1e-4))
        kept = asyncio.run(answer(float(probs[favourite]) + 1e-4))
        free = asyncio.run(answer(None))
    finally:
        engine.close()
    assert (refused.finish_reason, refused.text, refused.completion_tokens) == ("refused", "", 0)
    assert refused.refusal_score == pytest.approx(float(probs[favourite]), abs=1e-3)
    # below the threshold the refusal token is masked: the answer is greedy from the next most likely token
    runner_up = int(probs.topk(2).indices[1])
    start = torch.cat([ids["input_ids"], torch.tensor([[runner_up]])], dim=1)
    with torch.inference_mode():
        out = model.generate(start, max_new_tokens=3, min_new_tokens=3, do_sample=False, pad_token_id=tok.pad_token_id)
    forced = tok.decode(out[0, ids["input_ids"].shape[1] :], skip_special_tokens=True).strip()
    assert kept.text == forced and free.text == solo_greedy(model, tok, PROMPTS[0], 4)


def test_a_vanishing_temperature_decodes_greedily_and_fails_no_request_beside_it(tiny_lm):
    """temperature=1e-93 passes the schema; dividing logits by it overflowed to nan and the sampling error
    failed every row of the batch, an ordinary request at temperature 0 included."""
    engine = Engine(tiny_lm.model, tiny_lm.tokenizer, tiny_lm.stop_ids, max_batch=8, batch_window_ms=200)

    async def both():
        reqs = [engine.submit(PROMPTS[0], 8, 1e-93), engine.submit(PROMPTS[1], 8, 0.0)]
        return await asyncio.gather(*(engine.complete(r) for r in reqs))

    try:
        tiny, plain = asyncio.run(both())
    finally:
        engine.close()
    assert tiny.text == solo_greedy(tiny_lm.model, tiny_lm.tokenizer, PROMPTS[0], 8)
    assert plain.text == solo_greedy(tiny_lm.model, tiny_lm.tokenizer, PROMPTS[1], 8)


def test_a_failed_prefill_fails_only_its_own_request(tiny_lm, monkeypatch):
    """An error while prefilling one newcomer reaches that request alone; the request prefilled beside it (in a
    forward of its own) and the rows already decoding answer as if nothing happened."""
    engine = Engine(tiny_lm.model, tiny_lm.tokenizer, tiny_lm.stop_ids, max_batch=8, batch_window_ms=200)
    monkeypatch.setattr(engine_module, "PAD_BUDGET", 0)  # every prompt length gets its own forward
    real = engine._prefill_group
    poison = PROMPTS[2] + "x"

    def prefill_group(ids, reqs, shared):
        if any(r.prompt == poison for r in reqs):
            raise RuntimeError("this request's prefill broke")
        return real(ids, reqs, shared)

    monkeypatch.setattr(engine, "_prefill_group", prefill_group)

    async def scenario():
        running = engine.submit(PROMPTS[0], 12, 0.0)
        first = anext(engine.stream(running).__aiter__())
        await first  # decoding has started
        reqs = [engine.submit(poison, 8, 0.0), engine.submit(PROMPTS[1], 8, 0.0)]
        results = await asyncio.gather(engine.complete(running), *(engine.complete(r) for r in reqs), return_exceptions=True)
        return results

    try:
        running, broken, other = asyncio.run(scenario())
    finally:
        engine.close()
    assert isinstance(broken, RuntimeError) and "prefill broke" in str(broken)
    assert other.text == solo_greedy(tiny_lm.model, tiny_lm.tokenizer, PROMPTS[1], 8)
    assert running.completion_tokens >= 1 and not isinstance(running, Exception)


def test_a_prompt_without_room_for_its_answer_is_refused_at_submit(tiny_lm):
    engine = Engine(tiny_lm.model, tiny_lm.tokenizer, tiny_lm.stop_ids, max_prompt_tokens=64)

    async def submit(prompt, n):
        return engine.submit(prompt, n, 0.0)

    try:
        with pytest.raises(PromptTooLong, match="at most 64") as e:
            asyncio.run(submit(PROMPTS[0].replace("Nghỉ phép?", "Nghỉ phép? " * 40), 8))
        assert e.value.field == "prompt"
        with pytest.raises(PromptTooLong):  # the model's own positions: 2048 in the tiny model
            asyncio.run(submit(PROMPTS[0], engine.context_tokens))
        assert asyncio.run(submit(PROMPTS[0], 8)).ids  # a prompt that fits is queued with its tokens
    finally:
        engine.close()


def run_all(engine: Engine, prompts: list[str], n: int, temperature: float = 0.0) -> list:
    async def go():
        return await asyncio.gather(*(engine.complete(engine.submit(p, n, temperature)) for p in prompts))

    try:
        return asyncio.run(go())
    finally:
        engine.close()


def test_an_output_vocabulary_holding_every_token_decodes_exactly_as_the_full_head(tiny_lm):
    from ragtune.serve.vocab import VocabHead

    full = run_all(Engine(tiny_lm.model, tiny_lm.tokenizer, tiny_lm.stop_ids, batch_window_ms=200), PROMPTS, 10)
    head = VocabHead(tiny_lm.model, list(range(len(tiny_lm.tokenizer))))
    restricted = run_all(Engine(tiny_lm.model, tiny_lm.tokenizer, tiny_lm.stop_ids, batch_window_ms=200, vocab=head), PROMPTS, 10)
    assert [c.text for c in restricted] == [c.text for c in full]


@pytest.mark.parametrize("temperature", [0.0, 1.5])
def test_decoding_steps_produce_only_the_output_vocabulary_and_each_rows_prompt(tiny_lm, monkeypatch, temperature):
    """The first token comes from prefill's full head; every later one from the vocabulary or the row's prompt,
    greedy or sampled."""
    from ragtune.serve.vocab import VocabHead

    tok = tiny_lm.tokenizer
    allowed = list(range(0, len(tok), 7))  # a vocabulary without most tokens
    produced: dict[str, list[int]] = {}
    push = engine_module._Row.push

    def record(self, token, tokenizer, stop_ids):
        produced.setdefault(self.req.prompt, []).append(token)
        return push(self, token, tokenizer, stop_ids)

    monkeypatch.setattr(engine_module._Row, "push", record)
    engine = Engine(tiny_lm.model, tok, [], batch_window_ms=200, vocab=VocabHead(tiny_lm.model, allowed))
    run_all(engine, PROMPTS, 12, temperature)
    for prompt, tokens in produced.items():
        permitted = set(allowed) | set(tok(prompt, add_special_tokens=False)["input_ids"])
        assert len(tokens) == 12 and set(tokens[1:]) <= permitted, (prompt, set(tokens[1:]) - permitted)


def test_the_output_vocabulary_keeps_the_documents_tokens_specials_and_bytes_not_other_scripts(tiny_tokenizer):
    from ragtune.serve.vocab import output_vocab

    texts = ["Nghỉ phép 12 ngày."]
    ids = set(output_vocab(tiny_tokenizer, texts, common=len(tiny_tokenizer)))
    assert set(tiny_tokenizer(texts[0], add_special_tokens=False)["input_ids"]) <= ids
    assert set(tiny_tokenizer.all_special_ids) <= ids
    decoded = tiny_tokenizer.batch_decode([[i] for i in range(len(tiny_tokenizer))])
    foreign = {i for i, text in enumerate(decoded) if any(c in "QTwxzĐ" for c in text)}  # characters the texts never use
    assert len(foreign) >= 5 and not foreign & ids


def test_the_generation_thread_computes_with_every_core_while_the_caller_computes_alone(tiny_lm):
    # the server's main thread is single-threaded; two multi-threaded OpenMP teams slow each other (ragtune/hardware.py)
    single_threaded_main()
    engine = Engine(tiny_lm.model, tiny_lm.tokenizer, tiny_lm.stop_ids)

    async def ask():
        return await engine.call(torch.get_num_threads)

    try:
        assert asyncio.run(ask()) == compute_threads() and torch.get_num_threads() == 1
    finally:
        engine.close()
        torch.set_num_threads(compute_threads())

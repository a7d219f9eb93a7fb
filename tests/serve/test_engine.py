import asyncio

from serve.engine import Engine

PROMPTS = ["<bos><start_of_turn>user\nNghỉ phép?<end_of_turn>\n<start_of_turn>model\n",
           "<bos><start_of_turn>user\nGiờ làm việc từ mấy giờ đến mấy giờ?<end_of_turn>\n<start_of_turn>model\n",
           "<bos><start_of_turn>user\nĐăng ký thường trú<end_of_turn>\n<start_of_turn>model\n"]


def test_concurrent_requests_are_batched_and_match_single_runs(tiny_lm):
    engine = Engine(tiny_lm.model, tiny_lm.tokenizer, tiny_lm.stop_ids, max_batch=8, batch_window_ms=200)
    sizes = []
    engine.on_batch = sizes.append

    async def run_all(prompts):
        reqs = [engine.submit(p, 8, 0.0) for p in prompts]
        return await asyncio.gather(*(engine.complete(r) for r in reqs))

    try:
        together = asyncio.run(run_all(PROMPTS))
        alone = [asyncio.run(run_all([p]))[0] for p in PROMPTS]
    finally:
        engine.close()
    assert sizes[0] == 3 and sizes[1:] == [1, 1, 1]
    assert [c.text for c in together] == [c.text for c in alone]
    assert all(c.completion_tokens <= 8 for c in together)


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

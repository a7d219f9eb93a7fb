"""Prompt-lookup speculative decoding in the engine: the same greedy text as plain decoding, alone and when
other rows join, on plain and sliding-window caches; guesses the model rejects leave no trace in the cache."""

import asyncio

import pytest
from test_engine import PROMPTS, run_all, solo_greedy, staggered

from ragtune.serve.engine import Engine
from ragtune.serve.speculate import Lookup, accepted
from ragtune.serve.vocab import VocabHead


def test_the_lookup_guesses_what_followed_the_latest_occurrence_of_the_longest_matching_ngram():
    lookup = Lookup([5, 6, 7, 8, 1, 6, 7, 9, 2, 7], max_ngram=3)
    assert lookup.draft(3) == [9, 2, 7]  # last token 7: its latest earlier occurrence is followed by 9 2 7
    lookup.extend([5, 6, 7])  # ... 7 5 6 7: the 3-gram 5 6 7 occurred at the start, followed by 8 1
    assert lookup.draft(2) == [8, 1]
    lookup.extend([42])
    assert lookup.draft(4) == []  # never seen
    assert Lookup([1, 2, 3]).draft(0) == [] and Lookup([]).draft(3) == []


def test_accepted_counts_the_leading_guesses_the_model_chose_itself():
    assert accepted([4, 5, 6], [4, 5, 9, 1]) == 2
    assert accepted([4, 5], [4, 5, 7]) == 2
    assert accepted([4], [3, 2]) == 0


@pytest.mark.parametrize("which", ["llama", "sliding"])
def test_a_row_alone_decodes_the_same_text_with_guesses_accepted_and_rejected(which, tiny_lm, sliding_lm, tiny_tokenizer):
    # the sliding model's window is 8 tokens: every rewind crosses it
    model, tok = (tiny_lm.model, tiny_lm.tokenizer) if which == "llama" else (sliding_lm, tiny_tokenizer)
    engine = Engine(model, tok, [], max_batch=1, batch_window_ms=0, speculate=6)  # no stop ids: every answer is 40 tokens
    results = run_all(engine, PROMPTS, 40)
    assert [r.text for r in results] == [solo_greedy(model, tok, p, 40) for p in PROMPTS]
    assert [r.completion_tokens for r in results] == [40] * 3
    assert 0 < engine.accepted < engine.drafted  # some guesses kept, some thrown away


def test_a_restricted_output_vocabulary_speculates_to_the_same_text(tiny_lm):
    tok = tiny_lm.tokenizer
    head = VocabHead(tiny_lm.model, list(range(len(tok))))
    engine = Engine(tiny_lm.model, tok, [], max_batch=1, batch_window_ms=0, vocab=head, speculate=6)
    assert [r.text for r in run_all(engine, PROMPTS, 40)] == [solo_greedy(tiny_lm.model, tok, p, 40) for p in PROMPTS]
    assert engine.accepted > 0


@pytest.mark.parametrize("which", ["llama", "sliding"])
def test_rows_that_speculated_alone_then_decode_batched_as_if_alone(which, tiny_lm, sliding_lm, tiny_tokenizer):
    # each prompt joins once the previous one has streamed a while alone (speculating, rewinding its cache)
    model, tok = (tiny_lm.model, tiny_lm.tokenizer) if which == "llama" else (sliding_lm, tiny_tokenizer)
    engine = Engine(model, tok, [], max_batch=8, batch_window_ms=0, speculate=6)
    try:
        results = staggered(engine, PROMPTS, 30, after_deltas=8)
    finally:
        engine.close()
    assert [r.text for r in results] == [solo_greedy(model, tok, p, 30) for p in PROMPTS]
    assert engine.accepted > 0


def test_a_sampled_row_is_never_speculated(tiny_lm):
    engine = Engine(tiny_lm.model, tiny_lm.tokenizer, [], max_batch=1, batch_window_ms=0, speculate=6)

    async def go():
        return await engine.complete(engine.submit(PROMPTS[1], 30, 0.8))

    try:
        result = asyncio.run(go())
    finally:
        engine.close()
    assert result.completion_tokens == 30 and engine.drafted == 0


def test_guesses_never_run_past_the_answer_length(tiny_lm):
    engine = Engine(tiny_lm.model, tiny_lm.tokenizer, [], max_batch=1, batch_window_ms=0, speculate=50)
    results = run_all(engine, PROMPTS, 9)
    assert [r.completion_tokens for r in results] == [9] * 3
    assert [r.text for r in results] == [solo_greedy(tiny_lm.model, tiny_lm.tokenizer, p, 9) for p in PROMPTS]

"""The in-place KV cache layers: the same logits as transformers' own cache, and appends that do not copy."""

import pytest
import torch
from transformers import DynamicCache

import ragtune.serve.kvcache as kv


def decode(model, cache, prompt: torch.Tensor, steps: int) -> list[torch.Tensor]:
    """Greedy decoding with `cache`: the last-position logits of the prefill and of every step."""
    out = model(input_ids=prompt, cache=cache, use_cache=True)
    logits = [out.logits[:, -1]]
    for _ in range(steps):
        out = model(input_ids=logits[-1].argmax(-1, keepdim=True), cache=cache, use_cache=True)
        logits.append(out.logits[:, -1])
    return logits


@pytest.mark.parametrize("lm", ["tiny_model", "sliding_lm"])  # Llama; Gemma 3 with a window of 8 on one layer
def test_growing_layers_give_the_library_cache_logits(lm, request, monkeypatch):
    # the fixture is made outside inference mode: the session's tiny model is trained by later tests
    model = request.getfixturevalue(lm)
    monkeypatch.setattr(kv, "ROOM", 3)  # the room runs out every few steps: rebuffering is exercised many times
    prompt = torch.randint(5, model.config.vocab_size, (2, 13), generator=torch.Generator().manual_seed(0))
    ours, theirs = kv.new_cache(model.config), DynamicCache(config=model.config)
    assert {type(layer) for layer in ours.layers} <= {kv.GrowingLayer, kv.GrowingSlidingLayer}
    with torch.inference_mode():
        pairs = list(zip(decode(model, ours, prompt, 20), decode(model, theirs, prompt, 20), strict=True))
    for a, b in pairs:
        torch.testing.assert_close(a, b, rtol=0, atol=1e-6)
    assert ours.get_seq_length() == theirs.get_seq_length() == 33
    for a, b in zip(ours.layers, theirs.layers, strict=True):
        assert torch.equal(a.keys, b.keys) and torch.equal(a.values, b.values)  # the sliding layer keeps its last W-1 too


@torch.inference_mode()
def test_a_decoding_step_writes_into_the_buffer_instead_of_copying_it(sliding_lm):
    cache = kv.new_cache(sliding_lm.config)
    decode(sliding_lm, cache, torch.arange(5, 25)[None], 0)
    storages = [layer.keys.untyped_storage().data_ptr() for layer in cache.layers]
    decode(sliding_lm, cache, torch.tensor([[7]]), kv.ROOM - 2)  # stays within the room
    assert [layer.keys.untyped_storage().data_ptr() for layer in cache.layers] == storages
    decode(sliding_lm, cache, torch.tensor([[7]]), 2)  # the room is used up: one copy into a new buffer
    assert all(layer.keys.untyped_storage().data_ptr() != s for layer, s in zip(cache.layers, storages, strict=True))


@torch.inference_mode()
def test_tensors_replaced_from_outside_are_rebuffered(tiny_model):
    cache = kv.new_cache(tiny_model.config)
    decode(tiny_model, cache, torch.arange(5, 15)[None], 2)
    cache.batch_repeat_interleave(3)  # what the engine does to the cached prompt prefix
    logits = decode(tiny_model, cache, torch.tensor([[7], [8], [9]]), 3)
    reference = DynamicCache(config=tiny_model.config)
    decode(tiny_model, reference, torch.arange(5, 15)[None], 2)
    reference.batch_repeat_interleave(3)
    for a, b in zip(logits, decode(tiny_model, reference, torch.tensor([[7], [8], [9]]), 3), strict=True):
        torch.testing.assert_close(a, b, rtol=0, atol=1e-6)


@torch.inference_mode()
def test_merged_rows_go_straight_into_a_buffer_with_room(sliding_lm):
    a, b = kv.new_cache(sliding_lm.config), kv.new_cache(sliding_lm.config)
    decode(sliding_lm, a, torch.arange(5, 17)[None], 0)
    decode(sliding_lm, b, torch.arange(5, 10)[None], 0)
    mask = kv.merge_caches([(a, torch.ones(1, 12, dtype=torch.long)), (b, torch.ones(1, 5, dtype=torch.long))])
    assert mask.tolist() == [[1] * 12, [0] * 7 + [1] * 5]
    assert all(torch.equal(layer.keys[1, :, : layer.keys.shape[2] - 5], torch.zeros_like(layer.keys[1, :, :-5])) for layer in a.layers)
    storages = [layer.keys.untyped_storage().data_ptr() for layer in a.layers]
    sliding_lm(input_ids=torch.tensor([[7], [8]]), attention_mask=torch.cat([mask, torch.ones(2, 1, dtype=torch.long)], 1),
               cache=a, use_cache=True)  # fmt: skip
    assert [layer.keys.untyped_storage().data_ptr() for layer in a.layers] == storages  # no rebuffer after a merge


@pytest.mark.parametrize("leaving", [[0], [1], [0, 2]])
@torch.inference_mode()
def test_rows_leave_in_place_with_the_same_result_as_a_gather(sliding_lm, leaving):
    parts = []
    for length in (14, 5, 9):  # row 0 is the longest: when it leaves, its columns are cut
        cache = kv.new_cache(sliding_lm.config)
        decode(sliding_lm, cache, torch.arange(5, 5 + length)[None], 0)
        parts.append((cache, torch.ones(1, length, dtype=torch.long)))
    cache, mask = parts[0][0], kv.merge_caches(parts)
    for token in (7, 8):  # decode a little in the batch first
        mask = torch.cat([mask, torch.ones(3, 1, dtype=torch.long)], 1)
        sliding_lm(input_ids=torch.full((3, 1), token), attention_mask=mask, position_ids=mask.sum(1, keepdim=True) - 1,
                   cache=cache, use_cache=True)  # fmt: skip
    reference = DynamicCache(config=sliding_lm.config)
    for ref, ours in zip(reference.layers, cache.layers, strict=True):
        ref.lazy_initialization(ours.keys, ours.values)
        ref.keys, ref.values = ours.keys.clone(), ours.values.clone()
        if ref.is_sliding:
            ref.cumulative_length = ours.cumulative_length
    keep = [row for row in range(3) if row not in leaving]
    storages = [layer.keys.untyped_storage().data_ptr() for layer in cache.layers]
    kept = kv.keep_rows(cache, mask, keep)
    reference.batch_select_indices(torch.tensor(keep))
    assert torch.equal(kept, kv.trim_cache(reference, mask[keep]))
    assert kept.shape[1] < mask.shape[1] if 0 in leaving else kept.shape[1] == mask.shape[1]
    assert [layer.keys.untyped_storage().data_ptr() for layer in cache.layers] == storages  # nothing allocated
    for ours, ref in zip(cache.layers, reference.layers, strict=True):
        assert torch.equal(ours.keys, ref.keys) and torch.equal(ours.values, ref.values)
    step = torch.cat([kept, torch.ones(len(keep), 1, dtype=torch.long)], 1)
    args = {"input_ids": torch.full((len(keep), 1), 9), "attention_mask": step, "position_ids": step.sum(1, keepdim=True) - 1}
    torch.testing.assert_close(sliding_lm(**args, cache=cache, use_cache=True).logits,
                               sliding_lm(**args, cache=reference, use_cache=True).logits, rtol=0, atol=1e-6)  # fmt: skip

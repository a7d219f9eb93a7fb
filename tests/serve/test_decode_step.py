"""The decoding step's own forward for Gemma 3 (serve/decode_step.py) against transformers' forward: bit for bit
on torch's operations, within rounding on ragtune's C kernels (serve/kernels.py), and the same greedy text
through the engine, alone, batched and speculating."""

import copy

import pytest
import torch
from test_engine import PROMPTS, run_all, solo_greedy, staggered

from ragtune.serve import kernels
from ragtune.serve.decode_step import GemmaStep, decoding_forward
from ragtune.serve.engine import Engine
from ragtune.serve.kvcache import new_cache
from ragtune.serve.quant import quantise_embeddings, quantise_for_decoding
from ragtune.serve.vocab import VocabHead


def int8_bf16(model):
    """The model as served on CPU: bf16 with int8 rows for every linear layer, the embedding table and the head."""
    model = model.to(torch.bfloat16)
    quantise_for_decoding(model), quantise_embeddings(model)
    return model


@torch.inference_mode()
def step_outputs(model, forward, steps=(1, 1, 4, 1, 3)) -> list[torch.Tensor]:
    """Hidden states of `forward` for decoding steps of these widths after a left-padded prefill of two prompts
    (12 and 9 tokens, longer than the sliding window of 8), fed the same tokens each time."""
    lengths = [12, 9]
    ids = torch.zeros((2, 12), dtype=torch.long)
    mask = torch.zeros((2, 12), dtype=torch.long)
    for row, n in enumerate(lengths):
        ids[row, 12 - n :] = torch.arange(5, 5 + n)
        mask[row, 12 - n :] = 1
    cache = new_cache(model.config)
    model(input_ids=ids, attention_mask=mask, position_ids=(mask.cumsum(1) - 1).clamp(min=0), cache=cache, use_cache=True)
    outputs = []
    for i, n in enumerate(steps):
        width, offsets = mask.shape[1], torch.arange(n)
        step_mask = torch.cat([mask, mask.new_ones((2, n))], dim=1)
        inputs = {"input_ids": torch.full((2, n), 7 + i), "attention_mask": step_mask,
                  "position_ids": mask.sum(dim=1, keepdim=True) + offsets, "cache": cache, "cache_position": width + offsets}  # fmt: skip
        outputs.append(forward(**inputs).clone())
        mask = step_mask
    return outputs


def library(model):
    decoder = model.get_decoder()
    return lambda **inputs: decoder(**inputs, use_cache=True).last_hidden_state


def test_gemma_text_models_get_the_lean_step_others_the_library_forward(sliding_lm, tiny_model):
    from peft import LoraConfig, get_peft_model

    assert isinstance(decoding_forward(sliding_lm), GemmaStep)
    assert decoding_forward(sliding_lm) is decoding_forward(sliding_lm)  # one per model: its matrices joined once
    assert not isinstance(decoding_forward(tiny_model), GemmaStep)  # Llama
    lora = get_peft_model(copy.deepcopy(sliding_lm), LoraConfig(r=2, target_modules=["q_proj"]))
    assert GemmaStep.build(lora) is None  # a LoRA layer left unmerged: the library's forward applies it


@pytest.mark.parametrize("served", [False, True], ids=["fp32", "int8-bf16"])
def test_joined_projections_are_views_of_one_matrix(sliding_lm, served):
    model = int8_bf16(sliding_lm) if served else sliding_lm
    attn = model.get_decoder().layers[0].self_attn
    x = torch.randn(3, 32, dtype=model.dtype)
    with torch.inference_mode():
        before = [p(x) for p in (attn.q_proj, attn.k_proj, attn.v_proj)]
        step = GemmaStep.build(model)
        joined = step.layers[0]["qkv"]
        assert all(torch.equal(p(x), b) for p, b in zip((attn.q_proj, attn.k_proj, attn.v_proj), before, strict=True))
        assert torch.equal(joined(x), torch.cat(before, dim=-1))
    storage = (lambda m: m.qweight) if served else (lambda m: m.weight)
    assert storage(attn.k_proj).untyped_storage().data_ptr() == storage(joined).untyped_storage().data_ptr()  # held once


@pytest.mark.parametrize("served", [False, True], ids=["fp32", "int8-bf16"])
def test_the_lean_step_computes_the_library_forward_bit_for_bit(sliding_lm, served):
    model = int8_bf16(sliding_lm) if served else sliding_lm
    expected = step_outputs(model, library(model))
    got = step_outputs(model, GemmaStep.build(model))
    assert all(torch.equal(g, e) for g, e in zip(got, expected, strict=True))


@pytest.mark.parametrize("served", [False, True], ids=["fp32", "int8-bf16"])
def test_on_the_c_kernels_the_step_differs_only_by_rounding(sliding_lm, served, monkeypatch):
    model = int8_bf16(sliding_lm) if served else sliding_lm
    expected = step_outputs(model, library(model))
    assert kernels.enable("auto")
    calls = {"residual_rms": 0, "gemv_int8": 0}

    def counted(name):  # the kernel itself, its calls counted
        kernel = getattr(kernels, name)

        def call(*args):
            calls[name] += 1
            return kernel(*args)

        return call

    for name in calls:
        monkeypatch.setattr(kernels, name, counted(name))
    got = step_outputs(model, GemmaStep.build(model))
    layers = len(model.get_decoder().layers)
    assert calls["residual_rms"] == 2 * layers * 5 and calls["gemv_int8"] == (4 * layers * 5 if served else 0)
    eps = torch.finfo(model.dtype).eps
    for g, e in zip(got, expected, strict=True):
        # a few steps of the dtype's precision at the hidden states' scale, and the same next token
        assert (g.float() - e.float()).abs().max() <= 16 * eps * e.float().abs().max()
        with torch.inference_mode():
            assert torch.equal(model.lm_head(g).argmax(-1), model.lm_head(e).argmax(-1))


@pytest.mark.parametrize("c_kernels", [False, True], ids=["torch", "c-kernels"])
def test_the_engine_decodes_the_library_greedy_text_on_the_lean_step(sliding_lm, tiny_tokenizer, c_kernels):
    """Through the output-vocabulary head (which routes decoding steps to `decoding_forward`): alone with
    guesses accepted and rejected, and batched as rows join; fp32, so near-ties of the random model do not flip."""
    kernels.enable("auto" if c_kernels else "torch")
    tok = tiny_tokenizer
    head = VocabHead(sliding_lm, list(range(len(tok))))
    alone = Engine(sliding_lm, tok, [], max_batch=1, batch_window_ms=0, vocab=head, speculate=6)
    assert isinstance(alone._decoder, GemmaStep)
    expected = [solo_greedy(sliding_lm, tok, p, 30) for p in PROMPTS]
    assert [r.text for r in run_all(alone, PROMPTS, 30)] == expected
    assert 0 < alone.accepted < alone.drafted
    batched = Engine(sliding_lm, tok, [], max_batch=8, batch_window_ms=0, vocab=head, speculate=6)
    try:
        assert [r.text for r in staggered(batched, PROMPTS, 30, after_deltas=8)] == expected
    finally:
        batched.close()


def test_with_the_full_head_the_engine_decodes_gemma_on_the_lean_step_too(sliding_lm, tiny_tokenizer, tiny_model):
    """No output vocabulary: the lean step then the model's own head (soft-capped as the model caps it); other
    architectures keep the model's whole forward."""
    sliding_lm.config.final_logit_softcapping = 3.0  # small enough to change the logits the head computes
    step = GemmaStep.build(sliding_lm)
    hidden = step_outputs(sliding_lm, step, steps=(2,))[0]
    with torch.inference_mode():
        raw = sliding_lm.lm_head(hidden)
        assert torch.equal(step.logits(hidden), torch.tanh(raw / 3.0) * 3.0) and not torch.equal(step.logits(hidden), raw)
    engine = Engine(sliding_lm, tiny_tokenizer, [], max_batch=1, batch_window_ms=0, speculate=6)
    assert isinstance(engine._decoder, GemmaStep)
    assert [r.text for r in run_all(engine, PROMPTS, 30)] == [solo_greedy(sliding_lm, tiny_tokenizer, p, 30) for p in PROMPTS]
    llama = Engine(tiny_model, tiny_tokenizer, [], max_batch=1)
    try:
        assert llama._decoder is None
    finally:
        llama.close()

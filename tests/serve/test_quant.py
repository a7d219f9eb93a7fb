"""int8 decode weights (serve/quant.py) against the dtype path on tiny models: every input width computes with the
same rounded weights, logits stay within a bounded error of the unrounded model, and the served engine answers
the same whatever batch a request decodes in."""

import copy

import pytest
import torch
from test_engine import PROMPTS, run_all

from ragtune.serve.engine import Engine
from ragtune.serve.quant import (
    DECODE_ROWS,
    Int8Linear,
    dequantised,
    int8_available,
    quantise_for_decoding,
    quantise_rows,
)
from ragtune.serve.vocab import VocabHead


@pytest.mark.parametrize("dtype", [torch.float32, torch.bfloat16])
def test_decoding_and_wide_inputs_multiply_by_the_same_rounded_weights(dtype):
    torch.manual_seed(0)
    linear = torch.nn.Linear(64, 48, bias=True).to(dtype)
    original = linear.weight.detach().clone()
    quantised = Int8Linear(linear)
    x = torch.randn(DECODE_ROWS + 3, 64, dtype=dtype)
    with torch.inference_mode():
        few = torch.cat([quantised(x[i : i + 1]) for i in range(len(x))])  # one row each: the int8 kernel
        wide = quantised(x)  # more rows than DECODE_ROWS: the dtype's GEMM over the rounded weight
    tolerance = 1e-4 if dtype == torch.float32 else 3e-2
    assert torch.allclose(few.float(), wide.float(), atol=tolerance * wide.float().abs().max().item())
    # the rounding itself: at most half a step of each row's scale
    q, scale = quantise_rows(original)
    assert (q.float() * scale.float()[:, None] - original.float()).abs().max() <= scale.float().max() * 0.51
    assert torch.equal(dequantised(quantised.qweight, quantised.scale), dequantised(q, scale))
    assert not any(p.numel() == original.numel() for p in quantised.parameters())  # no other copy of the weight


def test_int8_logits_stay_close_to_the_unrounded_model(tiny_lm):
    model = copy.deepcopy(tiny_lm.model)
    ids = tiny_lm.tokenizer(PROMPTS[1], return_tensors="pt", add_special_tokens=False)["input_ids"]
    with torch.inference_mode():
        exact = tiny_lm.model(ids).logits[0, -1]
        assert quantise_for_decoding(model) == 2 * 7  # 2 layers x (q, k, v, o, gate, up, down)
        rounded = model(ids).logits[0, -1]
    spread = exact.max() - exact.min()
    assert (rounded - exact).abs().max() < 0.02 * spread  # bounded: 2% of the logit range
    assert torch.topk(rounded, 5).indices.tolist()[:1] == torch.topk(exact, 5).indices.tolist()[:1]


def test_a_request_answers_the_same_alone_and_in_a_batch_with_int8_weights(tiny_lm):
    model = copy.deepcopy(tiny_lm.model)
    quantise_for_decoding(model)
    tok = tiny_lm.tokenizer
    head = VocabHead(model, list(range(len(tok))), int8=True)
    alone = [run_all(Engine(model, tok, [], max_batch=1, batch_window_ms=0, vocab=head), [p], 16)[0].text for p in PROMPTS]
    together = run_all(Engine(model, tok, [], max_batch=8, batch_window_ms=200, vocab=head), PROMPTS * 3, 16)
    assert [r.text for r in together] == alone * 3  # 9 rows: wider than DECODE_ROWS, so the dtype GEMM decodes them


def test_the_configured_decode_weights_reach_the_served_model(tiny_model_dir, tmp_path):
    from ragtune.serve.generator import load_for_serving

    args = (str(tiny_model_dir), tmp_path / "models", tmp_path / "no-adapter", tmp_path / "no-merged", "cpu", "", "fp32")
    layers = lambda lm: sum(isinstance(m, Int8Linear) for m in lm.model.modules())  # noqa: E731
    assert int8_available("cpu") and not int8_available("cuda")
    assert layers(load_for_serving(*args, "dtype")) == 0
    for setting in ("auto", "int8"):  # auto: int8 on this CPU
        lm = load_for_serving(*args, setting)
        assert lm.int8 and layers(lm) == 2 * 7


def test_a_lora_wrapped_model_keeps_its_adapter_layers_and_decodes_with_int8_base_weights(tiny_lm):
    # served as base + adapter when there is no merged model (finetune --no-merge)
    from peft import LoraConfig, get_peft_model

    model = get_peft_model(copy.deepcopy(tiny_lm.model), LoraConfig(r=4, target_modules=["q_proj", "v_proj"], init_lora_weights=False)).eval()
    ids = tiny_lm.tokenizer(PROMPTS[1], return_tensors="pt", add_special_tokens=False)["input_ids"]
    with torch.inference_mode():
        exact = model(ids).logits[0, -1]
        assert quantise_for_decoding(model) == 2 * 7  # the base layers only: LoRA's A and B stay nn.Linear
        one_row = model(ids[:, :1]).logits  # the int8 kernel, through peft's wrapper
        rounded = model(ids).logits[0, -1]
    assert one_row.shape[1] == 1 and (rounded - exact).abs().max() < 0.02 * (exact.max() - exact.min())

"""int8 decode weights (serve/quant.py) against the dtype path on tiny models: every input width computes with the
same rounded weights, logits stay within a bounded error of the unrounded model, and the served engine answers
the same whatever batch a request decodes in."""

import copy
from pathlib import Path

import pytest
import torch
from test_engine import PROMPTS, run_all

from ragtune.serve.engine import Engine
from ragtune.serve.quant import (
    DECODE_ROWS,
    Int8Embedding,
    Int8Linear,
    dequantised,
    int8_available,
    quantise_embeddings,
    quantise_for_decoding,
    quantise_rows,
)
from ragtune.serve.vocab import VocabHead


@pytest.mark.parametrize("dtype", [torch.float32, torch.bfloat16])
def test_decoding_and_wide_inputs_multiply_by_the_same_rounded_weights(dtype):
    torch.manual_seed(0)
    linear = torch.nn.Linear(64, 48, bias=True).to(dtype)
    original = linear.weight.detach().clone()
    quantised = Int8Linear.rounded(linear)
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
        assert lm.int8 and layers(lm) == 2 * 7 + 1  # and the LM head
        assert isinstance(lm.model.get_input_embeddings(), Int8Embedding)


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


@pytest.mark.parametrize("which", ["tiny_lm", "sliding_lm"])  # Llama with its own head; Gemma's head tied to its scaled table
def test_the_embedding_table_and_the_head_are_held_in_int8_rows_once(which, request):
    fixture = request.getfixturevalue(which)
    model = copy.deepcopy(fixture.model if which == "tiny_lm" else fixture)  # tiny_lm: a LoadedModel
    vocab, ids = model.config.vocab_size, torch.tensor([[3, 17, 42, 5, 9, 1]])
    with torch.inference_mode():
        exact_rows, exact = model.get_input_embeddings()(ids), model(ids).logits[0, -1]
        assert quantise_embeddings(model) == (which == "sliding_lm")
        table, head = model.get_input_embeddings(), model.get_output_embeddings()
        rows, rounded = table(ids), model(ids).logits[0, -1]
    assert isinstance(table, Int8Embedding) and isinstance(head, Int8Linear)
    assert (head.qweight is table.qweight) == (which == "sliding_lm")  # a tied head reads the table's own rows
    step = table.scale.float().max() * (table.embed_scale.float() if table.embed_scale is not None else 1)
    assert (rows - exact_rows).abs().max() <= 0.51 * step + 1e-6  # each looked-up value within half a step
    assert (rounded - exact).abs().max() < 0.02 * (exact.max() - exact.min()) and rounded.argmax() == exact.argmax()
    assert not any(p.shape[0] == vocab for p in model.parameters())  # no other copy of the table


def test_the_restricted_head_decodes_with_the_same_rounded_rows_as_before(sliding_lm):
    plain, rounded = copy.deepcopy(sliding_lm), copy.deepcopy(sliding_lm)
    quantise_embeddings(rounded)
    ids = list(range(0, sliding_lm.config.vocab_size, 3))
    extras = [torch.tensor([1, 4]), torch.tensor([], dtype=torch.long)]
    hidden = torch.randn(2, sliding_lm.config.hidden_size)
    with torch.inference_mode():
        before, before_ids = VocabHead(plain, ids, int8=True).logits(hidden, extras)  # its own int8 copy of the rows
        after, after_ids = VocabHead(rounded, ids).logits(hidden, extras)  # the model's int8 rows
    assert torch.equal(before_ids, after_ids) and torch.equal(before[:, : len(ids)], after[:, : len(ids)])
    assert torch.allclose(before[0, len(ids) :], after[0, len(ids) :], atol=0.02)  # a prompt's extra tokens: rounded rows now


def test_the_int8_served_model_lets_go_of_the_loaded_file(tiny_model_dir, tmp_path):
    import gc
    import shutil

    from ragtune.serve.generator import load_for_serving

    shutil.copytree(tiny_model_dir, tmp_path / "model")
    args = (str(tmp_path / "model"), tmp_path / "models", tmp_path / "no-adapter", tmp_path / "no-merged", "cpu", "", "fp32")
    mapped = lambda: str(tmp_path / "model") in Path("/proc/self/maps").read_text()  # noqa: E731
    lm = load_for_serving(*args, "dtype")
    assert mapped()  # the weights are read from the file's memory map
    del lm
    gc.collect()
    lm = load_for_serving(*args, "int8")
    gc.collect()
    assert not mapped() and lm.int8  # its pages (0.5 GB for the default model) no longer count in the server's memory


def test_the_served_tokenizer_lets_go_of_the_tables_it_was_built_from(tiny_model_dir, tmp_path):
    import json
    import shutil

    from transformers import AutoTokenizer, GemmaTokenizer

    from ragtune.serve.generator import load_for_serving

    shutil.copytree(tiny_model_dir, tmp_path / "model")
    fast = AutoTokenizer.from_pretrained(tmp_path / "model")
    bpe = json.loads(fast.backend_tokenizer.to_str())["model"]
    GemmaTokenizer(vocab=bpe["vocab"], merges=[tuple(m) for m in bpe["merges"]]).save_pretrained(tmp_path / "model")  # builds from tables
    built = AutoTokenizer.from_pretrained(tmp_path / "model")
    assert isinstance(built, GemmaTokenizer) and len(built._merges) == len(bpe["merges"])
    args = (str(tmp_path / "model"), tmp_path / "models", tmp_path / "no-adapter", tmp_path / "no-merged", "cpu", "", "fp32")
    served = load_for_serving(*args, "auto").tokenizer
    assert served._vocab is None and served._merges is None  # Gemma's: 0.15 GB
    text = "Nhân viên được nghỉ 14 ngày [1]."
    assert served(text)["input_ids"] == built(text)["input_ids"] and served.decode(built(text)["input_ids"]) == built.decode(built(text)["input_ids"])

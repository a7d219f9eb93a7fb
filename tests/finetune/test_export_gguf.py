"""`ragtune export --gguf` on the real default model, checked with the real llama.cpp (llama-cpp-python): the
exported file carries the merged weights, and llama.cpp's logits on it are the torch model's."""

import json
from pathlib import Path

import numpy as np
import pytest
import torch
from transformers import AutoModelForCausalLM

from ragtune.artifacts import ADAPTER_RECORD
from ragtune.finetune.export import export_gguf
from ragtune.models import ModelNotFound, load_generator, packaged_gguf
from ragtune.prompt import build_messages, render_prompt

MODELS_DIR = Path(__file__).resolve().parents[2] / "artifacts" / "models"
PROMPT_QUESTION = "Nhân viên chính thức được nghỉ phép năm bao nhiêu ngày?"


@pytest.fixture(scope="module")
def merged(tmp_path_factory):
    """The default model with a low-rank change in two projections of every layer, saved as a merge would be."""
    model, tok = load_generator("gemma3-270m", MODELS_DIR, "cpu", dtype=torch.float32)
    generator = torch.Generator().manual_seed(0)
    with torch.no_grad():
        for layer in model.model.layers:
            for linear in (layer.self_attn.q_proj, layer.mlp.down_proj):
                out_dim, in_dim = linear.weight.shape
                a, b = torch.randn(4, in_dim, generator=generator), torch.randn(out_dim, 4, generator=generator)
                linear.weight += 0.05 * linear.weight.std() * (b @ a) / 4  # about a trained LoRA's size
    folder = tmp_path_factory.mktemp("merged")
    model.to(torch.bfloat16).save_pretrained(folder)  # as `ragtune finetune` saves it on a CPU with native bf16
    tok.save_pretrained(folder)
    (folder / ADAPTER_RECORD).write_text(json.dumps({"base_model": "gemma3-270m", "merged": True}))
    return folder, AutoModelForCausalLM.from_pretrained(folder, dtype=torch.float32).eval(), tok


def last_logits_llama_cpp(path: Path, prompt: str) -> np.ndarray:
    from llama_cpp import Llama

    llm = Llama(model_path=str(path), n_ctx=256, n_threads=2, logits_all=True, verbose=False)  # scores of every position
    tokens = llm.tokenize(prompt.encode(), add_bos=False, special=True)  # the template writes <bos>
    assert len(tokens) < 256
    llm.eval(tokens)
    return np.array(llm.scores[len(tokens) - 1], dtype=np.float64)


@pytest.mark.integration
def test_the_exported_gguf_is_the_merged_model_in_llama_cpp(merged, tmp_path):
    import gguf

    folder, model, tok = merged
    base = packaged_gguf("gemma3-270m", MODELS_DIR)
    out = export_gguf(folder, base, tmp_path / "export" / "model.gguf")
    written, original = gguf.GGUFReader(out), gguf.GGUFReader(base)
    changed = {f"blk.{i}.{n}.weight" for i in range(len(model.model.layers)) for n in ("attn_q", "ffn_down")}
    before = {t.name: t for t in original.tensors}
    assert [t.name for t in written.tensors] == list(before)
    for t in written.tensors:
        if t.name in changed:  # the merged weights, in Q8_0
            assert t.tensor_type == gguf.GGMLQuantizationType.Q8_0 and not np.array_equal(t.data, before[t.name].data)
        else:  # the rest byte for byte
            assert t.tensor_type == before[t.name].tensor_type and np.array_equal(t.data, before[t.name].data), t.name
    assert written.fields["tokenizer.ggml.tokens"].contents() == original.fields["tokenizer.ggml.tokens"].contents()
    assert not list(out.parent.glob(".*partial"))

    prompt = render_prompt(tok, build_messages(PROMPT_QUESTION))
    with torch.inference_mode():
        ids = tok(prompt, return_tensors="pt", add_special_tokens=False)
        torch_logits = model(**ids).logits[0, -1].double().numpy()
    exported, before = last_logits_llama_cpp(out, prompt), last_logits_llama_cpp(base, prompt)
    top = np.argsort(-torch_logits)[:5]
    assert np.corrcoef(exported, torch_logits)[0, 1] > 0.995  # llama.cpp computes what torch computes
    assert exported.argmax() == top[0] and set(np.argsort(-exported)[:5]) == set(top)  # near-ties may swap below the top
    error, base_error = np.abs(exported - torch_logits)[top].mean(), np.abs(before - torch_logits)[top].mean()
    assert error < base_error / 2, (error, base_error)  # the merged weights are in the file, not the base's


def test_an_unchanged_model_is_not_exported(tmp_path):
    from ragtune.models import materialise

    folder = materialise("gemma3-270m", MODELS_DIR)
    (tmp_path / "merged").mkdir()
    for f in folder.iterdir():
        (tmp_path / "merged" / f.name).symlink_to(f)
    (tmp_path / "merged" / ADAPTER_RECORD).write_text("{}")
    with pytest.raises(ModelNotFound, match="same weights"):
        export_gguf(tmp_path / "merged", packaged_gguf("gemma3-270m", MODELS_DIR), tmp_path / "out.gguf")
    assert not (tmp_path / "out.gguf").exists()

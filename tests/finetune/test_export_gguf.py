"""`ragtune export --gguf` on the real default model, checked with the real llama.cpp (llama-cpp-python): the
exported file carries the merged weights, and llama.cpp's logits on it are the torch model's."""

from pathlib import Path

import numpy as np
import pytest
import torch

from ragtune.artifacts import ADAPTER_RECORD
from ragtune.finetune.export import export_gguf
from ragtune.models import ModelNotFound, packaged_gguf
from ragtune.prompt import build_messages, render_prompt

MODELS_DIR = Path(__file__).resolve().parents[2] / "artifacts" / "models"
PROMPT_QUESTION = "Nhân viên chính thức được nghỉ phép năm bao nhiêu ngày?"


def last_logits_llama_cpp(path: Path, prompt: str) -> np.ndarray:
    from llama_cpp import Llama

    llm = Llama(model_path=str(path), n_ctx=256, n_threads=2, logits_all=True, verbose=False)  # scores of every position
    tokens = llm.tokenize(prompt.encode(), add_bos=False, special=True)  # the template writes <bos>
    assert len(tokens) < 256
    llm.eval(tokens)
    return np.array(llm.scores[len(tokens) - 1], dtype=np.float64)


@pytest.mark.integration
def test_the_exported_gguf_is_the_merged_model_in_llama_cpp(default_merged, default_gguf):
    import gguf

    folder, model, tok = default_merged
    base, out = packaged_gguf("gemma3-270m", MODELS_DIR), default_gguf
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


@pytest.mark.integration
def test_the_f16_export_decodes_what_torch_decodes_and_llama_cpp_quantises_it(default_merged, tmp_path):
    from llama_cpp import Llama

    from ragtune.prompt import stop_token_ids

    folder, model, tok = default_merged
    base = packaged_gguf("gemma3-270m", MODELS_DIR)
    prompt = render_prompt(tok, build_messages(PROMPT_QUESTION))
    ids = tok(prompt, return_tensors="pt", add_special_tokens=False)["input_ids"]
    with torch.inference_mode():
        expected = model.generate(ids, max_new_tokens=24, do_sample=False)[0, ids.shape[1] :].tolist()
    stops = set(stop_token_ids(tok))

    def in_llama_cpp(path):
        """llama.cpp's greedy continuation, and its top-1 agreement with torch's tokens fed to it."""
        llm = Llama(model_path=str(path), n_ctx=512, n_threads=2, logits_all=True, verbose=False)
        prompt_ids = llm.tokenize(prompt.encode(), add_bos=False, special=True)
        llm.eval(prompt_ids + expected)
        agreement = np.mean([llm.scores[len(prompt_ids) - 1 + i].argmax() == t for i, t in enumerate(expected)])
        llm.reset()
        llm.eval(prompt_ids)
        greedy = []
        while len(greedy) < len(expected) and (not greedy or greedy[-1] not in stops):
            greedy.append(int(llm.scores[llm.n_tokens - 1].argmax()))
            llm.eval(greedy[-1:])
        return greedy, agreement

    f16 = export_gguf(folder, base, tmp_path / "f16.gguf", "f16")
    assert in_llama_cpp(f16) == (expected, 1.0)  # the f16 file is the torch model
    for kind, least in (("q8_0", 0.9), ("q4_k_m", 0.6)):  # llama.cpp's own quantizer, from that f16 file
        path = export_gguf(folder, base, tmp_path / f"{kind}.gguf", kind)
        assert path.stat().st_size < 0.6 * f16.stat().st_size and in_llama_cpp(path)[1] >= least, kind
    assert sorted(p.name for p in tmp_path.iterdir()) == ["f16.gguf", "q4_k_m.gguf", "q8_0.gguf"]  # no f16 left behind


def test_ragtune_export_gguf_writes_an_ollama_modelfile_beside_the_file(default_merged, tmp_path, capsys):
    from ragtune.cli import main
    from ragtune.config import DEFAULT_SYSTEM_PROMPT
    from ragtune.finetune.export import OLLAMA_TEMPLATES

    args = ["export", "--gguf", "--out", str(tmp_path), "--config", str(tmp_path / "none.yaml"),
            f"finetune.merged_dir={default_merged[0]}", f"model.models_dir={MODELS_DIR}"]  # fmt: skip
    assert main(args) == 0
    modelfile = tmp_path / "gemma3-270m-ragtune.Modelfile"
    assert f"ollama create ragtune -f {modelfile}" in capsys.readouterr().out
    text = modelfile.read_text(encoding="utf-8")
    assert text.startswith("FROM ./gemma3-270m-ragtune.gguf\n") and (tmp_path / "gemma3-270m-ragtune.gguf").exists()
    assert OLLAMA_TEMPLATES["gemma"] in text and 'PARAMETER stop "<end_of_turn>"' in text
    assert f'SYSTEM """{DEFAULT_SYSTEM_PROMPT}"""' in text

"""`ragtune export`: the adapter-merged Hugging Face model folder, copied where a deployment takes it from."""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import torch

from ragtune.artifacts import ADAPTER_RECORD, atomic_file, replace_dir, staging_dir
from ragtune.models import ModelNotFound


def export_merged(merged_dir: Path, out: Path) -> Path:
    """Copy `merged_dir` to `out` atomically: `out` is the old folder or the whole new one, never half of it."""
    if not (merged_dir / ADAPTER_RECORD).exists():
        raise ModelNotFound(
            f"no merged model at {merged_dir}; run `ragtune finetune` first (it merges unless given --no-merge "
            "or finetune.qlora=true), or set finetune.merged_dir"
        )
    staging = staging_dir(out)
    try:
        shutil.copytree(merged_dir, staging, dirs_exist_ok=True)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    replace_dir(staging, out)
    return out


VLLM_MAX_LORA_RANK = 16  # vLLM's --max-lora-rank default


def vllm_problems(adapter_config: dict) -> list[str]:
    """What stops vLLM (`--enable-lora`) loading a saved PEFT adapter, per vLLM's own checks on
    adapter_config.json (vllm/lora/peft_helper.py): DoRA, modules_to_save, a bias, and a rank above
    --max-lora-rank (a flag away, so reported with it). Empty: it loads as it is."""
    problems = []
    if adapter_config.get("use_dora"):
        problems.append("DoRA (finetune.use_dora=true): vLLM does not load DoRA adapters; serve the merged folder instead")
    if adapter_config.get("modules_to_save"):
        problems.append(f"modules_to_save={adapter_config['modules_to_save']}: vLLM only loads adapters without them")
    if adapter_config.get("bias", "none") != "none":
        problems.append(f"bias={adapter_config['bias']!r}: vLLM needs --enable-lora-bias")
    rank = max([adapter_config.get("r", 0), *(adapter_config.get("rank_pattern") or {}).values()])
    if rank > VLLM_MAX_LORA_RANK:
        problems.append(f"rank {rank} > {VLLM_MAX_LORA_RANK}: start vLLM with --max-lora-rank {rank}")
    return problems


# Ollama renders prompts with Go templates of its own, not the GGUF's Jinja template, so each packaged model's
# chat format is written again here, exactly as ragtune trains and serves it (ragtune/models.py): Gemma puts
# the system prompt at the start of the first user turn; ChatML (SmolLM2) gives it a turn of its own.
# tests/finetune/test_modelfile.py renders these with Go's text/template against the Jinja template.
OLLAMA_TEMPLATES = {
    "gemma": (
        '{{ $system := "" }}{{ range .Messages }}{{ if eq .Role "system" }}{{ $system = .Content }}{{ end }}{{ end }}'
        '{{ $first := true }}{{ range $i, $m := .Messages }}{{ if ne $m.Role "system" }}'
        '{{ $last := eq (len (slice $.Messages $i)) 1 }}'
        '{{ if eq $m.Role "user" }}<start_of_turn>user\n{{ if and $first $system }}{{ $system }}\n\n{{ end }}'
        '{{ $m.Content }}<end_of_turn>\n{{ if $last }}<start_of_turn>model\n{{ end }}'
        '{{ else }}<start_of_turn>model\n{{ $m.Content }}{{ if not $last }}<end_of_turn>\n{{ end }}{{ end }}'
        '{{ $first = false }}{{ end }}{{ end }}'
    ),
    "chatml": (
        '{{ range $i, $m := .Messages }}{{ $last := eq (len (slice $.Messages $i)) 1 }}'
        '<|im_start|>{{ $m.Role }}\n{{ $m.Content }}{{ if or (ne $m.Role "assistant") (not $last) }}<|im_end|>\n{{ end }}'
        '{{ if and $last (ne $m.Role "assistant") }}<|im_start|>assistant\n{{ end }}{{ end }}'
    ),
}
OLLAMA_STOPS = {"gemma": ["<end_of_turn>"], "chatml": ["<|im_end|>"]}


def ollama_modelfile(gguf_name: str, chat_format: str, system_prompt: str) -> str:
    """An Ollama Modelfile for the exported GGUF beside it: the chat format ragtune trained, its stop token, the
    system prompt, and the sampling ragtune serves with (greedy, no repeat penalty: Ollama's default of 1.1
    pushes an answer off the numbers it copies from its passages)."""
    quoted = system_prompt.replace('"""', '\\"\\"\\"')
    lines = [
        f"FROM ./{gguf_name}",
        f'TEMPLATE """{OLLAMA_TEMPLATES[chat_format]}"""',
        f'SYSTEM """{quoted}"""',
        *(f'PARAMETER stop "{stop}"' for stop in OLLAMA_STOPS[chat_format]),
        "PARAMETER temperature 0",
        "PARAMETER repeat_penalty 1.0",
        "PARAMETER num_ctx 4096",
    ]
    return "\n".join(lines) + "\n"


GGUF_TYPES = ("mixed", "f16", "q8_0", "q4_k_m")  # `ragtune export --gguf-type`


def export_gguf(merged_dir: Path, base_gguf: Path, out: Path, kind: str = "mixed") -> Path:
    """The merged model as one GGUF file for llama.cpp / Ollama, written from the base model's GGUF.

    The base GGUF (the packaged Q4_K_M file the base model came from) gives the metadata (chat template, stop
    tokens, tokenizer) and the tensor layout. `kind`:
    - mixed: every base tensor copied as it is, except those the merge changed, written in Q8_0 (8.5 bits a
      weight) from the merged weights: the smallest file that holds the adapter's change;
    - f16: every matrix in f16 (the merged ones from the merged weights, the others dequantised from the base),
      vectors (norms) in f32: what llama.cpp's quantizer takes;
    - q8_0, q4_k_m: that f16 file through llama.cpp's own quantizer (llama-cpp-python's binding).
    A half-written file never takes `out`'s name.
    """
    import gguf
    from safetensors.torch import load_file

    if kind not in GGUF_TYPES:
        raise ValueError(f"GGUF type {kind!r}: choose one of {', '.join(GGUF_TYPES)}")
    if not (merged_dir / ADAPTER_RECORD).exists():
        raise ModelNotFound(f"no merged model at {merged_dir}; run `ragtune finetune` first (it merges unless given --no-merge)")
    if kind in ("q8_0", "q4_k_m"):
        f16 = export_gguf(merged_dir, base_gguf, out.with_name(f".{out.name}.f16"), "f16")
        try:
            return _quantize(f16, out, kind)
        finally:
            f16.unlink(missing_ok=True)
    reader = gguf.GGUFReader(base_gguf)
    arch = str(reader.fields["general.architecture"].contents())
    blocks = int(reader.fields[f"{arch}.block_count"].contents())
    arch_id = next(k for k, v in gguf.MODEL_ARCH_NAMES.items() if v == arch)
    names = gguf.get_tensor_name_map(arch_id, blocks)
    merged: dict = {}
    for shard in sorted(merged_dir.glob("*.safetensors")):
        merged.update(load_file(shard))
    by_gguf = {}
    for key in merged:
        name = names.get_name(key, try_suffixes=(".weight", ".bias"))
        if name is not None:
            by_gguf[name] = key
    with atomic_file(out) as partial:
        writer = gguf.GGUFWriter(partial, arch)
        for field in reader.fields.values():
            if field.name.startswith("GGUF.") or field.name == "general.architecture":
                continue  # the file's own header entries; the writer adds them
            if field.name == "general.file_type" and kind == "f16":
                writer.add_file_type(gguf.LlamaFileType.MOSTLY_F16)
                continue
            sub_type = field.types[-1] if field.types[0] == gguf.GGUFValueType.ARRAY else None
            writer.add_key_value(field.name, field.contents(), field.types[0], sub_type)
        changed = 0
        for tensor in reader.tensors:
            key = by_gguf.get(tensor.name)
            differs = key is not None and _differs(tensor, merged[key], gguf)
            changed += differs
            if kind == "f16":
                values = merged[key].float().numpy() if differs else _dequantised(tensor, gguf)
                data = values.astype(np.float16 if values.ndim == 2 else np.float32)
                writer.add_tensor(tensor.name, data)
            elif differs:
                q8 = gguf.quants.quantize(merged[key].float().numpy(), gguf.GGMLQuantizationType.Q8_0)
                writer.add_tensor(tensor.name, q8, raw_shape=q8.shape, raw_dtype=gguf.GGMLQuantizationType.Q8_0)
            else:
                writer.add_tensor(tensor.name, tensor.data, raw_shape=tensor.data.shape, raw_dtype=tensor.tensor_type)
        if not changed:
            raise ModelNotFound(f"{merged_dir} holds the same weights as {base_gguf.name}: nothing was merged into it")
        writer.write_header_to_file()
        writer.write_kv_data_to_file()
        writer.write_tensors_to_file()
        writer.close()
    return out


def _dequantised(tensor, gguf) -> np.ndarray:
    """A base tensor's values in its logical shape (GGUF lists dimensions innermost first)."""
    return gguf.quants.dequantize(tensor.data, tensor.tensor_type).reshape(tuple(int(d) for d in reversed(tensor.shape)))


def _quantize(f16: Path, out: Path, kind: str) -> Path:
    """`f16` quantised by llama.cpp itself (llama_model_quantize, its usual mix for the type) into `out`."""
    import llama_cpp

    params = llama_cpp.llama_model_quantize_default_params()
    params.ftype = {"q8_0": llama_cpp.LLAMA_FTYPE_MOSTLY_Q8_0, "q4_k_m": llama_cpp.LLAMA_FTYPE_MOSTLY_Q4_K_M}[kind]
    params.nthread = max(1, torch.get_num_threads())
    with atomic_file(out) as partial:
        if llama_cpp.llama_model_quantize(str(f16).encode(), str(partial).encode(), params) != 0:
            raise RuntimeError(f"llama.cpp could not quantise {f16} to {kind}")
    return out


def _differs(tensor, weight, gguf) -> bool:
    """Whether the merged `weight` is not what the base GGUF's `tensor` holds (beyond its quantisation)."""
    if "norm" in tensor.name:  # Gemma's norms are stored with +1 in GGUF (transformers subtracts it when loading)
        return False  # LoRA never trains norms
    base = torch.from_numpy(gguf.quants.dequantize(tensor.data, tensor.tensor_type).reshape(weight.shape))
    # the merge starts from exactly these dequantised values in fp32, saved in the inference dtype: an untouched
    # tensor is them rounded to that dtype, up to float noise
    scale = max(float(base.abs().max()), 1e-6)
    return bool((base.to(weight.dtype).float() - weight.float()).abs().max() > 1e-6 * scale)

"""Which weights to serve: the merged model, base + adapter, base alone, or only the tokenizer (remote)."""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from pathlib import Path

from ragtune.artifacts import ADAPTER_RECORD
from ragtune.config import ConfigError
from ragtune.hardware import precision_dtype, release_free_memory
from ragtune.models import load_generator, pick_device
from ragtune.prompt import check_prompt_format, stop_token_ids
from ragtune.serve import kernels
from ragtune.serve.attention import packed_decode_attention
from ragtune.serve.quant import int8_available, own_memory, quantise_embeddings, quantise_for_decoding

log = logging.getLogger("serve.generator")


@dataclass
class LoadedModel:
    model: object
    tokenizer: object
    name: str  # what /ask reports as `model`
    adapter: str | None  # adapter folder, when one is applied
    stop_ids: list[int]
    record: dict | None = None  # the adapter record (ragtune_adapter.json): prompt format, answerability, config
    int8: bool = False  # decoding reads int8 rows of the linear weights, embedding table and head (serve/quant.py)


def display_name(ref: str) -> str:
    """What clients see as the model id: a folder's name, never its path on the server."""
    path = Path(ref).expanduser()
    return path.name if path.is_dir() else ref


def load_configured(cfg) -> LoadedModel:
    """`load_for_serving` with the config's model, adapter, device, dtype and decode weights: what serve and eval run."""
    mc = cfg.model
    return load_for_serving(mc.generator, mc.models_dir, cfg.finetune.output_dir, cfg.finetune.merged_dir, mc.device,
                            mc.system_prompt, mc.inference_dtype, mc.decode_weights, mc.decode_kernels)  # fmt: skip


def load_for_serving(
    generator_ref: str, models_dir: Path, adapter_dir: Path, merged_dir: Path, device_pref: str, system_prompt: str,
    dtype_setting: str = "auto", decode_weights: str = "dtype", decode_kernels: str = "torch",
) -> LoadedModel:  # fmt: skip
    """The merged model if present and made from the adapter in `adapter_dir` (when there is one), else base +
    adapter, else the bare base model (logged loudly); decoding with int8 weights where `decode_weights` says,
    and with ragtune's C kernels (serve/kernels.py) on CPU where `decode_kernels` says."""
    device = pick_device(device_pref)
    if decode_weights == "int8" and not int8_available(device):
        raise ConfigError(f"model.decode_weights is int8, but this torch has no int8-weight kernel for {device}; set it to auto")
    int8 = decode_weights == "int8" or (decode_weights == "auto" and int8_available(device))
    lm = _load(generator_ref, models_dir, adapter_dir, merged_dir, device_pref, system_prompt, dtype_setting,
               prepare=_int8_weights if int8 else None)  # fmt: skip
    lm.int8 = int8
    lean_tokenizer(lm.tokenizer)
    kernels.enable(decode_kernels if device == "cpu" else "torch")  # once the model loaded: nothing built for a bad one
    return lm


def lean_tokenizer(tokenizer) -> None:
    """transformers 5 keeps the vocabulary dict and merge list a BPE tokenizer class (GemmaTokenizer, ...) was
    built from (`_vocab`, `_merges`) after building the Rust tokenizer that encodes and decodes: 0.15 GB of
    Python objects for Gemma's 262k tokens and 515k merges. A served tokenizer is never saved, so it lets them go."""
    for name in ("_vocab", "_merges"):
        if isinstance(getattr(tokenizer, name, None), dict | list):
            setattr(tokenizer, name, None)


def _int8_weights(model) -> None:
    """Round the model's weights to int8 for decoding (serve/quant.py) and release the file they were read from."""
    layers, tied = quantise_for_decoding(model), quantise_embeddings(model)
    own_memory(model)
    release_free_memory()  # the rounding's temporaries, before the tokenizer loads
    log.info("decoding with int8 weights: %d linear layers, the embedding table%s", layers,
             " (the LM head tied to it)" if tied else " and the LM head")  # fmt: skip


def _load(generator_ref, models_dir, adapter_dir, merged_dir, device_pref, system_prompt, dtype_setting, prepare=None) -> LoadedModel:
    """`prepare(model)`, if given, runs on the loaded model before the merged model's tokenizer is loaded: the
    default model's weights (their file pages included) and its 262k-token tokenizer (~0.3 GB, ~0.45 GB while
    it loads) are then never in memory together with the weights' full-precision pages (server peak RSS)."""
    from transformers import AutoModelForCausalLM, AutoTokenizer

    device = pick_device(device_pref)
    dtype = precision_dtype(dtype_setting, device)
    if (merged_dir / ADAPTER_RECORD).exists() and not stale_merge(merged_dir, adapter_dir):
        record = json.loads((merged_dir / ADAPTER_RECORD).read_text(encoding="utf-8"))
        model = packed_decode_attention(AutoModelForCausalLM.from_pretrained(merged_dir, dtype=dtype).to(device).eval())
        if prepare:
            prepare(model)
        tokenizer = AutoTokenizer.from_pretrained(merged_dir)
        check_prompt_format(record["prompt_format"], tokenizer, system_prompt)
        log.info("serving the merged model %s (base %s) in %s", merged_dir, record["base_model"], dtype)
        name = f"{display_name(record['base_model'])}+lora(merged)"
        return LoadedModel(model, tokenizer, name, merged_dir.name, stop_token_ids(tokenizer), record)
    model, tokenizer = load_generator(generator_ref, models_dir, device_pref, dtype=dtype)
    packed_decode_attention(model)
    name = display_name(generator_ref)
    if (adapter_dir / ADAPTER_RECORD).exists():
        from peft import PeftModel

        record = json.loads((adapter_dir / ADAPTER_RECORD).read_text(encoding="utf-8"))
        check_prompt_format(record["prompt_format"], tokenizer, system_prompt)
        model = PeftModel.from_pretrained(model, adapter_dir).eval()
        if prepare:
            prepare(model)
        log.info("serving base %s + adapter %s in %s", generator_ref, adapter_dir, dtype)
        return LoadedModel(model, tokenizer, f"{name}+lora", adapter_dir.name, stop_token_ids(tokenizer), record)
    log.warning("NO ADAPTER FOUND at %s or %s: serving the bare base model %s; run `make finetune`", merged_dir, adapter_dir, generator_ref)
    if prepare:
        prepare(model)
    return LoadedModel(model, tokenizer, name, None, stop_token_ids(tokenizer))


def stale_merge(merged_dir: Path, adapter_dir: Path) -> bool:
    """Whether the merged model was made from another adapter than the one in `adapter_dir` (a later `finetune
    --no-merge`, a QLoRA run, a merge that failed or was killed): then the adapter is served, and this says so."""
    if not (adapter_dir / ADAPTER_RECORD).exists():
        return False  # a merged model deployed alone
    merged = json.loads((merged_dir / ADAPTER_RECORD).read_text(encoding="utf-8")).get("adapter_id")
    adapter = json.loads((adapter_dir / ADAPTER_RECORD).read_text(encoding="utf-8")).get("adapter_id")
    if merged == adapter:
        return False
    log.warning("STALE MERGED MODEL: %s was merged from adapter %s, but %s holds adapter %s; serving base + that adapter "
                "(slower). `make finetune` merges again", merged_dir, (merged or "unrecorded")[:12], adapter_dir,
                (adapter or "unrecorded")[:12])  # fmt: skip
    return True


def load_tokenizer_only(generator_ref: str, models_dir: Path, merged_dir: Path, remote_name: str) -> LoadedModel:
    """For a remote generator: the prompt is still rendered here, with the tokenizer the adapter learned."""
    from transformers import AutoTokenizer

    from ragtune.models import resolve_generator

    source = merged_dir if (merged_dir / ADAPTER_RECORD).exists() else resolve_generator(generator_ref, models_dir)
    tokenizer = AutoTokenizer.from_pretrained(source)
    return LoadedModel(None, tokenizer, remote_name or display_name(generator_ref), None, stop_token_ids(tokenizer))

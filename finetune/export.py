"""`ragtune export`: the adapter-merged Hugging Face model folder, copied where a deployment takes it from."""

from __future__ import annotations

import shutil
from pathlib import Path

from ragtune.artifacts import replace_dir, staging_dir
from ragtune.finetune.lora import ADAPTER_RECORD
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

"""`ragtune <stage>`: the one command line (simonw/llm's cli.py); the Makefile, the Dockerfiles and every
`python -m <stage>` call it.

One preamble for every subcommand: parse its options, the `section.key=value` overrides and `--config`,
load the config (config.yaml, then RAGTUNE_* variables, then the overrides), set up logging and run the
stage's own top-to-bottom function. A RagtuneError, whichever stage raises it, ends as one
`error: <message>` line on stderr and exit code 2; anything else is a bug and keeps its traceback.
Stage code is imported only once the config has loaded: a bad config fails in a fraction of a second.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import sys
from pathlib import Path

from ragtune.config import DEFAULT_CONFIG_PATH, ConfigError, load_config, render_config, write_defaults
from ragtune.errors import RagtuneError


def _finetune(cfg, args) -> int:
    from ragtune.finetune.__main__ import run

    return run(cfg, resume=args.resume, preview=args.preview, merge=not args.no_merge)


def _index(cfg, args) -> int:
    from ragtune.rag.index import run

    return run(cfg, full=args.full)


def _query(cfg, args) -> int:
    from ragtune.rag.query import run

    return run(cfg, args.question, mode=args.mode, k=args.k, prefix=args.prefix, as_json=args.json)


def _serve(cfg, args) -> int:
    from ragtune.serve.__main__ import run

    return run(cfg)


def _eval(cfg, args) -> int:
    from ragtune.evaluation.evaluate import run

    return run(cfg)


def _export(cfg, args) -> int:
    from ragtune.artifacts import atomic_file
    from ragtune.finetune.export import export_gguf, export_merged, ollama_modelfile, vllm_problems
    from ragtune.models import PACKAGED, ModelNotFound, packaged_gguf

    merged = cfg.finetune.merged_dir
    if not args.gguf:
        print(f"merged model {merged} exported to {export_merged(merged, args.out)}")
        adapter_config = cfg.finetune.output_dir / "adapter_config.json"
        if adapter_config.exists():  # the GPU path: vLLM serves the adapter over the base (README, "Scaling out")
            problems = vllm_problems(json.loads(adapter_config.read_text(encoding="utf-8")))
            print(f"adapter {cfg.finetune.output_dir}: " + ("; ".join(problems) if problems else "vLLM loads it with --enable-lora"))
        return 0
    if cfg.model.generator not in PACKAGED:
        raise ModelNotFound(f"--gguf writes from the packaged base GGUF; model.generator={cfg.model.generator!r} is not a "
                            f"packaged model ({', '.join(PACKAGED)}): convert its merged folder with llama.cpp's convert_hf_to_gguf.py")
    base = packaged_gguf(cfg.model.generator, cfg.model.models_dir)
    suffix = "" if args.gguf_type == "mixed" else f"-{args.gguf_type}"
    out = export_gguf(merged, base, args.out / f"{cfg.model.generator}-ragtune{suffix}.gguf", args.gguf_type)
    modelfile = out.with_suffix(".Modelfile")
    with atomic_file(modelfile) as partial:
        partial.write_text(ollama_modelfile(out.name, PACKAGED[cfg.model.generator].chat_format, cfg.model.system_prompt), encoding="utf-8")
    print(f"merged model {merged} exported to {out}; for Ollama: ollama create ragtune -f {modelfile}")
    return 0


def _models(cfg, args) -> int:
    from ragtune.models import materialise_configured

    return materialise_configured(cfg.model.generator, cfg.model.models_dir)


def _config(cfg, args) -> int:
    header = f"# ragtune's effective configuration: {args.config}, then RAGTUNE_* variables, then overrides.\n"
    print(render_config(cfg, header=header, hide_secrets=True), end="")
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="ragtune",
        description="Fine-tune + RAG for company chatbots. Every subcommand takes section.key=value config "
        "overrides and --config.",
    )
    subs = parser.add_subparsers(dest="command", required=True, metavar="command")

    def stage(name: str, run, help: str, log_level: int = logging.INFO) -> argparse.ArgumentParser:
        sub = subs.add_parser(name, help=help, description=help)
        sub.set_defaults(run=run, log_level=log_level)
        return sub

    sub = stage("finetune", _finetune, "train a LoRA adapter on the instruction data, then merge it (make finetune)")
    sub.add_argument("--resume", action="store_true", help="continue from the last checkpoint of a killed run")
    sub.add_argument("--preview", type=int, metavar="N", default=0, help="print N rendered rows, trained tokens in «»; no training")
    sub.add_argument("--no-merge", action="store_true", help="save the adapter only")

    sub = stage("index", _index, "load, chunk, embed and publish the document index (make index)")
    sub.add_argument("--full", action="store_true", help="rebuild everything instead of only what changed")

    sub = stage("query", _query, "search the live index", log_level=logging.WARNING)
    sub.add_argument("question")
    sub.add_argument("--mode", choices=["hybrid", "dense", "bm25"], default=None, help="default: index.retrieval_mode")
    sub.add_argument("--k", type=int, default=5, help="hits to show")
    sub.add_argument("--prefix", default="", help="only documents whose id starts with this, e.g. company/")
    sub.add_argument("--json", action="store_true", help="one JSON object a line per hit")

    stage("serve", _serve, "run the API server (make serve)")
    stage("eval", _eval, "the served system on every held-out question, and base vs base+RAG vs fine-tuned vs "
                         "fine-tuned+RAG on a sample (make eval; EVAL=path and EVAL_LIMIT=n set eval.questions and "
                         "eval.limit)")  # fmt: skip

    sub = stage("export", _export, "copy the adapter-merged Hugging Face model folder (finetune.merged_dir)")
    sub.add_argument("--out", type=Path, default=Path("artifacts/export"), help="destination folder (replaced whole)")
    sub.add_argument("--gguf", action="store_true", help="write one GGUF file into --out instead (llama.cpp, Ollama)")
    sub.add_argument("--gguf-type", default="mixed", choices=["mixed", "f16", "q8_0", "q4_k_m"],
                     help="mixed (default): the base file's tensors + the changed ones in Q8_0; f16; or llama.cpp's "
                          "own q8_0 / q4_k_m from that f16")  # fmt: skip

    stage("models", _models, "materialise the configured packaged generator now (make models)")

    sub = stage("config", _config, "print the effective configuration as YAML (secrets as ***)")
    sub.add_argument("--write-defaults", action="store_true",
                     help="rewrite the --config file (config.yaml) from the declarations in ragtune/config.py")  # fmt: skip

    for sub in subs.choices.values():  # after each stage's own positionals: `query "question" k=v ...`
        sub.add_argument("overrides", nargs="*", metavar="section.key=value", help="config overrides, e.g. finetune.epochs=2")
        sub.add_argument("--config", type=Path, default=DEFAULT_CONFIG_PATH, help="config file (missing = defaults)")
    return parser


def eval_shorthands(env) -> list[str]:
    """`make eval EVAL=path EVAL_LIMIT=40`: overrides of eval.questions and eval.limit (before the command line's)."""
    pairs = [f"eval.questions={env['EVAL']}"] if env.get("EVAL") else []
    return pairs + ([f"eval.limit={env['EVAL_LIMIT']}"] if env.get("EVAL_LIMIT") else [])


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    logging.basicConfig(level=args.log_level, format="%(levelname)s %(name)s: %(message)s")
    logging.getLogger("faiss.loader").setLevel(logging.WARNING)  # which CPU build it found: 8 lines of noise
    try:
        if args.command == "config" and args.write_defaults:  # the current file may no longer load: don't read it
            if args.overrides:
                raise ConfigError("--write-defaults writes the declared defaults; change a default in ragtune/config.py, not with overrides")
            print(f"wrote the defaults to {write_defaults(args.config)}")
            return 0
        overrides = [*eval_shorthands(os.environ), *args.overrides] if args.command == "eval" else args.overrides
        cfg = load_config(args.config, overrides)
        return args.run(cfg, args)
    except RagtuneError as e:
        message = "; ".join(line.strip() for line in str(e).splitlines() if line.strip())
        print(f"error: {message}", file=sys.stderr)
        return 2


def run_stage(command: str, argv: list[str] | None = None) -> int:
    """`python -m <stage> ARGS` is `ragtune <command> ARGS`."""
    return main([command, *(sys.argv[1:] if argv is None else argv)])

"""What the routes depend on: the loaded model, the retriever, the generation backend and the answer
pipeline over them (built once in the app's lifespan, reached through `Depends`)."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from functools import cached_property

from fastapi import Request

from ragtune.answerability import COVERAGE_UNIT, refusal_token_ids
from ragtune.config import Config
from ragtune.hardware import release_free_memory
from ragtune.prompt import stop_strings, template_bos
from ragtune.rag.retrieve import Retriever, build_retriever
from ragtune.serve.backend import Backend
from ragtune.serve.engine import Engine, context_tokens
from ragtune.serve.generator import LoadedModel, load_configured, load_tokenizer_only
from ragtune.serve.metrics import Metrics
from ragtune.serve.pipeline import AnswerPipeline
from ragtune.serve.remote import RemoteEngine
from ragtune.serve.vocab import VocabHead, output_vocab

log = logging.getLogger("serve")


@dataclass
class Services:
    config: Config
    lm: LoadedModel
    retriever: Retriever
    engine: Backend | None = None  # created by `start` when not handed in
    metrics: Metrics | None = None  # set by `start`
    pipeline: AnswerPipeline | None = None  # set by `start`
    reload_error: str | None = None  # why the last index reload failed (the previous version still serves); None: fine

    def start(self, metrics: Metrics) -> None:
        """The backend (unless handed in) and the pipeline, reporting to `metrics`."""
        cfg = self.config
        if self.engine is None:
            self.engine = Engine(self.lm.model, self.lm.tokenizer, self.lm.stop_ids, cfg.serve.max_batch, cfg.serve.max_queue,
                                 refusal_ids=refusal_token_ids(self.lm.tokenizer, not_found_phrases(cfg)),
                                 max_prompt_tokens=cfg.serve.max_prompt_tokens, vocab=self.output_vocab(),
                                 speculate=cfg.serve.speculate_tokens)  # fmt: skip
            release_free_memory()  # what loading, quantising and building the output vocabulary freed
        self.engine.on_batch = metrics.observe_batch
        self.engine.on_finish = metrics.observe_finish
        self.engine.on_busy = metrics.observe_busy
        self.metrics = metrics
        self.pipeline = AnswerPipeline(
            self.retriever, self.engine, self.lm.tokenizer, metrics, system_prompt=cfg.model.system_prompt,
            not_found_phrase=cfg.model.not_found_phrase, min_relative_score=cfg.serve.min_relative_score,
            min_score=cfg.serve.min_score, timeout_s=cfg.serve.request_timeout_s,
            not_found_phrase_en=cfg.model.not_found_phrase_en, refusal_threshold=self.threshold("refusal_score"),
            coverage_threshold=self.threshold("coverage"), max_prompt_tokens=cfg.serve.max_prompt_tokens,
            context_tokens=context_tokens(self.lm.model.config) if self.lm.model is not None else None,
            quote_below=cfg.serve.quote_below, quote_lead=cfg.serve.quote_lead, quote_lead_en=cfg.serve.quote_lead_en,
        )  # fmt: skip

    @cached_property
    def bos(self) -> str:
        """The BOS text the chat template writes (`prompt.template_bos`), rendered once."""
        return template_bos(self.lm.tokenizer)

    def output_vocab(self) -> VocabHead | None:
        """The decoding head over the documents' languages (serve/vocab.py), or None for the full head."""
        if self.config.serve.output_vocab == "full" or self.lm.model.get_output_embeddings() is None:
            return None
        mc = self.config.model
        texts = [f"{c.title}\n{c.heading}\n{c.text}" for c in self.retriever.chunks]
        ids = output_vocab(self.lm.tokenizer, [*texts, mc.system_prompt, *not_found_phrases(self.config)])
        log.info("decoding scores %d of %d tokens (serve.output_vocab: documents)", len(ids), len(self.lm.tokenizer))
        return VocabHead(self.lm.model, ids, int8=self.lm.int8)

    def reload_index(self) -> bool:
        """Load the published index version if it is new; True if it switched. Never raises: a version that fails
        to load (whatever the error) leaves the previous one serving, and the failure is logged, counted and kept
        in `reload_error` (shown by /ready) until a reload succeeds."""
        try:
            switched = self.retriever.reload()
        except Exception as e:
            first = self.reload_error is None
            self.reload_error = f"{type(e).__name__}: {e}"[:500]
            self.metrics.index_reload_failures.inc()
            (log.warning if first else log.debug)("index reload failed, still serving %s: %s", self.retriever.version, self.reload_error)
            return False
        self.reload_error = None
        if switched:
            log.info("index reloaded: now %s", self.retriever.version)
        return switched

    def threshold(self, score: str) -> float | None:
        """serve.refusal_threshold / serve.coverage_threshold: a number, 'none', or 'auto' = the value calibrated
        with the adapter (ragtune_adapter.json `answerability`), if it has one."""
        setting = self.config.serve.refusal_threshold if score == "refusal_score" else self.config.serve.coverage_threshold
        if setting == "none":
            return None
        if setting == "auto":
            recorded = (self.lm.record or {}).get("answerability", {}).get(score, {})
            if score == "coverage" and recorded and recorded.get("unit") != COVERAGE_UNIT:
                log.warning("the adapter's coverage threshold was calibrated on another coverage score (%s, now %s): "
                            "coverage gate off until `make finetune` recalibrates it", recorded.get("unit"), COVERAGE_UNIT)
                return None
            calibrated = recorded.get("threshold")
            return None if calibrated is None else float(calibrated)
        return float(setting)


def not_found_phrases(cfg: Config) -> tuple[str, ...]:
    return tuple(p for p in (cfg.model.not_found_phrase, cfg.model.not_found_phrase_en) if p)


def load_services(cfg: Config) -> Services:
    if cfg.serve.generator_url:
        lm = load_tokenizer_only(cfg.model.generator, cfg.model.models_dir, cfg.finetune.merged_dir, cfg.serve.generator_model)
        engine = RemoteEngine(cfg.serve.generator_url, cfg.serve.generator_model or lm.name, stop_strings(lm.tokenizer),
                              cfg.serve.generator_api_key, cfg.serve.max_queue, cfg.serve.request_timeout_s,
                              template_bos(lm.tokenizer), lambda text: len(lm.tokenizer(text, add_special_tokens=False)["input_ids"]))  # fmt: skip
        log.info("generation goes to the remote %s (model %s)", cfg.serve.generator_url, engine.model)
        return Services(cfg, lm, build_retriever(cfg), engine)
    return Services(cfg, load_configured(cfg), build_retriever(cfg))


def get_services(request: Request) -> Services:
    return request.app.state.services

"""Prometheus metrics of one app (its own registry, so several apps can live in one process)."""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest

METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})


class Metrics:
    def __init__(self):
        self.registry = CollectorRegistry()
        r = self.registry
        self.requests = Counter("ragtune_requests_total", "HTTP requests", ["method", "route", "status"], registry=r)
        self.latency = Histogram("ragtune_request_seconds", "HTTP latency", ["route"], registry=r,
                                 buckets=(0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120))  # fmt: skip
        self.retrieval_seconds = Histogram("ragtune_retrieval_seconds", "retrieval latency", registry=r,
                                           buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1))  # fmt: skip
        self.tokens_generated = Counter("ragtune_tokens_generated_total", "completion tokens", registry=r)
        self.queue_depth = Gauge("ragtune_queue_depth", "requests waiting for the generator", registry=r)
        self.batch_size = Histogram("ragtune_batch_size", "requests decoded together", registry=r,
                                    buckets=(1, 2, 4, 8, 16, 32))  # fmt: skip
        self.engine_seconds = Counter("ragtune_engine_seconds_total", "time the generation thread computed, by phase: "
                                      "prefill (prompts), decode (steps), calls (retrieval's query embedding)", ["phase"], registry=r)  # fmt: skip
        self.generations = Counter("ragtune_generations_total", "finished generations", ["finish_reason"], registry=r)
        self.citations_removed = Counter("ragtune_citations_removed_total", "[n] markers pointing nowhere", registry=r)
        self.citations_attributed = Counter("ragtune_citations_attributed_total", "answer sentences that cited nothing or "
                                            "the wrong passage, now citing the one that says them", registry=r)  # fmt: skip
        self.unsupported_claims = Counter("ragtune_unsupported_claims_total",
                                          "answer sentences whose numbers their cited passage does not hold", registry=r)
        self.answers_refused = Counter("ragtune_answers_refused_total", "not-found answers decided by an answerability "
                                       "threshold, by score (coverage | refusal_score)", ["score"], registry=r)  # fmt: skip
        self.answers_quoted = Counter("ragtune_answers_quoted_total", "generated answers that matched the question below "
                                      "serve.quote_below of the best source sentence, replaced by that sentence", registry=r)  # fmt: skip
        self.answers_blocked = Counter("ragtune_answers_blocked_total", "answers that repeated the system prompt", registry=r)
        self.generation_timeouts = Counter("ragtune_generation_timeouts_total",
                                           "generations cancelled at serve.request_timeout_s (504, or a stream's final event)", registry=r)
        self.index_reload_failures = Counter("ragtune_index_reload_failures_total",
                                             "index versions that failed to load (the previous one kept serving)", registry=r)
        self.history_trimmed = Counter("ragtune_history_turns_trimmed_total",
                                       "oldest history turns left out of prompts over serve.max_prompt_tokens", registry=r)

    def observe_request(self, method: str, route: str, status: int, seconds: float) -> None:
        """One series per known method: a client's made-up method names are counted as OTHER."""
        method = method if method in METHODS else "OTHER"
        self.requests.labels(method, route, str(status)).inc()
        self.latency.labels(route).observe(seconds)

    def observe_batch(self, size: int) -> None:
        self.batch_size.observe(size)

    def observe_busy(self, phase: str, seconds: float) -> None:
        self.engine_seconds.labels(phase).inc(seconds)

    def observe_finish(self, reason: str) -> None:
        self.generations.labels(reason).inc()

    def render(self) -> bytes:
        return generate_latest(self.registry)

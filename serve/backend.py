"""What generates text for the answer pipeline: one small interface (text-generation-inference's `Backend`).

The in-process engine (`serve.engine.Engine`), the remote generator (`serve.remote.RemoteEngine`) and the
test fakes implement it; the pipeline and the routes see nothing else of them.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from typing import Any, Protocol, runtime_checkable

from ragtune.errors import RagtuneError
from ragtune.finetune.generation import Completion


class QueueFull(RagtuneError, RuntimeError):
    """More requests are waiting than the server accepts; the client should retry later."""


class PromptTooLong(RagtuneError, ValueError):
    """A prompt that leaves no room for its answer in the model's context (or passes serve.max_prompt_tokens).

    `field` names the part of the request that made it long, for the 422 the client gets."""

    def __init__(self, tokens: int, limit: int, field: str = "prompt"):
        super().__init__(f"the prompt is {tokens} tokens; at most {limit} fit with the requested answer length")
        self.tokens, self.limit, self.field = tokens, limit, field


# A temperature this small samples the top token anyway, and a smaller one divides the logits into overflow
# (`probability tensor contains inf/nan`): below it, decoding is greedy.
MIN_TEMPERATURE = 1e-3


def effective_temperature(temperature: float) -> float:
    return temperature if temperature >= MIN_TEMPERATURE else 0.0


@dataclass(frozen=True)
class BackendStats:
    queue_depth: int  # submitted, not yet generating
    running: int  # generating now


@runtime_checkable
class Generation(Protocol):
    """One submitted request. `result` is set once its stream has ended."""

    result: Completion | None


@runtime_checkable
class Backend(Protocol):
    on_batch: Callable[[int], None] | None  # called with the running rows, once per decoding step
    on_finish: Callable[[str], None] | None  # called with the finish reason, once per request
    on_busy: Callable[[str, float], None] | None  # called with a phase of the generation thread and its seconds

    def submit(self, prompt: str, max_new_tokens: int, temperature: float, refusal_threshold: float | None = None) -> Generation:
        """Queue a prompt; raises QueueFull when the backend takes no more. A backend that measures the refusal
        score (ragtune/answerability.py) ends a generation whose score reaches `refusal_threshold` with finish
        reason 'refused' and nothing decoded, and keeps one below it from starting the not-found phrase."""
        ...

    def stream(self, gen: Generation) -> AsyncIterator[str]:
        """Text deltas of `gen`; when it ends, `gen.result` holds the Completion."""
        ...

    async def complete(self, gen: Generation) -> Completion:
        """The whole Completion of `gen`."""
        ...

    def cancel(self, gen: Generation) -> None:
        """Stop generating `gen` (client gone, timed out, blocked); its stream ends with finish 'cancelled'."""
        ...

    async def call(self, fn: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
        """Run other compute of the server (retrieval) where it does not compete with generation."""
        ...

    def stats(self) -> BackendStats: ...

    def close(self) -> None: ...

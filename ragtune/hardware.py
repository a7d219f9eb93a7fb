"""What the hardware computes natively; the precision choices of inference, embedding and training autocast read it."""

from __future__ import annotations

import ctypes
import threading
from contextlib import contextmanager
from functools import cache

import torch


def native_bf16(device: str) -> bool:
    """Whether bf16 matrix math runs natively here: a bf16-capable GPU, or a CPU with AVX512-BF16 or AMX."""
    if device.startswith("cuda"):
        return torch.cuda.is_available() and torch.cuda.is_bf16_supported()
    probes = ("_is_avx512_bf16_supported", "_is_amx_tile_supported")  # torch.cpu's CPUID probes
    return any(getattr(torch.cpu, probe, lambda: False)() for probe in probes)


DTYPES = {"fp32": torch.float32, "bf16": torch.bfloat16, "fp16": torch.float16}


def precision_dtype(setting: str, device: str) -> torch.dtype:
    """A precision setting (auto|fp32|bf16|fp16) -> dtype for inference on `device`.

    auto: bf16 where it is native (a bf16 GPU, a CPU with AVX512-BF16/AMX), fp16 on older GPUs, else
    fp32. Used for the generator (model.inference_dtype) and the embedder (model.embedder_precision).
    """
    if setting == "auto":
        if native_bf16(device):
            return torch.bfloat16
        return torch.float16 if device.startswith("cuda") else torch.float32
    return DTYPES[setting]


# --- threads ---------------------------------------------------------------------------------------
# torch computes on CPU with OpenMP (libgomp). Once two threads of a process have each run a multi-threaded
# OpenMP team, libgomp manages more threads than there are cores, and every parallel region of either waits
# on futexes instead of spinning: a decoding step of the default model on 2 cores takes ~30 ms on the
# generation thread instead of ~20 (a 1-row matmul 137 vs 79 us). Shrinking the first thread's team later
# does not undo it. So a process that generates on a thread of its own (the server, the eval) keeps its main
# thread single-threaded from the start, and runs its heavy compute on threads that set `compute_threads()`.
_COMPUTE_THREADS: int | None = None


def compute_threads() -> int:
    """How many threads a compute thread uses: torch's own count when first asked (OMP_NUM_THREADS or the cores)."""
    global _COMPUTE_THREADS
    if _COMPUTE_THREADS is None:
        _COMPUTE_THREADS = torch.get_num_threads()
    return _COMPUTE_THREADS


def single_threaded_main() -> None:
    """Make the calling (main) thread compute single-threaded, before its first torch operation (see above)."""
    compute_threads()
    torch.set_num_threads(1)


def on_compute_thread(fn, *args, **kwargs):
    """`fn(*args, **kwargs)` on a new thread computing with `compute_threads()`; its result, or its exception."""
    outcome: dict = {}

    def work() -> None:
        torch.set_num_threads(compute_threads())
        try:
            outcome["result"] = fn(*args, **kwargs)
        except BaseException as e:  # re-raised on the caller's thread
            outcome["error"] = e

    thread = threading.Thread(target=work, name="ragtune-compute")
    thread.start()
    thread.join()
    if "error" in outcome:
        raise outcome["error"]
    return outcome["result"]


@cache
def _glibc():
    """glibc, or None where the C library is another (then the memory helpers below do nothing). Looked up once:
    the engine releases memory after every prefill."""
    try:
        libc = ctypes.CDLL("libc.so.6")
        return libc if hasattr(libc, "mallopt") and hasattr(libc, "malloc_trim") else None
    except OSError:
        return None


def release_free_memory() -> None:
    """Hand freed memory back to the system: glibc keeps freed heap for reuse, so a server that has loaded its models,
    or prefilled a batch of prompts, holds memory it will not reuse soon. A no-op where the C library is not glibc."""
    libc = _glibc()
    if libc is not None:
        libc.malloc_trim(0)


# glibc's mallopt(3) options, and the defaults they are put back to
_M_TRIM_THRESHOLD, _M_TOP_PAD, _M_MMAP_MAX = -1, -2, -4
_GLIBC_DEFAULTS = ((_M_MMAP_MAX, 65536), (_M_TRIM_THRESHOLD, 128 * 1024), (_M_TOP_PAD, 128 * 1024))


@contextmanager
def retained_freed_memory():
    """Within: freed memory stays in the process for the next allocation instead of going back to the system.

    A training step allocates and frees the same large activations every step. glibc serves blocks above
    32 MiB with fresh mmap()s and unmaps them on free, so every step page-faults hundreds of MiB in again (on
    the 2-core machine, about a fifth of a step went to the kernel). With mmap and trimming off, the heap grows to
    the step's peak once and is reused (docs/design.md, "Hardware"). On the way out the defaults come
    back and the kept memory is released. Yields whether it took effect: False where the C library is not glibc.
    """
    libc = _glibc()
    if libc is None:
        yield False
        return
    libc.mallopt(_M_MMAP_MAX, 0)
    libc.mallopt(_M_TRIM_THRESHOLD, 2**31 - 1)
    libc.mallopt(_M_TOP_PAD, 64 << 20)
    try:
        yield True
    finally:
        for option, value in _GLIBC_DEFAULTS:
            libc.mallopt(option, value)
        release_free_memory()

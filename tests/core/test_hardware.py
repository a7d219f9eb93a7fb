"""Threads: the server's main thread computes single-threaded, and compute threads (the engine's worker,
`on_compute_thread`) use every core, so two multi-threaded OpenMP teams never coexist (ragtune/hardware.py)."""

import pytest
import torch

from ragtune.hardware import compute_threads, on_compute_thread, single_threaded_main


@pytest.fixture
def single_threaded():
    single_threaded_main()
    yield
    torch.set_num_threads(compute_threads())


def test_compute_threads_use_every_core_while_the_main_thread_computes_alone(single_threaded):
    assert torch.get_num_threads() == 1
    assert on_compute_thread(torch.get_num_threads) == compute_threads()
    with pytest.raises(ValueError, match="inside"):
        on_compute_thread(lambda: (_ for _ in ()).throw(ValueError("raised inside")))
    assert torch.get_num_threads() == 1


RSS_PROBE = """
from ragtune.hardware import retained_freed_memory

def rss_mb():
    with open("/proc/self/status") as f:
        return next(int(line.split()[1]) for line in f if line.startswith("VmRSS")) // 1024

def churn():  # a 256 MiB block, touched, then freed
    block = bytearray(256 << 20)
    del block
    return rss_mb()

base = rss_mb()
plain = churn() - base
with retained_freed_memory() as took:
    kept = churn() - base
after = rss_mb() - base
print(took, plain, kept, after)
"""


def test_freed_memory_stays_in_the_process_only_within_the_training_block():
    import subprocess
    import sys

    out = subprocess.run([sys.executable, "-c", RSS_PROBE], capture_output=True, text=True, check=True).stdout.split()
    took, plain, kept, after = out[0] == "True", *map(int, out[1:])
    assert took
    assert plain < 64  # by default glibc unmaps a freed 256 MiB block at once
    assert kept > 200  # within, the block stays for the next step's activations
    assert after < 64  # and on the way out the defaults return and the kept memory is trimmed

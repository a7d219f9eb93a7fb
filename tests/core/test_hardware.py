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

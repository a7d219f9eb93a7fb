"""Kill an index build at many points: the previous version stays live and loadable every time."""

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from ragtune.rag import store
from ragtune.rag.index import build_index
from ragtune.rag.retrieve import Retriever

TESTS = Path(__file__).resolve().parents[1]
SLOW_BUILD = """
import sys, time
sys.path.insert(0, {tests!r})
from conftest import HashEmbedder
from ragtune.rag import store
from ragtune.rag.index import build_index

class Slow(HashEmbedder):
    def encode(self, texts, **kw):
        time.sleep(0.02 * len(texts))
        return super().encode(texts, **kw)

real_write = store.write_version
def slow_write(*a, **kw):
    time.sleep(0.2)
    real_write(*a, **kw)
    time.sleep(0.2)
store.write_version = slow_write
print("ready", flush=True)
build_index(sys.argv[1], sys.argv[2], "hash-test", 64, 8, 2, full=True, embedder=Slow())
"""


def test_killed_builds_never_replace_the_live_index(tiny_corpus, tmp_path, hash_embedder):
    out = tmp_path / "index"
    build_index(tiny_corpus, out, "hash-test", 64, 8, 2, embedder=hash_embedder)
    live = store.current_version(out)
    expected = [h.chunk.chunk_id for h in Retriever(out, "hash-test", embedder=hash_embedder).search("nghỉ phép", 3)]
    for i in range(10):  # extra text so the build takes a while
        (tiny_corpus / "company" / f"extra-{i}.md").write_text(f"# Phụ lục {i}\n\n" + "Nội dung bổ sung. " * 40)
    code = SLOW_BUILD.format(tests=str(TESTS))
    env = {**os.environ, "PYTHONPATH": str(TESTS.parent)}
    killed_at = []
    for delay in (0.0, 0.3, 0.8, 1.5, 2.5, 3.5):
        proc = subprocess.Popen([sys.executable, "-c", code, str(tiny_corpus), str(out)], stdout=subprocess.PIPE, env=env)
        assert proc.stdout.readline().strip() == b"ready"
        time.sleep(delay)
        if proc.poll() is None:
            proc.send_signal(signal.SIGKILL)
            killed_at.append(delay)
        proc.wait()
        current = store.current_version(out)
        retriever = Retriever(out, "hash-test", embedder=hash_embedder)  # always loadable
        if current == live:
            assert [h.chunk.chunk_id for h in retriever.search("nghỉ phép", 3)] == expected
        else:  # the build finished before the kill: the new version is complete
            assert proc.returncode == 0 and len({c.doc_id for c in retriever.chunks}) == 13
            live = current
            expected = [h.chunk.chunk_id for h in retriever.search("nghỉ phép", 3)]
    assert len(killed_at) >= 3, killed_at
    # a later build sweeps the staging directories the killed builds left behind
    build_index(tiny_corpus, out, "hash-test", 64, 8, 2, full=True, embedder=hash_embedder)
    assert not list(out.glob(".tmp-*"))

"""Kill an index build at many points: the previous version stays live and loadable every time."""

import os
import random
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
from pathlib import Path
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
print(build_index(Path(sys.argv[1]), Path(sys.argv[2]), "hash-test", 64, 8, 2, full=True, embedder=Slow()).version, flush=True)
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
    delays = [0.0, *sorted(random.Random(17).uniform(0.1, 3.5) for _ in range(5))]  # random points, reproducible
    for delay in delays:
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


def start_build(corpus: Path, out: Path) -> subprocess.Popen:
    env = {**os.environ, "PYTHONPATH": str(TESTS.parent)}
    proc = subprocess.Popen([sys.executable, "-c", SLOW_BUILD.format(tests=str(TESTS)), str(corpus), str(out)],
                            stdout=subprocess.PIPE, env=env)  # fmt: skip
    assert proc.stdout.readline().strip() == b"ready"
    return proc


def test_two_builds_at_once_both_publish_and_current_names_a_complete_version(tiny_corpus, tmp_path, hash_embedder):
    out = tmp_path / "index"
    build_index(tiny_corpus, out, "hash-test", 64, 8, 2, embedder=hash_embedder)
    for round_ in range(3):
        (tiny_corpus / "company" / "extra.md").write_text(f"# Phụ lục\n\nLần {round_}. " + "Nội dung. " * 40)
        procs = [start_build(tiny_corpus, out) for _ in range(2)]
        versions = [p.communicate(timeout=120)[0].decode().strip() for p in procs]
        assert [p.returncode for p in procs] == [0, 0] and all(versions), versions
        assert store.current_version(out) in versions
        retriever = Retriever(out, "hash-test", embedder=hash_embedder)
        assert len({c.doc_id for c in retriever.chunks}) == 4 and retriever.search("nghỉ phép", 3)
        assert not list(out.glob(".tmp-*")) and not list(out.glob(".CURRENT.tmp*"))


def test_the_clean_up_never_removes_a_live_build_of_another_process(tiny_corpus, tmp_path, hash_embedder):
    """A builder in another container sharing the volume has a PID this machine does not know: its staging
    folder is judged by its lock, not its PID."""
    out = tmp_path / "index"
    build_index(tiny_corpus, out, "hash-test", 64, 8, 2, embedder=hash_embedder)
    holder = subprocess.Popen([sys.executable, "-c", HOLD_STAGING, str(out)], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                              env={**os.environ, "PYTHONPATH": str(TESTS.parent)})  # fmt: skip
    foreign = Path(holder.stdout.readline().decode().strip())
    assert foreign.name.startswith(".tmp-999999") and foreign.is_dir()
    (tiny_corpus / "company" / "extra.md").write_text("# Phụ lục\n\nNội dung mới.")
    build_index(tiny_corpus, out, "hash-test", 64, 8, 2, embedder=hash_embedder)  # publishes and cleans up
    assert foreign.is_dir() and (foreign / "half-written").read_text() == "data"
    holder.communicate(b"done\n", timeout=30)
    store.prune(out, store.KEEP_VERSIONS)  # its build gone, the folder is swept
    assert not foreign.exists()


HOLD_STAGING = """
import sys
from pathlib import Path
from ragtune.rag import store
staging = store.new_staging_dir(Path(sys.argv[1]))
foreign = staging.with_name(".tmp-999999-" + staging.name.split("-")[-1])  # as named in another PID namespace
staging.rename(foreign)
(foreign / "half-written").write_text("data")
print(foreign, flush=True)
sys.stdin.readline()
"""


def test_every_file_of_a_version_is_on_disk_before_current_names_it(tiny_corpus, tmp_path, hash_embedder, monkeypatch):
    out = tmp_path / "index"
    synced: set[str] = set()
    seen_at_switch: list[set[str]] = []
    real_fsync, real_replace = os.fsync, os.replace

    def fsync(fd):
        synced.add(os.readlink(f"/proc/self/fd/{fd}"))
        real_fsync(fd)

    def replace(src, dst):
        if Path(dst).name == store.CURRENT:
            seen_at_switch.append(set(synced))
        real_replace(src, dst)

    monkeypatch.setattr(os, "fsync", fsync)
    monkeypatch.setattr(os, "replace", replace)
    build_index(tiny_corpus, out, "hash-test", 64, 8, 2, embedder=hash_embedder)
    version = out / store.current_version(out)
    held = {p.relative_to(version).as_posix() for p in version.rglob("*")} | {"."}
    synced_in_staging = set()
    for path in seen_at_switch[0]:  # synced under the staging name, before the rename
        parts = Path(path).relative_to(out).parts if Path(path).is_relative_to(out) else ()
        if parts and parts[0].startswith(".tmp-"):
            synced_in_staging.add("/".join(parts[1:]) or ".")
    assert held <= synced_in_staging, held - synced_in_staging

"""A real app on the tiny model: real engine, real retriever (hash embedder), no network."""

import pytest
from fastapi.testclient import TestClient

from ragtune.config import load_config
from ragtune.models import load_generator
from ragtune.prompt import stop_token_ids
from ragtune.rag.index import build_index
from ragtune.rag.retrieve import Retriever
from ragtune.serve.app import create_app
from ragtune.serve.generator import LoadedModel
from ragtune.serve.launch import ServerDidNotStart, running_server
from ragtune.serve.services import Services

KEY = "live-test-key"


@pytest.fixture(scope="session")
def tiny_lm(tiny_model_dir, tmp_path_factory):
    model, tok = load_generator(str(tiny_model_dir), tmp_path_factory.mktemp("models"), "cpu")
    return LoadedModel(model, tok, "tiny", None, stop_token_ids(tok))


@pytest.fixture
def make_client(tiny_lm, tiny_corpus, tmp_path, hash_embedder):
    """make_client(*overrides) -> TestClient of an app over the tiny corpus."""
    build_index(tiny_corpus, tmp_path / "index", "hash-test", 64, 8, 8, embedder=hash_embedder)
    clients = []

    def make(*overrides, engine=None):
        cfg = load_config(None, [f"index.output_dir={tmp_path}/index", "model.embedder=hash-test",
                                 "serve.reload_poll_s=0", *overrides], env={})  # fmt: skip
        retriever = Retriever(tmp_path / "index", "hash-test", embedder=hash_embedder)
        client = TestClient(create_app(cfg, Services(cfg, tiny_lm, retriever, engine)))
        client.__enter__()
        clients.append(client)
        return client

    yield make
    for c in clients:
        c.__exit__(None, None, None)


@pytest.fixture
def server(tiny_model_dir, tiny_embedder_dir, tiny_corpus, tmp_path):
    from sentence_transformers import SentenceTransformer

    embedder = SentenceTransformer(str(tiny_embedder_dir), device="cpu")
    build_index(tiny_corpus, tmp_path / "index", str(tiny_embedder_dir), 64, 8, 8, embedder=embedder)
    overrides = [
        f"model.generator={tiny_model_dir}", f"model.embedder={tiny_embedder_dir}", f"model.models_dir={tmp_path}/models",
        f"index.output_dir={tmp_path}/index", f"finetune.output_dir={tmp_path}/none", f"finetune.merged_dir={tmp_path}/none2",
        "serve.reload_poll_s=0.3", f"serve.api_keys=[{KEY}]",
        "serve.output_vocab=full",  # the random tiny model must not reach a stop token: the cancellation test needs a long answer
    ]  # fmt: skip
    with open(tmp_path / "server.log", "w") as log:
        try:
            with running_server(overrides, config=str(tmp_path / "none.yaml"), wait_for="/health", log=log, timeout_s=60) as (base, _):
                yield {"base": base, "tmp": tmp_path, "corpus": tiny_corpus, "embedder": embedder,
                       "embedder_dir": tiny_embedder_dir, "key": KEY}  # fmt: skip
        except ServerDidNotStart as e:
            pytest.fail(f"{e}:\n" + (tmp_path / "server.log").read_text())


@pytest.fixture
def real_served(tmp_path):
    """real_served(documents, overrides, served=True) -> (cfg, lm, retriever) of the real default models over
    `documents` ({file name: Markdown}), loaded as the server loads them: the fine-tuned model where `make
    finetune` has produced one, else the base; with `served=False`, the bare packaged base model (what a
    fresh clone serves)."""
    return lambda documents, overrides, served=True: _real_served(tmp_path, documents, overrides, served)


def _real_served(tmp_path, documents: dict[str, str], overrides: list[str], served: bool):
    from ragtune.rag.embedder import load_embedder
    from ragtune.rag.retrieve import build_retriever
    from ragtune.serve.generator import load_configured

    docs = tmp_path / "docs"
    docs.mkdir()
    for name, text in documents.items():
        (docs / name).write_text(text, encoding="utf-8")
    overrides = [f"index.output_dir={tmp_path}/index", "serve.reload_poll_s=0", *overrides]
    if not served:
        overrides += [f"finetune.output_dir={tmp_path}/no-adapter", f"finetune.merged_dir={tmp_path}/no-merged"]
    cfg = load_config("config.yaml", overrides, env={})
    embedder = load_embedder(cfg.model.embedder)
    build_index(docs, cfg.index.output_dir, cfg.model.embedder, cfg.index.chunk_tokens, cfg.index.chunk_overlap, 8, embedder=embedder)
    lm = load_configured(cfg)
    return cfg, lm, build_retriever(cfg, embedder=embedder)

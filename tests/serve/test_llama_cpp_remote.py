"""ragtune in front of a real third-party generator: llama-cpp-python's OpenAI-compatible server on the GGUF that
`ragtune export --gguf` wrote (`serve.generator_url`). ragtune retrieves, prompts, verifies and cites; llama.cpp
generates. The text that comes back is llama.cpp's own greedy continuation of ragtune's prompt: one BOS, no
repetition penalty, stopped at the end of the turn."""

import json

import httpx
import pytest
from fastapi.testclient import TestClient

from ragtune.config import load_config
from ragtune.prompt import build_messages, render_prompt, stop_token_ids
from ragtune.rag.index import build_index
from ragtune.serve.app import create_app
from ragtune.serve.launch import ServerDidNotStart, running_llama_server
from ragtune.serve.services import load_services

QUESTION = "Nhân viên chính thức được nghỉ phép năm bao nhiêu ngày?"
TOKENS = 40


@pytest.fixture(scope="module")
def llama_server(default_gguf, tmp_path_factory):
    """`python -m llama_cpp.server` on the exported GGUF: its base URL (…/v1)."""
    log = tmp_path_factory.mktemp("llama-server") / "log.txt"
    with log.open("w") as out:
        try:
            with running_llama_server(default_gguf, log=out) as (base, _):
                yield base
        except ServerDidNotStart as e:
            pytest.fail(f"{e}: {log.read_text()[-2000:]}")


@pytest.fixture
def services(llama_server, default_merged, tmp_path_factory):
    """ragtune configured as a user would: the merged folder for the tokenizer and prompt, the real embedder, the
    llama.cpp server as the generator. One per test: its HTTP client belongs to the event loop that first used it."""
    root = tmp_path_factory.mktemp("remote")
    (root / "docs").mkdir()
    (root / "docs" / "nghi-phep.md").write_text(
        "# Quy định nghỉ phép\n\n## Nghỉ phép năm\n\nNhân viên chính thức được nghỉ phép năm 14 ngày mỗi năm. Đơn xin "
        "nghỉ dùng mẫu NS-03 và gửi trước 3 ngày làm việc.\n\n## Nghỉ ốm\n\nNghỉ ốm quá 2 ngày cần giấy xác nhận "
        "của bệnh viện.\n", encoding="utf-8")  # fmt: skip
    build_index(root / "docs", root / "index", "minilm-l6", 256, 32, 8)
    cfg = load_config(None, [f"index.output_dir={root / 'index'}", "model.embedder=minilm-l6", "serve.reload_poll_s=0",
                             f"finetune.merged_dir={default_merged[0]}", f"finetune.output_dir={root / 'no-adapter'}",
                             f"serve.generator_url={llama_server}", "serve.generator_model=ragtune-merged",
                             f"serve.max_new_tokens={TOKENS}"], env={})  # fmt: skip
    return load_services(cfg)


def greedy_in_llama_cpp(path, tok, prompt: str) -> str:
    """llama.cpp's own greedy continuation of a rendered prompt (its `<bos>` included), up to the end of the turn."""
    from llama_cpp import Llama

    llm = Llama(model_path=str(path), n_ctx=2048, n_threads=2, logits_all=True, verbose=False)
    tokens, out, stops = llm.tokenize(prompt.encode(), add_bos=False, special=True), [], set(stop_token_ids(tok))
    llm.eval(tokens)
    for _ in range(TOKENS):
        token = int(llm.scores[llm.n_tokens - 1].argmax())
        if token in stops:
            break
        out.append(token)
        llm.eval([token])
    return llm.detokenize(out).decode("utf-8", errors="replace").strip()


@pytest.mark.integration
def test_the_remote_generator_continues_ragtunes_prompt_exactly_as_llama_cpp_does(services, default_gguf, default_merged):
    tok = default_merged[2]
    prompt = render_prompt(tok, build_messages(QUESTION, [h.passage() for h in services.retriever.search(QUESTION, 2)]))
    assert prompt.startswith("<bos>")

    async def remote():
        engine = services.engine
        return await engine.complete(engine.submit(prompt, TOKENS, 0.0))

    import asyncio

    done = asyncio.run(remote())
    assert done.text and done.text == greedy_in_llama_cpp(default_gguf, tok, prompt)
    # what llama.cpp's server reads: the prompt ragtune sends (no <bos>) after its own BOS, i.e. the prompt's tokens
    sent = prompt.removeprefix(services.engine.bos)
    r = httpx.post(f"{services.config.serve.generator_url}/completions", json={"prompt": sent, "max_tokens": 1}, timeout=60)
    assert r.json()["usage"]["prompt_tokens"] == len(tok(prompt, add_special_tokens=False)["input_ids"])
    assert 0 < done.completion_tokens <= TOKENS and done.prompt_tokens == len(tok(prompt, add_special_tokens=False)["input_ids"])


@pytest.mark.integration
def test_ask_streaming_and_chat_work_end_to_end_through_llama_cpp(services):
    with TestClient(create_app(services.config, services)) as client:
        r = client.post("/ask", json={"question": QUESTION})
        assert r.status_code == 200, r.text
        body = r.json()
        assert body["model"] == "ragtune-merged" and body["answer"] and isinstance(body["verified"], bool)
        assert body["sources"][0]["doc_id"] == "nghi-phep.md" and body["usage"]["completion_tokens"] > 0

        with client.stream("POST", "/ask", json={"question": QUESTION, "stream": True}) as r:
            assert r.status_code == 200
            events = [json.loads(line[len("data: "):]) for line in r.iter_lines() if line.startswith("data: ") and line != "data: [DONE]"]
        # llama.cpp reuses the prompt's cached prefix between requests: near-ties may decode differently, so the
        # streamed answer is not compared with the one above
        assert events[0]["type"] == "sources" and events[-1]["type"] == "done" and events[-1]["answer"]
        assert any(e["type"] == "delta" for e in events)

        r = client.post("/v1/chat/completions", json={"model": "x", "messages": [{"role": "user", "content": QUESTION}]})
        assert r.status_code == 200, r.text
        assert r.json()["choices"][0]["message"]["content"]

"""ragtune with a remote generator: a second ragtune process (uvicorn) generates, this one retrieves; and a
remote stream stops when cancelled."""

import asyncio
import json

import httpx
from fastapi.testclient import TestClient

from ragtune.config import load_config
from ragtune.rag.index import build_index
from ragtune.serve.app import create_app
from ragtune.serve.remote import RemoteEngine
from ragtune.serve.services import load_services


def test_a_second_ragtune_process_generates_for_this_one(server, tiny_model_dir, tmp_path):
    from sentence_transformers import SentenceTransformer

    embedder_dir = server["embedder_dir"]
    build_index(server["corpus"], tmp_path / "index", str(embedder_dir), 64, 8, 8,
                embedder=SentenceTransformer(str(embedder_dir), device="cpu"))  # fmt: skip
    cfg = load_config(None, [
        f"model.generator={tiny_model_dir}", f"model.embedder={embedder_dir}", f"model.models_dir={tmp_path}/models",
        f"index.output_dir={tmp_path}/index", f"finetune.merged_dir={tmp_path}/none", "serve.reload_poll_s=0",
        f"serve.generator_url={server['base']}/v1", f"serve.generator_api_key={server['key']}", "serve.generator_model=tiny-remote",
    ], env={})  # fmt: skip
    services = load_services(cfg)
    assert services.lm.model is None  # no local weights are loaded
    with TestClient(create_app(cfg, services)) as client:
        body = client.post("/ask", json={"question": "Nghỉ phép năm bao nhiêu ngày?", "max_tokens": 5}).json()
        assert body["model"] == "tiny-remote" and body["sources"][0]["doc_id"] == "company/nghi-phep.md"
        assert 1 <= body["usage"]["completion_tokens"] <= 5
        stream = client.post("/ask", json={"question": "Giờ làm việc?", "max_tokens": 4, "stream": True}).text
        assert '"type": "sources"' in stream and '"type": "done"' in stream
    bad = load_config(None, [f"model.generator={tiny_model_dir}", f"model.embedder={embedder_dir}",
                             f"index.output_dir={tmp_path}/index", "serve.reload_poll_s=0",
                             "serve.generator_url=http://127.0.0.1:9/v1"], env={})  # fmt: skip
    with TestClient(create_app(bad, load_services(bad))) as client:
        r = client.post("/ask", json={"question": "Giờ làm việc?", "max_tokens": 3})
        assert r.status_code == 502 and "remote generator" in r.json()["detail"]


def test_cancel_stops_reading_the_remote_stream():
    words = ["Nghỉ", " phép", " năm"]
    chunks = [{"choices": [{"text": w, "finish_reason": None}]} for w in words]
    usage = {"prompt_tokens": 9, "completion_tokens": 3}
    chunks.append({"choices": [{"text": "", "finish_reason": "length"}], "usage": usage})
    sse = "".join(f"data: {json.dumps(c)}\n\n" for c in chunks) + "data: [DONE]\n\n"
    remote = RemoteEngine("http://generator/v1", "tiny", ["<end_of_turn>"])
    finishes = []
    remote.on_finish = finishes.append

    async def scenario():
        # a scripted OpenAI-compatible server behind the engine's HTTP client
        server = httpx.MockTransport(lambda _: httpx.Response(200, text=sse))
        remote._client = httpx.AsyncClient(transport=server)
        whole, cut = remote.submit("prompt", 3, 0.0), remote.submit("prompt", 3, 0.0)
        seen = []
        async for delta in remote.stream(cut):
            seen.append(delta)
            remote.cancel(cut)
        await remote.complete(whole)
        await remote._client.aclose()
        return seen, cut.result, whole.result

    seen, cut, whole = asyncio.run(scenario())
    assert seen == ["Nghỉ"] and cut.text == "Nghỉ" and cut.finish_reason == "cancelled"
    assert whole.text == "Nghỉ phép năm" and whole.finish_reason == "length" and whole.completion_tokens == 3
    assert sorted(finishes) == ["cancelled", "length"] and remote.stats().running == 0


def test_the_remote_gets_the_prompt_without_the_templates_bos_and_no_repetition_penalty():
    sent = []

    def server(request):
        sent.append(json.loads(request.content))
        return httpx.Response(200, text='data: {"choices": [{"text": "14 ngày", "finish_reason": "stop"}]}\n\ndata: [DONE]\n\n')

    remote = RemoteEngine("http://generator/v1", "tiny", ["<end_of_turn>"], bos="<bos>", count_tokens=lambda text: len(text.split()))

    async def scenario():
        remote._client = httpx.AsyncClient(transport=httpx.MockTransport(server))
        done = await remote.complete(remote.submit("<bos><start_of_turn>user\nhỏi<end_of_turn>", 8, 0.0))
        await remote._client.aclose()
        return done

    done = asyncio.run(scenario())
    # llama.cpp and vLLM put their own BOS before a text prompt; llama.cpp's server penalises repeats by default
    assert sent[0]["prompt"] == "<start_of_turn>user\nhỏi<end_of_turn>" and sent[0]["repeat_penalty"] == 1.0
    assert (done.prompt_tokens, done.completion_tokens) == (2, 2)  # no usage in the stream: counted here

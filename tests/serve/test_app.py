import json
import threading
from types import SimpleNamespace

from ragtune.config import DEFAULT_NOT_FOUND, DEFAULT_SYSTEM_PROMPT
from ragtune.finetune.generation import Completion
from ragtune.rag.index import build_index
from ragtune.serve.backend import Backend, BackendStats, Generation, QueueFull

QUESTION = {"question": "Nghỉ phép năm bao nhiêu ngày?", "max_tokens": 6}


def sse_events(text: str) -> list:
    return [json.loads(block[len("data: "):]) for block in text.strip().split("\n\n") if block != "data: [DONE]"]


def test_ask_returns_answer_sources_usage_and_request_id(make_client):
    client = make_client()
    r = client.post("/ask", json={**QUESTION, "top_k": 2}, headers={"X-Request-ID": "abc123"})
    assert r.status_code == 200 and r.headers["x-request-id"] == "abc123"
    body = r.json()
    assert body["sources"][0]["doc_id"] == "company/nghi-phep.md" and [s["n"] for s in body["sources"]] == [1, 2]
    assert 1 <= body["usage"]["completion_tokens"] <= 6 and body["usage"]["prompt_tokens"] > 20
    assert set(body["timings_ms"]) == {"retrieve", "generate", "total"}
    assert body["model"] == "tiny" and body["index_version"]
    assert client.post("/ask", json=QUESTION).headers["x-request-id"]  # generated when absent


def test_ask_stream_sends_sources_then_deltas_then_done(make_client):
    client = make_client()
    r = client.post("/ask", json={**QUESTION, "stream": True})
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/event-stream")
    events = sse_events(r.text)
    assert events[0]["type"] == "sources" and events[0]["sources"]
    assert events[-1]["type"] == "done" and events[-1]["usage"]["completion_tokens"] >= 1
    deltas = "".join(e["text"] for e in events if e["type"] == "delta")
    assert deltas.strip() == events[-1]["answer"].strip() or "[" in deltas


def test_api_keys_guard_every_route_but_health_and_the_page(make_client):
    client = make_client("serve.api_keys=[s3cret]")
    assert client.get("/health").status_code == 200
    assert "<textarea" in client.get("/").text  # static HTML; the key is typed into it for its own calls
    assert client.post("/ask", json=QUESTION).status_code == 401
    assert client.post("/ask", json=QUESTION, headers={"Authorization": "Bearer wrong"}).status_code == 401
    assert client.post("/ask", json=QUESTION, headers={"Authorization": "Bearer "}).status_code == 401
    assert client.get("/v1/models").status_code == 401 and client.get("/metrics").status_code == 401
    assert client.get("/openapi.json").status_code == 401
    key = {"Authorization": "Bearer s3cret"}
    assert client.get("/docs", headers=key).status_code == 404 and client.get("/redoc", headers=key).status_code == 404
    assert client.get("/openapi.json", headers=key).json()["info"]["title"] == "ragtune"
    assert client.post("/ask", json=QUESTION, headers=key).status_code == 200
    assert make_client().get("/docs").status_code == 200  # without keys (loopback) the docs stay


def test_made_up_methods_add_no_metric_series_and_500s_are_counted(make_client):
    client = make_client()
    for method in ("FOO", "BAR", "BAZ", "X1", "X2", "X3"):
        client.request(method, "/ask")
    text = client.get("/metrics").text
    assert "FOO" not in text, [line for line in text.splitlines() if "FOO" in line]
    assert 'ragtune_requests_total{method="OTHER",route="/ask",status="405"} 6.0' in text, [line for line in text.splitlines() if "OTHER" in line]
    broken = make_client(engine=_FailingEngine(KeyError("a bug")))
    r = broken.post("/ask", json=QUESTION, headers={"X-Request-ID": "req-500"})
    assert r.status_code == 500 and r.json() == {"detail": "internal error", "request_id": "req-500"}
    assert r.headers["x-request-id"] == "req-500" and "Traceback" not in r.text
    assert 'ragtune_requests_total{method="POST",route="/ask",status="500"} 1.0' in broken.get("/metrics").text


def test_limits_name_the_field_and_leak_nothing(make_client):
    client = make_client("serve.max_question_chars=20", "serve.max_top_k=3", "serve.max_tokens_limit=8", "serve.max_body_bytes=2048")
    cases = [
        ({"question": "x" * 21}, "question"),
        ({"question": "ok", "top_k": 4}, "top_k"),
        ({"question": "ok", "max_tokens": 9}, "max_tokens"),
        ({"question": "ok", "temperature": 5}, "temperature"),
        ({"question": "   "}, "question"),
        ({}, "question"),
    ]
    declared = client.get("/openapi.json").json()["components"]["schemas"]["ValidationError"]["required"]
    for body, field in cases:
        r = client.post("/ask", json=body)
        assert r.status_code == 422, body
        problem = r.json()["detail"][0]  # the shape the OpenAPI document promises for 422
        assert set(problem) == set(declared) == {"loc", "msg", "type"} and problem["loc"][-1] == field, (body, problem)
        assert "Traceback" not in r.text and "/work" not in r.text
    big = client.post("/ask", content=b'{"question": "' + b"a" * 4000 + b'"}', headers={"content-type": "application/json"})
    assert big.status_code == 413
    assert client.post("/ask", content=b"{not json", headers={"content-type": "application/json"}).status_code == 422


class _FailingEngine:
    """An engine whose submit raises `error` (QueueFull: a full queue; anything else: a bug); routing code is under
    test, not the model."""

    on_batch = on_finish = on_busy = None

    def __init__(self, error: Exception, queued: int = 0):
        self.error, self.queued = error, queued

    def stats(self):
        return BackendStats(self.queued, 0)

    async def call(self, fn, *args, **kwargs):
        return fn(*args, **kwargs)

    def submit(self, *args, **kwargs):
        raise self.error

    def _never(self, gen):
        raise AssertionError("nothing was submitted")

    stream = complete = cancel = _never

    def close(self):
        pass


def test_overload_is_503_with_retry_after(make_client):
    engine = _FailingEngine(QueueFull("full"), queued=32)
    assert isinstance(engine, Backend)  # a change of the interface breaks the fake here, not in a route
    client = make_client(engine=engine)
    r = client.post("/ask", json=QUESTION)
    assert r.status_code == 503 and r.headers["retry-after"] == "2"


def test_low_retrieval_score_answers_not_found_without_generating(make_client):
    client = make_client("serve.min_score=0.99")
    body = client.post("/ask", json={"question": "giá vàng hôm nay"}).json()
    assert body["answer"] == DEFAULT_NOT_FOUND and body["usage"]["completion_tokens"] == 0
    r = client.post("/ask", json={"question": "giá vàng hôm nay", "stream": True})  # a stream stays a stream
    assert r.headers["content-type"].startswith("text/event-stream")
    assert [e["type"] for e in sse_events(r.text)] == ["sources", "delta", "done"]


def test_the_index_version_is_the_one_the_sources_came_from(make_client, tiny_corpus, tmp_path, hash_embedder):
    """A reload landing just before or just after the search does not mislabel the answer or the stream."""
    client = make_client()
    retriever = client.app.state.services.retriever
    search, published = retriever.search, []

    def publish():
        published.append(1)
        (tiny_corpus / "company" / "moi.md").write_text(f"# Mới\n\nBãi đỗ xe số {len(published)}.\n", encoding="utf-8")
        build_index(tiny_corpus, tmp_path / "index", "hash-test", 64, 8, 8, embedder=hash_embedder)
        assert retriever.reload()

    def publish_then_search(*args, **kwargs):
        publish()
        return search(*args, **kwargs)

    def search_then_publish(*args, **kwargs):
        hits = search(*args, **kwargs)
        publish()
        return hits

    for stream in (False, True):
        retriever.search = publish_then_search
        before = retriever.version
        r = client.post("/ask", json={**QUESTION, "stream": stream})
        version = sse_events(r.text)[0]["index_version"] if stream else r.json()["index_version"]
        assert version == retriever.version != before  # the sources came from the version published first
        retriever.search = search_then_publish
        before = retriever.version
        r = client.post("/ask", json={**QUESTION, "stream": stream})
        version = sse_events(r.text)[0]["index_version"] if stream else r.json()["index_version"]
        assert version == before != retriever.version


def test_openai_routes(make_client):
    client = make_client()
    assert client.get("/v1/models").json()["data"][0]["id"] == "tiny"
    msgs = [{"role": "system", "content": "x"}, {"role": "user", "content": "Nghỉ phép năm bao nhiêu ngày?"}]
    r = client.post("/v1/chat/completions", json={"model": "tiny", "messages": msgs, "max_tokens": 5}).json()
    assert r["object"] == "chat.completion" and r["choices"][0]["finish_reason"] in ("stop", "length")
    assert r["usage"]["total_tokens"] == r["usage"]["prompt_tokens"] + r["usage"]["completion_tokens"]
    assert r["sources"][0]["doc_id"] == "company/nghi-phep.md"
    off = client.post("/v1/chat/completions", json={"messages": msgs, "max_tokens": 3, "retrieval": False}).json()
    assert off["sources"] == []
    stream = client.post("/v1/chat/completions", json={"messages": msgs, "max_tokens": 4, "stream": True})
    assert stream.text.rstrip().endswith("data: [DONE]")
    chunks = sse_events(stream.text)
    assert chunks[0]["choices"][0]["delta"]["role"] == "assistant" and chunks[-1]["usage"]["completion_tokens"] >= 1
    bad = client.post("/v1/chat/completions", json={"messages": [{"role": "assistant", "content": "hi"}]})
    assert bad.status_code == 422


def test_metrics_ready_page_and_reload(make_client, tiny_corpus, tmp_path, hash_embedder):
    client = make_client()
    client.post("/ask", json=QUESTION)
    text = client.get("/metrics").text
    assert 'ragtune_requests_total{method="POST",route="/ask",status="200"}' in text and "ragtune_batch_size_count" in text
    ready = client.get("/ready").json()
    assert ready["status"] == "ready"
    assert "<textarea" in client.get("/").text
    (tiny_corpus / "company" / "moi.md").write_text("# Mới\n\nTài liệu mới về bãi đỗ xe.\n", encoding="utf-8")
    build_index(tiny_corpus, tmp_path / "index", "hash-test", 64, 8, 8, embedder=hash_embedder)
    reloaded = client.post("/admin/reload").json()
    assert reloaded["reloaded"] is True and reloaded["index_version"] != ready["index_version"]
    assert client.post("/admin/reload").json()["reloaded"] is False


class _ParrotEngine:
    """Scripted engine that recites the system prompt word by word (what the bare Gemma 270M did when a
    document asked it to): routing code is under test here, the real model is in test_injection.py."""

    on_batch = on_finish = on_busy = None

    def __init__(self, text: str):
        self.words = text.split()

    def stats(self):
        return BackendStats(0, 0)

    def cancel(self, req):
        req.cancelled.set()

    async def call(self, fn, *args, **kwargs):
        return fn(*args, **kwargs)

    def submit(self, prompt, max_new_tokens, temperature, refusal_threshold=None):
        return SimpleNamespace(cancelled=threading.Event(), result=None, pos=0)

    async def stream(self, req):
        while req.pos < len(self.words) and not req.cancelled.is_set():
            req.pos += 1
            yield self.words[req.pos - 1] + " "
        finish = "cancelled" if req.cancelled.is_set() else "stop"
        req.result = Completion(" ".join(self.words[: req.pos]), 10, req.pos, finish)

    async def complete(self, req):
        async for _ in self.stream(req):
            pass
        return req.result

    def close(self):
        pass


def test_an_answer_that_repeats_the_system_prompt_is_blocked(make_client):
    parrot = _ParrotEngine("Dạ, " + DEFAULT_SYSTEM_PROMPT)
    assert isinstance(parrot, Backend) and isinstance(parrot.submit("", 1, 0.0), Generation)  # up to date
    client = make_client(engine=parrot)
    assert client.post("/ask", json=QUESTION).json()["answer"] == DEFAULT_NOT_FOUND
    events = sse_events(client.post("/ask", json={**QUESTION, "stream": True}).text)
    shown = "".join(e["text"] for e in events if e["type"] == "delta")
    assert len(shown.split()) <= 8  # stopped at the first 8-word run: "Dạ," plus at most 7 words of it
    assert events[-1]["finish_reason"] == "content_filter" and events[-1]["answer"] == DEFAULT_NOT_FOUND
    msgs = [{"role": "user", "content": "Nghỉ phép năm bao nhiêu ngày?"}]
    chat = client.post("/v1/chat/completions", json={"messages": msgs}).json()
    assert chat["choices"][0]["finish_reason"] == "content_filter"
    chunks = sse_events(client.post("/v1/chat/completions", json={"messages": msgs, "stream": True}).text)
    assert chunks[-1]["choices"][0]["finish_reason"] == "content_filter"
    assert "ragtune_answers_blocked_total 4.0" in client.get("/metrics").text
    # the refusal phrase lives inside the system prompt but is a legitimate answer
    ok = make_client(engine=_ParrotEngine(DEFAULT_NOT_FOUND))
    assert ok.post("/ask", json=QUESTION).json()["answer"] == DEFAULT_NOT_FOUND
    assert "ragtune_answers_blocked_total 0.0" in ok.get("/metrics").text


def test_every_route_says_whether_the_answer_was_verified(make_client):
    client = make_client(engine=_ParrotEngine("Dạ, nhân viên chính thức được nghỉ phép năm 21 ngày mỗi năm [1]."))
    body = client.post("/ask", json=QUESTION).json()
    assert body["verified"] is False and "14 ngày" in body["answer"] and "21" not in body["answer"]
    done = sse_events(client.post("/ask", json={**QUESTION, "stream": True}).text)[-1]
    assert done["type"] == "done" and done["verified"] is False and done["answer"] == body["answer"]
    msgs = [{"role": "user", "content": QUESTION["question"]}]
    chat = client.post("/v1/chat/completions", json={"messages": msgs}).json()
    assert chat["verified"] is False and chat["choices"][0]["message"]["content"] == body["answer"]
    last = sse_events(client.post("/v1/chat/completions", json={"messages": msgs, "stream": True}).text)[-1]
    assert last["verified"] is False
    assert "ragtune_unsupported_claims_total 4.0" in client.get("/metrics").text
    assert isinstance(make_client().post("/ask", json=QUESTION).json()["verified"], bool)  # the real engine too


def test_a_vanishing_temperature_is_greedy_on_every_route(make_client):
    client = make_client()
    greedy = client.post("/ask", json={**QUESTION, "temperature": 0}).json()["answer"]
    r = client.post("/ask", json={**QUESTION, "temperature": 1e-93})
    assert r.status_code == 200 and r.json()["answer"] == greedy
    r = client.post("/v1/completions", json={"prompt": "Nghỉ phép", "max_tokens": 4, "temperature": 1e-93})
    assert r.status_code == 200


def test_prompts_over_the_token_limit_lose_old_history_or_get_422_naming_the_field(make_client):
    alone = make_client().post("/ask", json=QUESTION).json()["usage"]["prompt_tokens"]
    limit = alone + 250
    client = make_client(f"serve.max_prompt_tokens={limit}", "serve.max_question_chars=8000")
    turn = "Giờ làm việc từ 8 giờ 30 đến 17 giờ 30. " * 8  # ~100 tokens of the tiny tokenizer
    history = [{"role": r, "content": turn} for r in ("user", "assistant") * 3]
    r = client.post("/ask", json={**QUESTION, "history": history})
    assert r.status_code == 200 and alone < r.json()["usage"]["prompt_tokens"] <= limit
    metrics = client.get("/metrics").text
    trimmed = next(line for line in metrics.splitlines() if line.startswith("ragtune_history_turns_trimmed_total"))
    assert float(trimmed.split()[-1]) >= 4  # the oldest turns went, as user/assistant pairs
    long_question = "Nghỉ phép năm bao nhiêu ngày? " * 100
    r = client.post("/ask", json={"question": long_question, "max_tokens": 4})
    assert r.status_code == 422 and r.json()["detail"][0]["loc"] == ["body", "question"] and "at most" in r.text
    r = client.post("/v1/chat/completions", json={"messages": [{"role": "user", "content": long_question}], "max_tokens": 4})
    assert r.status_code == 422 and r.json()["detail"][0]["loc"] == ["body", "messages"]
    r = client.post("/v1/completions", json={"prompt": long_question, "max_tokens": 4})
    assert r.status_code == 422 and r.json()["detail"][0]["loc"] == ["body", "prompt"]


def test_a_version_that_fails_to_load_keeps_the_old_one_serving_and_polling_goes_on(make_client, tiny_corpus, tmp_path,
                                                                                     hash_embedder):  # fmt: skip
    """A published version whose chunks do not load (here: a row with a field the code does not know, a TypeError)
    used to end the poller for good while /ready said ready; now it is shown, counted, and the next good one loads."""
    import time

    from ragtune.rag import store

    client = make_client("serve.reload_poll_s=0.05")
    good = client.get("/ready").json()["index_version"]
    (tiny_corpus / "company" / "moi.md").write_text("# Mới\n\nBãi đỗ xe.\n", encoding="utf-8")
    build_index(tiny_corpus, tmp_path / "index", "hash-test", 64, 8, 8, embedder=hash_embedder)
    broken = tmp_path / "index" / store.current_version(tmp_path / "index")
    rows = (broken / "chunks.jsonl").read_text(encoding="utf-8").splitlines()
    (broken / "chunks.jsonl").write_text("\n".join([rows[0][:-1] + ', "surprise": 1}', *rows[1:]]) + "\n", encoding="utf-8")

    def ready_until(predicate):
        for _ in range(100):
            ready = client.get("/ready").json()
            if predicate(ready):
                return ready
            time.sleep(0.05)
        raise AssertionError(ready)

    ready = ready_until(lambda r: r["index_reload_error"])
    assert ready["index_version"] == good and "TypeError" in ready["index_reload_error"]
    assert client.post("/ask", json=QUESTION).json()["index_version"] == good  # still answering from the old one
    assert "ragtune_index_reload_failures_total" in client.get("/metrics").text
    (tiny_corpus / "company" / "moi.md").write_text("# Mới\n\nBãi đỗ xe tầng hầm.\n", encoding="utf-8")
    build_index(tiny_corpus, tmp_path / "index", "hash-test", 64, 8, 8, embedder=hash_embedder)
    ready = ready_until(lambda r: r["index_version"] not in (good, broken.name))
    assert ready["index_reload_error"] is None


def test_the_documents_output_vocabulary_serves_from_the_index_tokens(make_client):
    client = make_client()  # the default
    r = client.post("/ask", json=QUESTION)
    assert r.status_code == 200 and r.json()["usage"]["completion_tokens"] >= 1
    vocab = client.app.state.services.engine.vocab
    tokenizer = client.app.state.services.lm.tokenizer
    chunk = client.app.state.services.retriever.chunks[0]
    assert set(tokenizer(chunk.text, add_special_tokens=False)["input_ids"]) <= vocab.known and len(vocab.known) < len(tokenizer)
    assert make_client("serve.output_vocab=full").app.state.services.engine.vocab is None

"""A real uvicorn process on loopback with the tiny model and a tiny BERT embedder loaded by path."""

import json
import threading
import time

import httpx
import pytest

from ragtune.rag.index import build_index

KEY = "live-test-key"


def auth() -> dict:
    return {"Authorization": f"Bearer {KEY}"}


def test_the_official_openai_client_stream_and_not(server):
    from openai import OpenAI

    client = OpenAI(base_url=server["base"] + "/v1", api_key=KEY)
    assert [m.id for m in client.models.list()] == ["tiny-llama0"]  # the folder's name, not its path
    msgs = [{"role": "user", "content": "Nghỉ phép năm bao nhiêu ngày?"}]
    r = client.chat.completions.create(model="tiny-llama0", messages=msgs, max_tokens=5)
    assert r.choices[0].finish_reason in ("stop", "length") and r.usage.completion_tokens >= 1
    assert r.model_extra["sources"][0]["doc_id"] == "company/nghi-phep.md"
    chunks = list(client.chat.completions.create(model="tiny", messages=msgs, max_tokens=5, stream=True))
    assert chunks[-1].choices[0].finish_reason in ("stop", "length")
    text = "".join(c.choices[0].delta.content or "" for c in chunks)
    assert isinstance(text, str)
    off = client.chat.completions.create(model="tiny", messages=msgs, max_tokens=3, extra_body={"retrieval": False})
    assert off.model_extra["sources"] == []
    with pytest.raises(Exception, match="401"):
        OpenAI(base_url=server["base"] + "/v1", api_key="wrong").models.list()


def test_a_client_that_disconnects_stops_its_generation(server):
    base = server["base"]
    body = {"question": "Giờ làm việc?", "max_tokens": 1000, "stream": True}
    with httpx.stream("POST", f"{base}/ask", json=body, headers=auth(), timeout=30) as r:
        for line in r.iter_lines():
            if '"delta"' in line:
                break  # leave after the first token
    for _ in range(50):
        metrics = httpx.get(f"{base}/metrics", headers=auth()).text
        if 'ragtune_generations_total{finish_reason="cancelled"} 1.0' in metrics:
            break
        time.sleep(0.2)
    else:
        pytest.fail("the generation was not cancelled:\n" + metrics)


def test_hot_reload_under_concurrent_requests_with_zero_failures(server):
    base = server["base"]
    before = httpx.get(f"{base}/ready", headers=auth()).json()["index_version"]
    statuses, stop = [], threading.Event()

    def hammer():
        with httpx.Client(timeout=60) as c:
            while not stop.is_set():
                r = c.post(f"{base}/ask", json={"question": "bãi đỗ xe ở đâu?", "max_tokens": 3}, headers=auth())
                statuses.append((r.status_code, r.json().get("index_version")))

    threads = [threading.Thread(target=hammer) for _ in range(4)]
    for t in threads:
        t.start()
    time.sleep(1.0)
    (server["corpus"] / "company" / "bai-do-xe.md").write_text("# Bãi đỗ xe\n\nBãi đỗ xe ở tầng hầm B2.\n", encoding="utf-8")
    build_index(server["corpus"], server["tmp"] / "index", str(server["embedder_dir"]), 64, 8, 8, embedder=server["embedder"])
    deadline = time.time() + 20
    while time.time() < deadline and httpx.get(f"{base}/ready", headers=auth()).json()["index_version"] == before:
        time.sleep(0.2)
    time.sleep(1.0)
    stop.set()
    for t in threads:
        t.join()
    after = httpx.get(f"{base}/ready", headers=auth()).json()["index_version"]
    assert after != before
    assert statuses and all(code == 200 for code, _ in statuses), statuses[:5]
    assert {v for _, v in statuses} >= {before, after}
    r = httpx.post(f"{base}/ask", json={"question": "Bãi đỗ xe ở tầng hầm nào?", "max_tokens": 2}, headers=auth())
    assert any(s["doc_id"] == "company/bai-do-xe.md" for s in r.json()["sources"])
    assert json.dumps(r.json())  # body is JSON


def test_a_chunked_body_is_counted_as_it_arrives_and_the_key_checked_before_it(server):
    """No Content-Length: the limit (65536 bytes) counts the chunks; without a key nothing of the body is read."""
    base = server["base"]

    def chunks():
        yield b'{"question": "'
        for _ in range(1024):
            yield b"a" * 1024
        yield b'"}'

    headers = {"content-type": "application/json"}
    r = httpx.post(f"{base}/ask", content=chunks(), headers={**headers, **auth()}, timeout=60)
    assert r.status_code == 413 and "65536" in r.text
    assert httpx.post(f"{base}/ask", content=chunks(), headers=headers, timeout=60).status_code == 401
    ok = httpx.post(f"{base}/ask", content=iter([b'{"question": "Ngh', 'ỉ phép?", "max_tokens": 3}'.encode()]),
                    headers={**headers, **auth()}, timeout=60)  # fmt: skip
    assert ok.status_code == 200 and ok.json()["usage"]["completion_tokens"] >= 1

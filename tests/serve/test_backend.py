"""One interface for every generator (serve/backend.py): the in-process engine and the remote generator implement
it, and so do the requests they hand out. The fakes of test_app.py check themselves where they are defined."""

import asyncio

from ragtune.serve.backend import Backend, Generation
from ragtune.serve.engine import Engine
from ragtune.serve.remote import RemoteEngine

PROMPT = "<bos><start_of_turn>user\nNghỉ phép?<end_of_turn>\n<start_of_turn>model\n"


def test_the_engine_and_the_remote_generator_are_backends_handing_out_generations(tiny_lm):
    engine = Engine(tiny_lm.model, tiny_lm.tokenizer, tiny_lm.stop_ids)
    remote = RemoteEngine("http://127.0.0.1:9/v1", "tiny", ["<end_of_turn>"])  # submit sends nothing

    async def submit_to_both():
        gen = engine.submit(PROMPT, 2, 0.0)
        return gen, await engine.complete(gen), remote.submit(PROMPT, 2, 0.0)

    try:
        assert isinstance(engine, Backend) and isinstance(remote, Backend)
        gen, completion, remote_gen = asyncio.run(submit_to_both())
    finally:
        engine.close()
    assert isinstance(gen, Generation) and isinstance(remote_gen, Generation)
    assert gen.result is completion and remote_gen.result is None  # set once the stream has ended

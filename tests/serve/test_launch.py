import time

import pytest

from ragtune.serve.launch import ServerDidNotStart, running_server


def test_a_server_that_exits_is_reported_at_once(tmp_path):
    began = time.monotonic()
    with pytest.raises(ServerDidNotStart, match="exited"):
        with running_server(["serve.no_such_key=1"], config=str(tmp_path / "none.yaml"), timeout_s=120):
            pass  # pragma: no cover - the block must not run
    assert time.monotonic() - began < 60  # not the whole timeout

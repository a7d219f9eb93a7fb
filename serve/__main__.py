"""`ragtune serve` (`make serve`, `python -m serve`): run the API server.

The model and the index load here, before uvicorn starts: a missing or mismatched one is the command
line's one `error:` line, not a failed application startup. The index is looked for first, as it takes
no time to find and the model takes seconds to minutes to load.
"""

from __future__ import annotations

import sys

import uvicorn

from ragtune.cli import run_stage
from ragtune.config import Config
from ragtune.hardware import single_threaded_main
from ragtune.rag import store
from ragtune.serve.app import create_app
from ragtune.serve.services import load_services


def run(cfg: Config) -> int:
    cfg.serve.check_exposure()  # an open server on a network address is a config error, before anything loads
    store.require_current(store.open_store(cfg.index.location))  # IndexNotFound now, not after the model loads
    single_threaded_main()  # the generation thread computes with every core (ragtune/hardware.py)
    services = load_services(cfg)
    uvicorn.run(create_app(cfg, services), host=cfg.serve.host, port=cfg.serve.port, log_level="info")
    return 0


def main(argv: list[str] | None = None) -> int:
    """`python -m ragtune.serve` = `ragtune serve`."""
    return run_stage("serve", argv)


if __name__ == "__main__":
    sys.exit(main())

"""`python -m serve`: run the API server (what `make serve` runs)."""

from __future__ import annotations

import argparse
import logging
import sys

import uvicorn
from ragtune.serve.app import create_app

from ragtune.config import ConfigError, load_config


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m serve", description=__doc__.splitlines()[0])
    parser.add_argument("overrides", nargs="*", help="config overrides, e.g. serve.port=9000")
    parser.add_argument("--config", default="config.yaml")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    try:
        cfg = load_config(args.config, args.overrides)
    except ConfigError as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    uvicorn.run(create_app(cfg), host=cfg.serve.host, port=cfg.serve.port, log_level="info")
    return 0


if __name__ == "__main__":
    sys.exit(main())

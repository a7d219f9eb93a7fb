"""`python -m ragtune <command> ...` is the `ragtune` command."""

from ragtune.cli import main

if __name__ == "__main__":
    raise SystemExit(main())

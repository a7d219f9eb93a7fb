"""`python -m ragtune.evaluation` (`make eval`)."""

from ragtune.evaluation.evaluate import main

if __name__ == "__main__":
    raise SystemExit(main())

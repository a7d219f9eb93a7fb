"""`python -m ragtune.evaluation` = `ragtune eval` (`make eval`)."""

from ragtune.cli import run_stage

if __name__ == "__main__":
    raise SystemExit(run_stage("eval"))

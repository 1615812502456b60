"""The AI evaluation harness as a benchmark: every prediction trained on a planted history
in its own scratch database and scored on that history's future, with the issue's targets.

    .venv/bin/python -m bench.ai_eval                 # every prediction, SQLite scratch files
    .venv/bin/python -m bench.ai_eval --kind churn --size 2

BENCH_DATABASE_URL points the scratch databases at PostgreSQL instead (their schema is
dropped and rebuilt: never point it at a database you keep). The same figures come from
`flask rapport ai-eval`. Exits 1 when a target is not met.
"""

from __future__ import annotations

import argparse
import os
import sys


def main(argv=None) -> int:
    from app.models.predictions import PredictionKind
    from app.services.predictions import harness

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--kind", action="append", choices=[k.value.lower() for k in PredictionKind]
    )
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--size", type=float, default=1.0)
    args = parser.parse_args(argv)
    kinds = [PredictionKind(kind.upper()) for kind in args.kind] if args.kind else None
    results = harness.run(
        kinds, seed=args.seed, size=args.size, database_url=os.environ.get("BENCH_DATABASE_URL")
    )
    print(harness.format_results(results))
    return 0 if all(result["met"] for result in results) else 1


if __name__ == "__main__":
    sys.exit(main())

"""Requests/s and latency through the proxy versus straight to the upstream.

Run:  .venv/bin/python -m bench.proxy_throughput [--requests N] [--concurrency C]

Kept for the command in the README; ``bench.pipeline`` measures it (the ``read``
workload), with the enforcement-off passthrough and the 50-entry search besides.
"""

from __future__ import annotations

import argparse
import asyncio

from bench import pipeline

if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--requests", type=int, default=3000)
    parser.add_argument("--concurrency", type=int, default=pipeline.DEFAULT_CONCURRENCY)
    args = parser.parse_args()
    asyncio.run(pipeline.main(args.requests, args.requests // 3, args.concurrency, runs=11))

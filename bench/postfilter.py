"""Time of the post-call check on a ~5 MB searchset Bundle.

Run:  .venv/bin/python -m bench.postfilter [--megabytes 5] [--runs 11] [--seed 42]

Three searchset Bundles of about the size asked for, from the sandbox's synthetic data
(``smart_proxy.sandbox``) copied with fresh ids: "mixed" (every resource of the 8-patient
data set, ~1 KB each, so many small entries: the hard case), "observations" (Observations
with a generated narrative, ~2.5 KB each, like a real lab search) and "own" (only patient
p1's records: the answer to a search the proxy narrowed to the patient, where everything
is kept and every entry is read in full).  Per run it times ``orjson.loads`` of the
upstream bytes, ``filter_answer`` with a ``patient/*.rs`` grant for patient p1 (type scope
+ membership + labels + contained; in "mixed" and "observations" most entries belong to
other patients and are removed, which also frees them inside the timed step), and
``orjson.dumps`` of the result.  Prints the median of each step and of the total, in ms,
and the filter's time relative to the parse that any proxy must do anyway.
"""

from __future__ import annotations

import argparse
import statistics
import time
from collections.abc import Callable
from typing import Any

import orjson

from scopes.labels import DEFAULT_WITHHELD
from scopes.postfilter import build_check, filter_answer
from scopes.scopeset import ScopeSet
from smart_proxy.sandbox.synthetic import generate

BASE = "https://upstream.example/fhir"
SHAPES = ("mixed", "observations", "own")


def searchset(seed: int, megabytes: float, shape: str = "mixed") -> bytes:
    """A searchset Bundle of about ``megabytes`` MB of sandbox resources, copied."""
    resources = generate(seed, 8)
    if shape == "observations":
        resources = [_with_narrative(r) for r in resources if r["resourceType"] == "Observation"]
    elif shape == "own":
        resources = [r for r in resources if _of_p1(r)]
    target = megabytes * 1_000_000
    entries: list[dict[str, Any]] = []
    size, copy = 0, 0
    while size < target:
        for resource in resources:
            clone = dict(resource, id=f"{resource['id']}-{copy}")
            entries.append({
                "fullUrl": f"{BASE}/{clone['resourceType']}/{clone['id']}",
                "resource": clone,
                "search": {"mode": "match"},
            })
            size += len(orjson.dumps(clone)) + 80
            if size >= target:
                break
        copy += 1
    bundle = {
        "resourceType": "Bundle", "type": "searchset", "total": len(entries),
        "link": [{"relation": "self", "url": f"{BASE}/Observation?patient=p1"}],
        "entry": entries,
    }
    return orjson.dumps(bundle)


def _of_p1(resource: dict[str, Any]) -> bool:
    if resource["resourceType"] == "Patient":
        return bool(resource["id"] == "p1")
    subject = resource.get("subject") or resource.get("patient") or {}
    return bool(subject.get("reference") == "Patient/p1")


def _with_narrative(resource: dict[str, Any]) -> dict[str, Any]:
    rows = "".join(f"<tr><td>{key}</td><td>{str(value)[:60]}</td></tr>"
                   for key, value in resource.items())
    div = f'<div xmlns="http://www.w3.org/1999/xhtml"><table>{rows}{rows}</table></div>'
    return dict(resource, text={"status": "generated", "div": div})


def timed(step: Callable[[], Any]) -> tuple[Any, float]:
    start = time.perf_counter()
    result = step()
    return result, (time.perf_counter() - start) * 1000


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--megabytes", type=float, default=5.0)
    parser.add_argument("--runs", type=int, default=11)
    parser.add_argument("--seed", type=int, default=42)
    args = parser.parse_args()
    for shape in SHAPES:
        run(shape, searchset(args.seed, args.megabytes, shape), args.runs)


def run(shape: str, body: bytes, runs: int) -> dict[str, float]:
    """Time ``runs`` passes over ``body``, print them; the median of each step, in ms."""
    scopes = ScopeSet.from_strings(["patient/*.rs"])
    steps: dict[str, list[float]] = {"loads": [], "filter": [], "dumps": [], "total": []}
    for _ in range(runs):
        times, (kept, removed, answer) = _one_run(body, scopes)
        for name, value in zip(steps, (*times, sum(times)), strict=True):
            steps[name].append(value)
    print(f"{shape} searchset: {len(body) / 1e6:.2f} MB, {kept + removed} entries; "
          f"kept {kept}, removed {removed}; answer {answer / 1e6:.2f} MB; {runs} runs")
    for name, values in steps.items():
        print(f"  {name:<7} median {statistics.median(values):7.1f} ms   "
              f"min {min(values):7.1f} ms")
    medians = {name: statistics.median(values) for name, values in steps.items()}
    print(f"  filter / loads = {medians['filter'] / medians['loads']:.2f}")
    return medians


def _one_run(body: bytes, scopes: ScopeSet) -> tuple[tuple[float, float, float],
                                                     tuple[int, int, int]]:
    """(loads, filter, dumps) in ms, (kept, removed, answer bytes); nothing outlives it."""
    document, loads_ms = timed(lambda: orjson.loads(body))
    check = build_check(scopes, "p1", {"patient"}, DEFAULT_WITHHELD, "s")
    result, filter_ms = timed(lambda: filter_answer(
        document, check, contained_check=check.contained, strip_total=True))
    out, dumps_ms = timed(lambda: orjson.dumps(result.document))
    return (loads_ms, filter_ms, dumps_ms), (len(result.document["entry"]), result.removed,
                                             len(out))


if __name__ == "__main__":
    main()

"""Differential test: run the driver's scenario against the reference server
and a candidate, and compare the outcomes step by step.

    python compare.py --reference URL1 --candidate URL2 [--scenario owner|probe] [--differences FILE]

``--scenario`` picks the driver's table and, for ``--reference auto``, the
reference project: ``owner`` (default) runs ``SCENARIO`` against ``reference/``
with ``differences.json``; ``probe`` runs ``PROBE_SCENARIO`` against
``probe/`` (rules from ``probe/rules.json``) with ``differences-probe.json``.

``--reference`` / ``--candidate`` each take a base URL, a results file written
by ``driver.py --out`` (so a recorded run can be re-checked), or, for
``--reference`` only, ``auto``: start the reference ``langgraph dev`` on a free
port for the duration of the run.

Every step must agree on ``status``, ``visible`` and ``fields``. A step named
in the differences file is instead checked against its entry

    {"<step>": {"reference": {...}, "candidate": {...}, "why": "..."}}

where each side's record must match its expected outcome exactly: every key
given there (``status``, ``visible``, ``fields``) must be equal, and any key
not given must still be equal between the two sides. So every difference is
asserted explicitly, and a listed difference that goes away fails too.
An entry for a step that is not in the scenario fails.

Exit status: 0 on full agreement, 1 on any mismatch, 2 on usage errors.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import driver  # noqa: E402

COMPARED = ("status", "visible", "fields")
# scenario → (reference project dir, default differences file)
SCENARIOS = {
    "owner": (HERE / "reference", HERE / "differences.json"),
    "probe": (HERE / "probe", HERE / "differences-probe.json"),
}
OUTCOME_KEYS = set(COMPARED)


def _outcome(rec: dict[str, Any]) -> dict[str, Any]:
    return {k: rec.get(k) for k in COMPARED}


def _load_or_run(source: str, label: str, out_dir: str | None, scenario: str) -> list[dict[str, Any]]:
    if source.endswith(".json") and os.path.exists(source):
        with open(source) as f:
            return json.load(f)
    print(f"==> running the scenario against the {label}: {source}", file=sys.stderr)
    results = driver.run_scenario(source.rstrip("/"), scenario=scenario)
    if out_dir:
        Path(out_dir).mkdir(parents=True, exist_ok=True)
        path = Path(out_dir) / f"{label}.json"
        path.write_text(json.dumps(results, indent=1) + "\n")
        print(f"    results written to {path}", file=sys.stderr)
    return results


def _fmt(v: Any) -> str:
    return json.dumps(v, sort_keys=True)


def compare(
    reference: list[dict[str, Any]],
    candidate: list[dict[str, Any]],
    differences: dict[str, Any],
) -> list[str]:
    """Returns a list of human-readable problems (empty = agreement)."""
    problems: list[str] = []
    ref = {r["step"]: r for r in reference}
    cand = {r["step"]: r for r in candidate}
    order = [r["step"] for r in reference] + [s for s in cand if s not in ref]

    for step in differences:
        if step not in ref and step not in cand:
            problems.append(f"{step}: listed in the differences file but not a step of the scenario")

    for step in order:
        if step not in ref:
            problems.append(f"{step}: only in the candidate's results")
            continue
        if step not in cand:
            problems.append(f"{step}: missing from the candidate's results")
            continue
        r, c = _outcome(ref[step]), _outcome(cand[step])
        diff = differences.get(step)
        if diff is None:
            bad = [k for k in COMPARED if r[k] != c[k]]
            if bad:
                lines = [f"{step}: reference and candidate differ"]
                for k in bad:
                    lines.append(f"    {k:8} reference={_fmt(r[k])}")
                    lines.append(f"    {'':8} candidate={_fmt(c[k])}")
                problems.append("\n".join(lines))
            continue

        exp_r, exp_c = diff.get("reference"), diff.get("candidate")
        if not isinstance(exp_r, dict) or not isinstance(exp_c, dict):
            problems.append(f"{step}: differences entry needs 'reference' and 'candidate' objects")
            continue
        unknown = (set(exp_r) | set(exp_c)) - OUTCOME_KEYS
        if unknown:
            problems.append(f"{step}: differences entry has unknown keys {sorted(unknown)}")
            continue
        lines = []
        for side, got, exp in (("reference", r, exp_r), ("candidate", c, exp_c)):
            for k, want in exp.items():
                if got[k] != want:
                    lines.append(f"    {side}.{k}: expected {_fmt(want)}, got {_fmt(got[k])}")
        for k in COMPARED:
            if k not in exp_r and k not in exp_c and r[k] != c[k]:
                lines.append(
                    f"    {k} (not listed as a difference): reference={_fmt(r[k])} candidate={_fmt(c[k])}"
                )
        if lines:
            why = diff.get("why", "")
            problems.append(f"{step}: listed difference does not hold ({why})\n" + "\n".join(lines))
    return problems


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--reference", required=True, help="URL, results .json, or 'auto'")
    ap.add_argument("--candidate", required=True, help="URL or results .json")
    ap.add_argument("--scenario", choices=sorted(SCENARIOS), default="owner",
                    help="owner (default) or probe: the driver table and the reference project")
    ap.add_argument("--differences", default=None,
                    help="default: differences.json (owner) / differences-probe.json (probe)")
    ap.add_argument("--out-dir", help="also write reference.json / candidate.json here")
    ap.add_argument("--table", action="store_true", help="print both outcome tables")
    args = ap.parse_args()

    project, default_differences = SCENARIOS[args.scenario]
    if args.differences is None:
        args.differences = str(default_differences)
    try:
        with open(args.differences) as f:
            differences = json.load(f)
    except (OSError, ValueError) as err:
        print(f"compare: cannot read {args.differences}: {err}", file=sys.stderr)
        return 2
    if not isinstance(differences, dict):
        print(f"compare: {args.differences} must hold a JSON object", file=sys.stderr)
        return 2

    server = None
    reference_src = args.reference
    if reference_src == "auto":
        from reference_server import ReferenceServer  # noqa: PLC0415

        server = ReferenceServer(project=project).start()
        print(f"==> reference server at {server.url} (ready in {server.startup_seconds:.1f}s)", file=sys.stderr)
        reference_src = server.url
    try:
        reference = _load_or_run(reference_src, "reference", args.out_dir, args.scenario)
    finally:
        if server is not None:
            server.stop()
    candidate = _load_or_run(args.candidate, "candidate", args.out_dir, args.scenario)

    if args.table:
        print("reference:\n" + driver.format_table(reference, args.scenario) + "\n")
        print("candidate:\n" + driver.format_table(candidate, args.scenario) + "\n")

    problems = compare(reference, candidate, differences)
    n = len({r["step"] for r in reference} | {r["step"] for r in candidate})
    listed = sum(1 for s in differences if s in {r["step"] for r in reference})
    if problems:
        print("\n\n".join(problems))
        print(f"\nFAIL: {len(problems)} of {n} steps disagree ({listed} listed differences)")
        return 1
    print(f"OK: all {n} steps agree ({listed} of them as listed differences)")
    return 0


if __name__ == "__main__":
    sys.exit(main())

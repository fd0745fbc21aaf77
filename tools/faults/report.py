"""`python -m tools.faults [--orders N] [--seed S] [--faults SPEC]`: convergence under faults.

Runs the same book twice through the real engine and both simulators (see `faultrun`): once without
faults, once with the spec. Reports faults injected by type, retries, cycles to converge, ConnectWise
writes against the fault-free minimum, and the final state check (same ConnectWise state, no note
twice, no stage lost or reversed). A third run races two writers on the one tenant under the same
faults (`race.py`) and counts the notes written twice: the writer lease must keep that at 0. Ends
with one JSON line of the figures; exits 1 if a check fails.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from orderbridge.core.domain import Stage
from orderbridge.simulators.fault_spec import parse_fault_spec
from tools.faults.race import RaceResult, race_two_writers
from tools.faults.run import RunResult, comparable, run_world

# The mix: 10% TD SYNNEX 5xx, 5% timeouts, ConnectWise 429 bursts, 1% malformed replies on both.
DEFAULT_FAULTS = (
    "tds:5xx=0.1,timeout=0.05,malformed=0.01,latency=200ms~p99:2s,seed={seed};"
    "cw:429burst=20/60s,5xx=0.02,timeout=0.01,reset=0.01,truncated=0.01,malformed=0.01,seed={seed2}"
)
CYCLES = 16  # "fast" orders ship within 5 days and invoice within 3 more; closing follows a week later
STEP = timedelta(hours=24)
MAX_EXTRA_CYCLES = 10


@dataclass
class FaultReport:
    orders: int
    seed: int
    spec: str
    baseline: RunResult
    faulty: RunResult
    race: RaceResult | None = None  # two writers on one tenant (None: not run)

    @property
    def state_matches(self) -> bool:
        """Byte for byte, notes and path-dependent fields included (informative: see `converged`)."""
        return self.faulty.snapshot == self.baseline.snapshot

    @property
    def converged(self) -> bool:
        """Headers and lines as the fault-free run left them (see faultrun.comparable)."""
        return comparable(self.faulty.snapshot) == comparable(self.baseline.snapshot)

    @staticmethod
    def _reached(run: RunResult) -> dict[str, set[int | None]]:
        reached: dict[str, set[int | None]] = {}
        for stages in run.stages:
            for po, stage in stages.items():
                reached.setdefault(po, set()).add(stage)
        return reached

    def note_differences(self) -> tuple[list[str], list[str]]:
        """(faulty-run notes for a stage the fault-free run also reached but noted differently, fault-free
        notes missing from the faulty run for a stage it did reach). Observation times differ a little
        between the runs, so a stage only one of them saw may have a note only in that one."""
        extra, missing = [], []
        reached, base_reached = self._reached(self.faulty), self._reached(self.baseline)
        for po, base in self.baseline.snapshot.items():
            got = self.faulty.snapshot.get(po, {"notes": []})["notes"]
            for note in got:
                stage = _note_stage(note)
                if note not in base["notes"] and (stage is None or stage in base_reached.get(po, set())):
                    extra.append(f"{po}: {note[:60]}")
            for note in base["notes"]:
                stage = _note_stage(note)
                if note not in got and (stage is None or stage in reached.get(po, set())):
                    missing.append(f"{po}: {note[:60]}")
        return extra, missing

    @property
    def extra_cycles(self) -> int | None:
        reached = self.faulty.converged_at
        return None if reached is None else max(0, reached - self.baseline.cycles)

    @property
    def mismatched_pos(self) -> list[str]:
        base, got = comparable(self.baseline.snapshot), comparable(self.faulty.snapshot)
        return sorted(po for po in base.keys() | got.keys() if base.get(po) != got.get(po))

    def lost_transitions(self) -> list[str]:
        """Stages the fault-free run recorded that the faulty run never did, although it synced that PO in
        a cycle where the fault-free run saw that stage and itself saw nothing later. Skipped, not lost: a
        stage visible only in cycles where the PO failed (it moves straight on, as a slower poll would),
        or one the faulty run's clock had already passed (its waits move simulated time a little ahead)."""
        lost = []
        cycles = min(self.baseline.cycles, self.faulty.cycles)
        reached = self._reached(self.faulty)
        for index in range(cycles):
            seen = self.faulty.stages[index]
            for po, stage in self.baseline.stages[index].items():
                if stage is None or stage in reached.get(po, set()) or po not in self.faulty.synced[index]:
                    continue
                if (seen.get(po) or 0) <= stage:
                    lost.append(f"{po}:{stage}")
        return sorted(set(lost))

    def figures(self) -> dict[str, Any]:
        extra_notes, missing_notes = self.note_differences()
        return {
            "orders": self.orders,
            "seed": self.seed,
            "faults_injected": sum(self.faulty.faults.values()),
            "faults_by_type": dict(sorted(self.faulty.faults.items())),
            "retries": sum(self.faulty.retries.values()),
            "retries_by_reason": dict(sorted(self.faulty.retries.items())),
            "baseline_cycles": self.baseline.cycles,
            "cycles_run": self.faulty.cycles,
            "failed_cycles": self.faulty.failed_cycles,
            "extra_cycles_to_converge": self.extra_cycles,
            "writes_minimum": self.baseline.writes_applied,
            "writes_applied": self.faulty.writes_applied,
            "writes_attempted": self.faulty.writes_attempted,
            "converged": self.converged,
            "identical_including_notes": self.state_matches,
            "mismatched_pos": len(self.mismatched_pos),
            "duplicate_notes": self.faulty.duplicate_notes,
            "extra_notes": len(extra_notes),
            "missing_notes": len(missing_notes),
            "lost_transitions": len(self.lost_transitions()),
            "backwards_transitions": self.faulty.backwards,
            **self._race_figures(),
        }

    def _race_figures(self) -> dict[str, Any]:
        race = self.race
        if race is None:
            return {}
        return {
            "two_writers_rounds": race.rounds,
            "two_writers_cycles": sum(race.synced.values()),
            "two_writers_refused": race.refused,
            "two_writers_waited": race.waited,
            "two_writers_lease_lost": race.lease_lost,
            "two_writers_failed_cycles": race.failed,
            "two_writers_duplicate_notes": race.duplicate_notes,
        }

    @property
    def ok(self) -> bool:
        f = self.figures()
        checks = ("duplicate_notes", "extra_notes", "missing_notes", "lost_transitions", "two_writers_duplicate_notes")
        clean = not any(f.get(k) for k in checks)
        return bool(f["converged"] and clean and not f["backwards_transitions"])


async def fault_trial(
    *,
    orders: int = 500,
    seed: int = 1,
    faults: str | None = None,
    cycles: int = CYCLES,
    step: timedelta = STEP,
    two_writers: bool = True,
) -> FaultReport:
    """Both runs on the same book and schedule; the faulty one may take up to MAX_EXTRA_CYCLES more.
    With `two_writers`, a third run races two writers on the tenant under the same faults."""
    spec = faults if faults is not None else DEFAULT_FAULTS.format(seed=seed, seed2=seed + 1)
    parse_fault_spec(spec)  # a bad spec fails before either run
    baseline = await run_world(orders=orders, seed=seed, faults=None, cycles=cycles, step=step)
    faulty = await run_world(
        orders=orders,
        seed=seed,
        faults=spec,
        cycles=cycles,
        step=step,
        target=baseline.snapshot,
        max_extra=MAX_EXTRA_CYCLES,
    )
    race = (
        await race_two_writers(orders=orders, seed=seed, faults=spec, cycles=cycles, step=step) if two_writers else None
    )
    return FaultReport(orders=orders, seed=seed, spec=spec, baseline=baseline, faulty=faulty, race=race)


def _note_stage(note: str) -> int | None:
    """The stage a note is about, from its `[orderbridge:stage:NAME]` marker (None: not a stage note)."""
    marker = note.rpartition("[orderbridge:stage:")[2].partition("]")[0]
    return int(Stage[marker]) if marker in Stage.__members__ else None


def render(report: FaultReport) -> list[str]:
    f = report.figures()
    check = "PASS" if report.ok else "FAIL"
    lines = [
        f"Fault report: {report.orders} POs, seed {report.seed}",
        f"  spec: {report.spec}",
        f"  faults injected: {f['faults_injected']}",
        *(f"    {kind:<16} {count}" for kind, count in f["faults_by_type"].items()),
        f"  retries: {f['retries']}",
        *(f"    {why:<16} {count}" for why, count in f["retries_by_reason"].items()),
        f"  cycles: {f['cycles_run']} run, {f['failed_cycles']} ended early; fault-free run needed "
        f"{f['baseline_cycles']}; extra cycles to converge: {f['extra_cycles_to_converge']}",
        f"  ConnectWise writes: {f['writes_applied']} applied ({f['writes_attempted']} attempted) "
        f"against a minimum of {f['writes_minimum']}",
        f"  final state: {'same as the fault-free run' if f['converged'] else 'DIFFERS'}"
        f" ({f['mismatched_pos']} POs differ; identical including notes: {f['identical_including_notes']})",
        f"  notes: {f['duplicate_notes']} duplicate, {f['extra_notes']} extra, {f['missing_notes']} missing; "
        f"stage changes: {f['lost_transitions']} lost, {f['backwards_transitions']} backwards: {check}",
    ]
    if report.race is not None:
        race = report.race
        verdict = "PASS" if race.duplicate_notes == 0 else "FAIL"
        lines.append(
            f"  two writers on one tenant: {race.rounds} rounds, {f['two_writers_cycles']} cycles synced "
            f"({race.waited} after waiting for the lease), {race.refused} refused as busy, "
            f"{race.lease_lost} stopped by a lost lease, {race.failed} failed by faults; "
            f"notes: {race.notes} written, {race.duplicate_notes} duplicate: {verdict}"
        )
    extra_notes, missing_notes = report.note_differences()
    lines += [f"    differs: {po}" for po in report.mismatched_pos[:10]]
    lines += [f"    lost: {item}" for item in report.lost_transitions()[:10]]
    lines += [f"    extra note: {item}" for item in extra_notes[:5]]
    lines += [f"    missing note: {item}" for item in missing_notes[:5]]
    return lines


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tools.faults", description=__doc__)
    parser.add_argument("--orders", type=int, default=500, help="POs in the book (default 500)")
    parser.add_argument("--seed", type=int, default=1, help="seed of the book and the fault dice (default 1)")
    parser.add_argument("--faults", default=None, help="a --faults spec (default: the issue's mix)")
    parser.add_argument(
        "--no-two-writers", dest="two_writers", action="store_false", help="skip the two-writer race on one tenant"
    )
    args = parser.parse_args(argv)
    if args.orders < 1:
        parser.error("--orders must be at least 1")
    report = asyncio.run(
        fault_trial(orders=args.orders, seed=args.seed, faults=args.faults, two_writers=args.two_writers)
    )
    for line in render(report):
        print(line)
    print(json.dumps(report.figures(), sort_keys=True))
    return 0 if report.ok else 1


if __name__ == "__main__":
    sys.exit(main())

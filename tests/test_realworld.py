"""The real-world benchmark's cases and runner: every case is well formed and cites its source;
two cases run end to end through the runner (a real program and a healthy model)."""

import ast
from pathlib import Path

import pytest

from benchmarks.realworld import runner
from experiments.doctor import CAUSES

REQUIRED = ("id", "source", "cause", "layers")


def case_dicts():
    out = {}
    for path in runner.case_paths():
        tree = ast.parse(path.read_text())
        doc = ast.get_docstring(tree) or ""
        case = next(ast.literal_eval(node.value) for node in tree.body
                    if isinstance(node, ast.Assign)
                    and getattr(node.targets[0], "id", None) == "CASE")
        out[path.stem] = (case, doc)
    return out


def test_every_case_is_well_formed_and_cites_its_source():
    cases = case_dicts()
    assert len(cases) >= 40
    for stem, (case, doc) in cases.items():
        assert all(key in case for key in REQUIRED), stem
        assert case["id"] == stem
        assert "Source:" in doc or "source" in doc.lower(), stem
        if case.get("healthy"):
            assert case["cause"] is None, stem
        elif case["cause"] is None:
            assert case.get("other"), stem  # a settled cause outside the vocabulary
        else:
            assert case["cause"] in CAUSES, (stem, case["cause"])
            assert all(c in CAUSES for c in case.get("also", ())), stem
    healthy = [s for s, (c, _) in cases.items() if c.get("healthy")]
    assert len(healthy) >= 15


def test_split_is_fixed_by_the_id():
    ids = sorted(case_dicts())
    splits = [runner.split_of(i) for i in ids]
    assert splits == [runner.split_of(i) for i in ids]
    assert 0.2 < splits.count("calibration") / len(splits) < 0.5


@pytest.mark.parametrize("stem, expected", [("gh_keras-team_keras_10607", "softmax_single_unit"),
                                             ("healthy_structured_binary", None)])
def test_runner_trains_and_diagnoses_a_case(stem, expected):
    path = Path(runner.CASES) / f"{stem}.py"
    rec = runner.run_case(path, seed=0)
    assert rec["status"] == "ok", rec.get("error")
    flagged, causes = runner.doctor_call(rec)
    if expected is None:
        assert not rec["truth"]["collapsed"] and not flagged
    else:
        assert rec["truth"]["collapsed"] and flagged and causes[0] == expected
    summary, per_cause, _ = runner.score([rec], "all")
    assert "| crashes (a traceback) | 0 of 1 |" in summary

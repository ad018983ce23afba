"""The command line: exact exit codes, output, and the plan folder it writes."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pandas as pd
import pytest
from click.testing import CliRunner

from cesched.cli import main
from cesched.figures import figure

DATA = Path(__file__).parent / "data"
SAMPLES = DATA / "samples"


def run(*args: str):
    return CliRunner().invoke(main, list(args), catch_exceptions=False)


def test_every_command_has_help():
    for name, command in main.commands.items():
        assert command.help, name
        result = run(name, "--help")
        assert result.exit_code == 0 and "Usage:" in result.output


def test_check_accepts_a_sample_and_summarises_it():
    result = run("check", str(SAMPLES / "tiny-allow"))
    assert result.exit_code == 0, result.output
    assert "17 staff" in result.output and "shift_overlap = allow" in result.output
    assert "seat-hours offered" in result.output


def test_check_lists_every_problem_and_exits_2():
    result = run("check", str(DATA / "dozen-mistakes"))
    assert result.exit_code == 2
    assert "18 problem(s) in the input" in result.output
    assert "shifts.csv:5: error, column 'start', value '2027/03/04 08:00'" in result.output


def test_solve_writes_the_plan_folder(tmp_path):
    out = tmp_path / "plan"
    result = run("solve", str(SAMPLES / "tiny-forbid"), "-o", str(out), "--time-limit", "60",
                 "--workers", "2", "--quiet")
    assert result.exit_code == 0, result.output
    assert result.output.startswith("optimal: shortfall 566 h")
    assert sorted(p.name for p in out.iterdir()) == [
        "assignments.csv", "session_report.csv", "staff_report.csv", "summary.json", "unit_report.csv"]
    summary = json.loads((out / "summary.json").read_text())
    assert [s["value"] for s in summary["stages"]] == [566, 70, 0, 19, 396, 17, 5400, 44820]
    assert all(s["proven_optimal"] for s in summary["stages"])
    assert len(summary["input"]["digest_sha256"]) == 64
    assignments = pd.read_csv(out / "assignments.csv", dtype=str)
    assert list(assignments.columns) == ["staff_id", "session_id", "course_id", "category", "hours", "fee",
                                         "start", "end", "venue_id", "overlap_minutes"]
    assert not list(tmp_path.glob(".plan.*"))  # no temporary folder left behind


def test_solve_refuses_a_plan_folder_inside_the_dataset(tmp_path):
    ds = tmp_path / "ds"
    shutil.copytree(SAMPLES / "tiny-forbid", ds)
    before = sorted(p.name for p in ds.iterdir())
    result = run("solve", str(ds), "-o", str(ds / "plan"), "--quiet")
    assert result.exit_code == 2
    assert sorted(p.name for p in ds.iterdir()) == before


def test_solve_on_bad_input_exits_2_and_writes_nothing(tmp_path):
    out = tmp_path / "plan"
    result = run("solve", str(DATA / "dozen-mistakes"), "-o", str(out))
    assert result.exit_code == 2
    assert not out.exists()


def test_solve_greedy_method(tmp_path):
    out = tmp_path / "desk"
    result = run("solve", str(SAMPLES / "tiny-allow"), "-o", str(out), "--method", "greedy", "--quiet")
    assert result.exit_code == 0, result.output
    summary = json.loads((out / "summary.json").read_text())
    assert summary["method"] == "greedy" and summary["stages"] == []


def test_generate_then_check(tmp_path):
    out = tmp_path / "district"
    result = run("generate", str(out), "--staff", "60", "--seed", "3")
    assert result.exit_code == 0, result.output
    assert run("check", str(out)).exit_code == 0
    again = run("generate", str(out), "--staff", "60")
    assert again.exit_code == 1 and "choose a new or empty folder" in again.output


def test_audit_passes_an_engine_plan_and_flags_a_broken_one(tmp_path):
    out = tmp_path / "plan"
    assert run("solve", str(SAMPLES / "tiny-forbid"), "-o", str(out), "--time-limit", "60", "--quiet").exit_code == 0
    clean = run("audit", str(SAMPLES / "tiny-forbid"), str(out))
    assert clean.exit_code == 0 and "every rule holds" in clean.output
    assert "1. shortfall (credit h)" in clean.output and "566" in clean.output
    assert "44,820" in clean.output  # training minutes, in the summary's number format
    broken = tmp_path / "assignments.csv"
    rows = (out / "assignments.csv").read_text().splitlines()
    broken.write_text("\n".join(rows + [rows[1]]) + "\n")  # the same pair twice
    result = run("audit", str(SAMPLES / "tiny-forbid"), str(broken))
    assert result.exit_code == 1
    assert "duplicate_assignment" in result.output


@pytest.mark.parametrize("value, shown", [(1_660_680.0, "1,660,680"), (1588.484, "1,588.48"), (43.5, "43.5"),
                                          (0.0, "0"), (-0.001, "0"), (100.0, "100"), (-12.25, "-12.25")])
def test_figures_are_never_in_exponent_form(value, shown):
    assert figure(value) == shown


def test_audit_of_a_file_without_the_columns_exits_2(tmp_path):
    bad = tmp_path / "assignments.csv"
    bad.write_text("person,session\nS000001,X00002\n")
    result = run("audit", str(SAMPLES / "tiny-forbid"), str(bad))
    assert result.exit_code == 2
    assert "column 'staff_id'" in result.output and "column 'session_id'" in result.output


#: the CLI, with every thread's stack dumped on SIGUSR1: a run that does not stop says where it is
_CLI_WITH_STACKS = ("import faulthandler, signal; faulthandler.register(signal.SIGUSR1, all_threads=True); "
                    "from cesched.cli import main; main()")


@pytest.mark.parametrize("after", [2.5, 6.0])  # during the LP bound (it takes 5 s), then the search
def test_ctrl_c_writes_the_best_plan_marked_interrupted(tmp_path, after):
    import signal
    import subprocess
    import sys
    import time

    out = tmp_path / "plan"
    scenario = Path(__file__).parent.parent / "scenarios" / "qingshan"
    proc = subprocess.Popen([sys.executable, "-c", _CLI_WITH_STACKS, "solve", str(scenario), "-o", str(out),
                             "--time-limit", "120", "--quiet"], stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    time.sleep(after)
    proc.send_signal(signal.SIGINT)
    asked = time.monotonic()
    try:
        stdout, stderr = proc.communicate(timeout=30)
    except subprocess.TimeoutExpired:
        proc.send_signal(signal.SIGUSR1)
        time.sleep(1)
        proc.kill()
        stdout, stderr = proc.communicate()
        pytest.fail("still running 30 s after Ctrl-C; its threads were at:\n" + stderr.decode()[-6000:])
    assert time.monotonic() - asked < 15  # the LP stops at its next iteration, searches at once
    assert proc.returncode == 0, stderr.decode()
    summary = json.loads((out / "summary.json").read_text())
    assert summary["status"] == "interrupted" and summary["interrupted"] is True
    assert stdout.decode().startswith("interrupted: shortfall")


def test_ctrl_c_is_noted_not_raised_and_a_second_one_abandons_the_run():
    """The first Ctrl-C cannot land as an exception in the middle of the CLI's own bookkeeping; a
    second one is the way out of a run that will not stop; the previous handler comes back."""
    import os
    import signal

    from cesched.cli import _ctrl_c_asks

    before = signal.getsignal(signal.SIGINT)
    with pytest.raises(KeyboardInterrupt):
        with _ctrl_c_asks() as asked:
            os.kill(os.getpid(), signal.SIGINT)
            assert asked
            os.kill(os.getpid(), signal.SIGINT)
    assert signal.getsignal(signal.SIGINT) is before


def test_solve_by_region_writes_the_merged_plan_with_a_region_table(tmp_path):
    data = tmp_path / "district"
    assert run("generate", str(data), "--staff", "600", "--seed", "2").exit_code == 0
    out = tmp_path / "plan"
    result = run("solve", str(data), "-o", str(out), "--by-region", "--region-staff", "200", "--jobs", "2",
                 "--time-limit", "12", "--workers", "1")
    assert result.exit_code == 0, result.output
    assert "region R1:" in result.output and "not proven" in result.output
    regions = pd.read_csv(out / "regions.csv")
    assert len(regions) >= 2 and regions["staff"].sum() == 600
    assert json.loads((out / "summary.json").read_text())["model"]["regions"] == len(regions)
    assert run("audit", str(data), str(out / "assignments.csv")).exit_code == 0


def test_by_region_options_need_each_other(tmp_path):
    sample = str(SAMPLES / "tiny-forbid")
    assert run("solve", sample, "-o", str(tmp_path / "a"), "--jobs", "2").exit_code == 2
    result = run("solve", sample, "-o", str(tmp_path / "b"), "--by-region", "--lock", sample + "/staff.csv")
    assert result.exit_code == 2 and "--by-region" in result.output


def test_a_plan_the_audit_rejects_is_flagged_invalid_and_exits_1(tmp_path, monkeypatch):
    """The engine's own plan is judged before it is reported: a broken rule (here a pair listed
    twice, as a defect would) is never passed off as a plan, let alone an optimal one."""
    from cesched.solve import run as engine

    real = engine.assignments_frame

    def twice_the_first_row(*args):
        frame = real(*args)
        return pd.concat([frame, frame.head(1)], ignore_index=True)

    monkeypatch.setattr(engine, "assignments_frame", twice_the_first_row)
    out = tmp_path / "plan"
    result = run("solve", str(SAMPLES / "tiny-forbid"), "-o", str(out), "--time-limit", "10", "--quiet")
    assert result.exit_code == 1
    assert "breaks 1 rule instance(s) (duplicate_assignment 1)" in result.output
    summary = json.loads((out / "summary.json").read_text())
    assert summary["status"] == "invalid" and summary["rules_broken"] == {"duplicate_assignment": 1}
    assert not any(s["proven_optimal"] for s in summary["stages"])
    assert pd.read_csv(out / "violations.csv")["rule"].tolist() == ["duplicate_assignment"]


def test_a_plan_folder_with_a_region_table_can_be_written_again(tmp_path):
    from cesched.io.plan_files import check_output_folder

    out = tmp_path / "plan"
    out.mkdir()
    for name in ("assignments.csv", "summary.json", "regions.csv", "changes.csv", "violations.csv"):
        (out / name).write_text("x\n")
    check_output_folder(out, None)  # raises on files that are not a plan's

"""Validation: every mistake reported at once, precisely; both encodings; warnings."""

from __future__ import annotations

import shutil
from pathlib import Path

import pandas as pd
import pytest

import cesched
from cesched.problems import DatasetError

DATA = Path(__file__).parent / "data"
SAMPLES = DATA / "samples"


def _errors(path: Path) -> list[tuple]:
    with pytest.raises(DatasetError) as info:
        cesched.load_dataset(path)
    return [(p.file, p.line, p.column, p.value) for p in info.value.errors]


def test_dozen_mistakes_are_all_listed_with_file_line_column_value():
    errors = _errors(DATA / "dozen-mistakes")
    expected = {
        ("policy.toml", 6, "rules.shift_overlap", "sometimes"),
        ("policy.toml", 8, "rules.coffee_breaks", "2"),
        ("units.csv", 4, "unit_id", "U1"),
        ("units.csv", 3, "budget", "-100"),
        ("units.csv", 3, "max_absent", "x"),
        ("staff.csv", 4, "field", ""),
        ("staff.csv", 3, "unit_id", "U9"),
        ("staff.csv", 3, "done_public", "abc"),
        ("shifts.csv", 4, "staff_id", "S7"),
        ("shifts.csv", 5, "start", "2027/03/04 08:00"),
        ("shifts.csv", 3, "end", "2027-03-02 08:00"),
        ("courses.csv", 4, "category", "mandatory"),
        ("courses.csv", 3, "hours", "0"),
        ("courses.csv", 3, "fee", "-50"),
        ("venues.csv", 2, "capacity", "-5"),
        ("sessions.csv", 4, "course_id", "C9"),
        ("sessions.csv", 4, "venue_id", "V7"),
        ("sessions.csv", 3, "course_id", "C2"),
    }
    assert set(errors) == expected


def test_error_text_says_what_was_expected():
    with pytest.raises(DatasetError) as info:
        cesched.load_dataset(DATA / "dozen-mistakes")
    text = str(info.value)
    assert "shifts.csv:5: error, column 'start', value '2027/03/04 08:00': not a valid time" in text
    assert "(expected a local time YYYY-MM-DD HH:MM)" in text
    assert "duplicate id (first on line 2)" in text


def test_unknown_column_is_a_warning(tmp_path):
    ds_dir = tmp_path / "d"
    shutil.copytree(SAMPLES / "tiny-forbid", ds_dir)
    staff = (ds_dir / "staff.csv").read_text().splitlines()
    staff = [staff[0] + ",shoe_size"] + [line + ",42" for line in staff[1:]]
    (ds_dir / "staff.csv").write_text("\n".join(staff) + "\n")
    ds = cesched.load_dataset(ds_dir)
    assert any(w.column == "shoe_size" and w.severity == "warning" for w in ds.warnings)


@pytest.mark.parametrize("missing", ["units.csv", "staff.csv", "shifts.csv", "courses.csv", "venues.csv", "sessions.csv"])
def test_missing_required_file(tmp_path, missing):
    ds_dir = tmp_path / "d"
    shutil.copytree(SAMPLES / "tiny-forbid", ds_dir)
    (ds_dir / missing).unlink()
    errors = _errors(ds_dir)
    assert (missing, None, None, None) in errors


def test_missing_required_column_and_travel_optional(tmp_path):
    ds_dir = tmp_path / "d"
    shutil.copytree(SAMPLES / "tiny-forbid", ds_dir)
    (ds_dir / "travel.csv").unlink()
    text = (ds_dir / "courses.csv").read_text().replace("category,", "kind,", 1)
    (ds_dir / "courses.csv").write_text(text)
    errors = _errors(ds_dir)
    assert ("courses.csv", 1, "category", None) in errors


def _with_hanzi_names(src: Path, dst: Path, encoding: str, bom: bool = False) -> None:
    shutil.copytree(src, dst)
    lines = (dst / "staff.csv").read_text(encoding="utf-8").splitlines()
    out = [lines[0]]
    for i, line in enumerate(lines[1:]):
        cells = line.split(",")
        cells[1] = "王芳" if i % 2 else "李伟·张"
        out.append(",".join(cells))
    data = ("\n".join(out) + "\n").encode(encoding)
    (dst / "staff.csv").write_bytes((b"\xef\xbb\xbf" if bom else b"") + data)


def test_gb18030_and_utf8_bom_read_the_same(tmp_path):
    _with_hanzi_names(SAMPLES / "tiny-forbid", tmp_path / "gb", "gb18030")
    _with_hanzi_names(SAMPLES / "tiny-forbid", tmp_path / "bom", "utf-8", bom=True)
    gb = cesched.load_dataset(tmp_path / "gb")
    bom = cesched.load_dataset(tmp_path / "bom")
    assert gb.staff_member("S000002").name == "王芳"
    assert gb.staff_member("S000001").name == "李伟·张"
    pd.testing.assert_frame_equal(gb.staff, bom.staff)


def test_sample_saved_as_gb18030_is_read():
    ds = cesched.load_dataset(SAMPLES / "small-gb18030")
    assert len(ds.staff) == 120 and len(ds.units) == 8


def test_undecodable_file_names_the_line(tmp_path):
    ds_dir = tmp_path / "d"
    shutil.copytree(SAMPLES / "tiny-forbid", ds_dir)
    raw = (ds_dir / "venues.csv").read_bytes().splitlines(keepends=True)
    raw[2] = b"V-X,\xff\xfe\xfd,seat,10\n"
    (ds_dir / "venues.csv").write_bytes(b"".join(raw))
    errors = _errors(ds_dir)
    assert ("venues.csv", 3, None, None) in errors


@pytest.mark.parametrize("name", ["tiny-allow", "tiny-forbid", "small-gb18030"])
def test_samples_from_another_system_are_accepted(name):
    ds = cesched.load_dataset(SAMPLES / name)
    assert len(ds.staff) > 0 and not any(w.severity == "error" for w in ds.warnings)


def test_defaults_and_ids_stay_strings(tmp_path):
    ds = cesched.load_dataset(SAMPLES / "tiny-allow")
    assert ds.policy.solver.time_limit_seconds == 60  # absent from this policy.toml: default
    s2 = ds.staff_member("S000002")
    assert (s2.required_public, s2.required_professional) == (24, 48)
    s1 = ds.staff_member("S000001")
    assert (s1.required_public, s1.required_professional) == (30, 60)
    assert s1.max_weekly_hours == 24  # blank cell: policy's cap


def test_session_capacity_is_min_of_cell_and_venues():
    ds = cesched.load_dataset(SAMPLES / "tiny-allow")
    # X00002 has capacity cell 357 on V-ONLINE (240 seats)
    assert ds.session("X00002").capacity == 240


def test_in_memory_frames_validate_like_files():
    frames = {
        "units": pd.DataFrame({"unit_id": ["U1"], "zone": ["seat"], "budget": [""], "max_absent": [""]}),
        "staff": pd.DataFrame({"staff_id": ["S1", "S1"], "unit_id": ["U1", "U2"], "field": ["nursing", "nursing"]}),
        "shifts": pd.DataFrame({"staff_id": ["S1"], "start": ["2027-03-01 08:00"], "end": ["2027-03-01T16:00"]}),
        "courses": pd.DataFrame({"course_id": ["C1"], "category": ["public"], "hours": ["6"]}),
        "venues": pd.DataFrame({"venue_id": ["V1"], "capacity": ["10"]}),
        "sessions": pd.DataFrame({"session_id": ["X1"], "course_id": ["C1"], "venue_id": ["V1"],
                                  "start": ["2027-03-02 18:30"], "end": ["2027-03-02 21:30"]}),
    }
    with pytest.raises(DatasetError) as info:
        cesched.dataset_from_frames(frames)
    found = {(p.file, p.line, p.column) for p in info.value.errors}
    assert found == {("staff.csv", 3, "staff_id"), ("staff.csv", 3, "unit_id")}


def test_travel_must_be_symmetric(tmp_path):
    ds_dir = tmp_path / "d"
    shutil.copytree(SAMPLES / "tiny-forbid", ds_dir)
    (ds_dir / "travel.csv").write_text("from_zone,to_zone,minutes\nseat,town-1,39\ntown-1,seat,45\n")
    errors = _errors(ds_dir)
    assert ("travel.csv", 3, "minutes", "45") in errors


def test_dataset_is_immutable():
    ds = cesched.load_dataset(SAMPLES / "tiny-forbid")
    with pytest.raises(Exception):
        ds.policy = cesched.Policy()  # type: ignore[misc]
    with pytest.raises(ValueError):
        ds.venues["capacity"].to_numpy()[0] = 1


def _edit_staff(tmp_path, edit) -> Path:
    ds_dir = tmp_path / "d"
    shutil.copytree(SAMPLES / "tiny-forbid", ds_dir)
    lines = (ds_dir / "staff.csv").read_text().splitlines()
    (ds_dir / "staff.csv").write_text("\n".join(edit(lines)) + "\n")
    return ds_dir


@pytest.mark.parametrize("row", [1, 5])
def test_a_row_with_a_surplus_cell_is_one_error_on_its_line(tmp_path, row):
    ds_dir = _edit_staff(tmp_path, lambda ls: [l + ",surplus" if i == row else l for i, l in enumerate(ls)])
    errors = _errors(ds_dir)
    assert errors == [("staff.csv", row + 1, None, None)]


def test_a_row_with_too_few_cells_is_reported(tmp_path):
    ds_dir = _edit_staff(tmp_path, lambda ls: [",".join(l.split(",")[:3]) if i == 2 else l for i, l in enumerate(ls)])
    assert ("staff.csv", 3, None, None) in _errors(ds_dir)


@pytest.mark.parametrize("quoted", [False, True])
def test_a_repeated_header_is_an_error(tmp_path, quoted):
    def edit(ls):
        out = [ls[0] + ",field"] + [l + ",x" for l in ls[1:]]
        if quoted:
            out[1] = out[1].replace("Staff 1", '"Staff, 1"')
        return out

    errors = _errors(_edit_staff(tmp_path, edit))
    assert ("staff.csv", 1, "field", None) in errors


def test_session_rows_with_different_capacity_cells_warn_and_take_the_smallest(tmp_path):
    ds_dir = tmp_path / "d"
    shutil.copytree(SAMPLES / "tiny-allow", ds_dir)
    text = (ds_dir / "sessions.csv").read_text().replace(
        "X00002,C001,V-ONLINE,2027-03-16 18:30,2027-03-16 21:30,357,12",
        "X00002,C001,V-ONLINE,2027-03-16 18:30,2027-03-16 21:30,100,12")
    (ds_dir / "sessions.csv").write_text(text)
    ds = cesched.load_dataset(ds_dir)
    assert ds.session("X00002").capacity == 100
    assert any(w.column == "capacity" and "smallest applies" in w.message for w in ds.warnings)


def _workbook(src: Path, dst: Path, edit=None) -> Path:
    """The sample as an Excel user would keep it: one sheet per file, numbers and times typed."""
    numeric = {"hours", "fee", "capacity", "budget", "max_absent", "minutes", "min_attendance", "done_public",
               "done_professional"}
    with pd.ExcelWriter(dst) as writer:
        for name in ("units", "staff", "shifts", "courses", "venues", "sessions", "travel"):
            df = pd.read_csv(src / f"{name}.csv", dtype=str, keep_default_na=False)
            for col in df.columns:
                if col in ("start", "end"):
                    df[col] = pd.to_datetime(df[col])
                elif col in numeric:
                    df[col] = pd.to_numeric(df[col].replace("", None))
            if edit:
                df = edit(name, df)
            df.to_excel(writer, sheet_name=name, index=False)
    shutil.copy(src / "policy.toml", dst.parent / "policy.toml")
    return dst


def test_an_excel_workbook_reads_like_the_csv_folder(tmp_path):
    book = _workbook(SAMPLES / "tiny-allow", tmp_path / "district.xlsx")
    from_csv, from_book = cesched.load_dataset(SAMPLES / "tiny-allow"), cesched.load_dataset(book)
    for table in ("units", "staff", "shifts", "courses", "venues", "sessions", "meetings", "travel"):
        pd.testing.assert_frame_equal(getattr(from_csv, table), getattr(from_book, table), check_dtype=False)
    assert from_book.policy == from_csv.policy


def test_an_excel_error_names_the_sheet_and_row(tmp_path):
    def edit(name, df):
        if name == "courses":
            df = df.astype(object)
            df.loc[1, "hours"] = "six"
        return df

    book = _workbook(SAMPLES / "tiny-allow", tmp_path / "district.xlsx", edit)
    with pytest.raises(DatasetError) as info:
        cesched.load_dataset(book)
    (problem,) = info.value.errors
    assert (problem.file, problem.line, problem.column, problem.value) == ("district.xlsx[courses]", 3, "hours", "six")

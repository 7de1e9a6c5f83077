"""Folders are walked; .zip (nested too) and .gz downloads are unpacked safely."""

from __future__ import annotations

import gzip
import io
import shutil
import zipfile

from tests.conftest import INPUTS, load, value


def zip_bytes(members: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    return buffer.getvalue()


def test_nested_folders_zips_and_gz(db, tmp_path):
    removals = (INPUTS / "removals.txt").read_bytes()
    returns = (INPUTS / "returns_cp1252.txt").read_bytes()
    inner = zip_bytes({"deep/returns.txt": returns})
    (tmp_path / "2026" / "oct").mkdir(parents=True)
    (tmp_path / "2026" / "oct" / "everything.zip").write_bytes(
        zip_bytes({"reports/inner.zip": inner, "__MACOSX/._x": b"junk"})
    )
    (tmp_path / "removals.txt.gz").write_bytes(gzip.compress(removals))
    results = load(db, tmp_path)
    assert {r.report for r in results.values() if r.status == "loaded"} == {"returns", "removals"}
    assert "2026/oct/everything.zip!reports/inner.zip!deep/returns.txt" in results
    assert value(db, "SELECT count(*) FROM returns") == 2


def test_zip_member_cannot_escape(db, tmp_path):
    removals = (INPUTS / "removals.txt").read_bytes()
    (tmp_path / "in").mkdir()
    (tmp_path / "in" / "evil.zip").write_bytes(
        zip_bytes({"../../escaped.txt": removals, "/abs/escaped2.txt": removals})
    )
    load(db, tmp_path / "in")
    assert not (tmp_path / "escaped.txt").exists()
    assert not list(tmp_path.rglob("escaped*"))
    # Same bytes twice: loaded once.
    assert value(db, "SELECT count(*) FROM removals") == 1


def test_zip_bomb_is_refused(db, tmp_path):
    (tmp_path / "bomb.zip").write_bytes(zip_bytes({"big.txt": b"0" * (50 << 20)}))
    (result,) = load(db, tmp_path).values()
    assert result.status == "error"
    assert "like a zip bomb" in result.message


def test_same_report_zipped_or_not_is_one_file(db, tmp_path):
    shutil.copy(INPUTS / "removals.txt", tmp_path / "removals.txt")
    (tmp_path / "copy.zip").write_bytes(
        zip_bytes({"removals.txt": (INPUTS / "removals.txt").read_bytes()})
    )
    results = load(db, tmp_path)
    assert sorted(r.status for r in results.values()) == ["loaded", "present"]

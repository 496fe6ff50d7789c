"""`make demo`: the count it prints is the number of files it writes."""

from __future__ import annotations

from clausegen.demo import run_demo


def test_demo_counts_every_file_it_writes(tmp_path, capsys):
    written = run_demo(tmp_path / "out")
    on_disk = sorted(p for p in (tmp_path / "out").rglob("*") if p.is_file())
    assert sorted(set(written)) == on_disk
    assert {"summary.xlsx", "evidence.csv", "dashboard.html", "cache.sqlite"} <= {p.name for p in on_disk}
    assert "0 could not be reviewed" in capsys.readouterr().out

"""Table geocoding gives the same results as before its speed-up (issue 21): digests stored, compared row by row.

``tests/data/geocode_regression/digests.csv`` holds, for every shipped plan table (``layers/sources/*.csv``, geocoded
whole as a file: anchor, county and quantity columns included) and for the three 1e4-row tables of
``bench/geocoding.py``, one digest per row of the report and of the geocoded layer (every column, the point as WKB
hex; the bench tables one digest per block of 500 rows).  They were written by the code before the gazetteer automaton and the placement dedupe; regenerate them
(``python tests/test_geocode_regression.py``) only when a change of results is intended, and say so in the commit.
"""

from __future__ import annotations

import glob
import hashlib
import sys
import warnings
from pathlib import Path

import pandas as pd
import pytest

ROOT = Path(__file__).resolve().parents[1]
STORE = ROOT / "tests" / "data" / "geocode_regression" / "digests.csv"
#: Rows of a bench table per stored digest (the row of a digest is its block's first row).
BLOCK = 500
#: A folder to pickle every (layer, report) in, to find a difference (``python tests/test_geocode_regression.py DIR``).
DUMP: Path | None = None


def _bench_tables(n: int) -> dict[str, pd.DataFrame]:
    sys.path.insert(0, str(ROOT / "bench"))
    try:
        from geocoding import tables
    finally:
        sys.path.remove(str(ROOT / "bench"))
    return tables(n)


def _texts(frame: pd.DataFrame) -> list[str]:
    """Each row of ``frame`` as one text: its values' ``repr`` (floats to the last digit, None and NaN told apart)."""
    return ["\x1f".join(map(repr, row)) for row in frame.itertuples(index=False, name=None)]


def _row_digests(out, report: pd.DataFrame) -> list[str]:
    """One digest per report row: the report's fields and, for rows in the layer, the layer's fields."""
    layer = pd.DataFrame(out.drop(columns="geometry"))
    layer["geometry"] = [g.wkb_hex if g is not None else "" for g in out.geometry]
    by_position = dict(zip(out.index, _texts(layer)))
    report_text = _texts(report)
    digests = []
    for position, text in enumerate(report_text):
        features = by_position.get(position, "-") if report["status"].iloc[position] != "skipped" else "-"
        digests.append(hashlib.sha1(f"{text}\x1e{features}".encode()).hexdigest()[:16])
    return digests


def snapshot(*, bench_rows: int = 10_000, bench: bool = True) -> pd.DataFrame:
    """The digests of today's code: table, row (position), digest."""
    import gis

    frames = []
    jobs: list[tuple[str, object]] = [(Path(f).name, f) for f in sorted(glob.glob(str(ROOT / "layers" / "sources" / "*.csv")))]
    if bench:
        jobs += [(f"bench {bench_rows} {label}", table) for label, table in _bench_tables(bench_rows).items()]
    for label, table in jobs:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            # the township tag tables name no project: their township column is the place
            place_col = "township" if isinstance(table, str) and "township_tags" in table else None
            out, report = gis.geocode_table(table, place_col=place_col)
        d = _row_digests(out, report.reset_index(drop=True))
        if DUMP is not None:
            pd.to_pickle((out, report), DUMP / f"{label}.pkl")
        if label.startswith("bench "):  # one digest per block of BLOCK rows: the stored file stays small
            d = [hashlib.sha1("".join(d[k:k + BLOCK]).encode()).hexdigest()[:16] for k in range(0, len(d), BLOCK)]
            frames.append(pd.DataFrame({"table": label, "row": range(0, len(d) * BLOCK, BLOCK), "digest": d}))
        else:
            frames.append(pd.DataFrame({"table": label, "row": range(len(d)), "digest": d}))
    return pd.concat(frames, ignore_index=True)


def _compare(now: pd.DataFrame, stored: pd.DataFrame) -> None:
    merged = stored.merge(now, on=["table", "row"], how="outer", suffixes=("_stored", "_now"), indicator=True)
    differ = merged[(merged["_merge"] != "both") | (merged["digest_stored"] != merged["digest_now"])]
    assert differ.empty, f"{len(differ)} row(s) geocode differently than before:\n{differ.head(20).to_string()}"


def test_shipped_plan_tables_geocode_as_before() -> None:
    stored = pd.read_csv(STORE, dtype=str)
    stored = stored[~stored["table"].str.startswith("bench ")].assign(row=lambda d: d["row"].astype(int))
    assert len(stored) > 400
    _compare(snapshot(bench=False), stored)


@pytest.mark.slow
def test_bench_tables_geocode_as_before() -> None:
    stored = pd.read_csv(STORE, dtype=str).assign(row=lambda d: d["row"].astype(int))
    assert stored["table"].str.startswith("bench 10000").sum() == 3 * 10_000 // BLOCK
    _compare(snapshot(), stored)


if __name__ == "__main__":
    if len(sys.argv) > 1:
        DUMP = Path(sys.argv[1])
        DUMP.mkdir(parents=True, exist_ok=True)
    snapshot().to_csv(STORE, index=False)
    print(f"wrote {STORE}")


def test_automaton_finds_what_every_length_at_every_position_finds() -> None:
    """``Gazetteer.find`` (one automaton) against ``_find_reference`` (every length of name tried at each position)."""
    from gis.gazetteer import default_gazetteer

    gaz = default_gazetteer()
    assert gaz._scan().automaton is not None  # pyahocorasick is a dependency: the fast path is the one tested
    texts = set(gaz.index) | {p.name for p in gaz.places}
    for f in glob.glob(str(ROOT / "layers" / "sources" / "*.csv")):
        table = pd.read_csv(f, dtype=str).fillna("")
        for column in ("name", "place", "anchor", "township", "description"):
            if column in table.columns:
                texts |= set(table[column])
    # Latin names whatever their case, full-width forms, a combining mark (read by the reference itself)
    texts |= {"Liuzhou Railway Station柳州站", "LIUZHOU站、liuzhou", "ＬＩＵＺＨＯＵ", "沿柳江两岸", "柳江航道", "e\u0301柳州市",
              "一汽解放柳州基地", "鹿寨、三江", "柳州市柳东新区雒容镇某路"}
    differ = [t for t in sorted(texts) if gaz.find(t) != gaz._find_reference(t)]
    assert len(texts) > 5000
    assert differ == []


def test_rows_named_by_labels_are_placed_once_and_keep_their_names() -> None:
    """Project names that name nothing do not change a row's placement; each row keeps its own name."""
    import gis

    table = pd.DataFrame({"项目名称": ["新建项目1号", "新建项目2号", "雒容镇污水处理厂", "新建项目3号"],
                          "建设地点": ["柳东新区", "柳东新区", "柳东新区", "鹿寨县"]})
    out, report = gis.geocode_table(table)
    assert report["name"].tolist() == table["项目名称"].tolist()
    fields = ["status", "decided_by", "geocode_level", "lon", "lat", "matched", "reason", "reason_zh"]
    assert report.loc[0, fields].tolist() == report.loc[1, fields].tolist()
    assert report.loc[0, "matched"] == "柳东新区" and report.loc[0, "decided_by"] == "place"
    assert report.loc[3, "matched"] == "鹿寨县"

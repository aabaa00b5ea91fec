"""Model vs published drive times from the city centre: the check of the road speed model.

Run from the repository root::

    python bench/network_calibration.py           # prints the table and writes its section of bench/network.md
    python bench/network_calibration.py --print   # prints only

The places, their published minutes and the sources are data (``layers/network/calibration.yaml``); the speeds are
``layers/network/speeds.yaml``.  The model time is :func:`gis.routing.travel_times` on the shipped ``roads`` layer
with the default speed model, from the centre (the 城中区 government seat) to each place.  The table says, for each
place, the model minutes, the published minutes, the share off and the source; the machine and its load are recorded
as in the other benchmarks (the numbers themselves do not depend on the load).
"""

from __future__ import annotations

import argparse
import os
import platform
import re
import sys
import time
from pathlib import Path

from _machine import cpu_model  # bench/ is on sys.path when a script here runs

import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import gis  # noqa: E402
from gis._io import write_text  # noqa: E402
from gis.layers import layers_dir, read_yaml  # noqa: E402
from gis.network import travel_network  # noqa: E402
from gis.routing import travel_times  # noqa: E402

CALIBRATION_FILE = "network/calibration.yaml"
START, END = "<!-- network_calibration:start -->", "<!-- network_calibration:end -->"


def _row(spec: dict) -> "gis.gpd.GeoDataFrame":
    layer = gis.load_layer(spec["layer"])
    hit = layer[layer["name"] == spec["name"]]
    if len(hit) != 1:
        raise SystemExit(f"{CALIBRATION_FILE}: {spec['layer']} has {len(hit)} rows named {spec['name']!r}, not one.")
    return hit


def calibration_table(net=None) -> pd.DataFrame:
    """Model vs published minutes for every place of ``layers/network/calibration.yaml``."""
    cal = read_yaml(layers_dir() / CALIBRATION_FILE)
    net = net if net is not None else travel_network(gis.load_layer("roads"))
    centre = _row(cal["centre"])
    rows = []
    for spec in cal["places"]:
        minutes = float(travel_times(net, centre, _row(spec)).iloc[0, 0])
        pub = float(spec["published_min"])
        off = minutes / pub - 1.0
        rows.append({"place": spec["title"], "model_min": round(minutes, 1), "published_min": pub,
                     "off_pct": round(100 * off, 1),
                     "within": "yes" if abs(off) <= float(cal["tolerance_share"]) else "NO",
                     "source": spec["source"]})
    return pd.DataFrame(rows)


def table_md(df: pd.DataFrame) -> str:
    """The table as Markdown."""
    out = "| " + " | ".join(df.columns) + " |\n|" + "---|" * len(df.columns) + "\n"
    for r in df.itertuples(index=False):
        out += "| " + " | ".join(f"{v:g}" if isinstance(v, float) else str(v) for v in r) + " |\n"
    return out


def section(df: pd.DataFrame, *, load0: tuple, load1: tuple, seconds: float) -> str:
    """The bench/network.md section, between its markers."""
    cal = read_yaml(layers_dir() / CALIBRATION_FILE)
    tol = round(100 * float(cal["tolerance_share"]))
    return f"""{START}
## Calibration: model vs published drive times from the city centre

`python bench/network_calibration.py` on {cpu_model()}, {os.cpu_count()} cores, Python {platform.python_version()};
load average {load0[0]:.1f} before, {load1[0]:.1f} after; {seconds:.2f} s. Centre: {cal['centre']['title']} (the
`{cal['centre']['name']}` row of `{cal['centre']['layer']}`). Model: `gis.routing.travel_times` on the shipped
`roads` with the default speeds (`layers/network/speeds.yaml`: inferred classes through_road / main_road /
junction_or_town, each speed with its source there). Published minutes and their sources:
`layers/network/calibration.yaml` (only 三江's is a published report; the rest are common knowledge, approximate).
Every place should be within ±{tol} % (tests/test_network_calibration.py asserts it for the county seats).

{table_md(df)}{END}
"""


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--print", action="store_true", help="print only, do not touch bench/network.md")
    args = ap.parse_args()
    load0 = os.getloadavg()
    t0 = time.perf_counter()
    df = calibration_table()
    seconds = time.perf_counter() - t0
    text = section(df, load0=load0, load1=os.getloadavg(), seconds=seconds)
    print(text)
    if not args.print:
        md = ROOT / "bench" / "network.md"
        old = md.read_text(encoding="utf-8") if md.exists() else ""
        if START in old and END in old:
            new = re.sub(re.escape(START) + ".*?" + re.escape(END) + "\n?", lambda _: text, old, flags=re.S)
        else:
            new = old.rstrip("\n") + "\n\n" + text
        write_text(md, new)


if __name__ == "__main__":
    main()

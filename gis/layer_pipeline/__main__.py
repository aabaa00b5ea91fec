"""``python -m gis.layer_pipeline {base,network,plans,all}``: rebuild the shipped layers from ``../shared`` and pinned packages."""

from __future__ import annotations

import argparse
import importlib
import os
import sys
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[2]


def default_shared_dir() -> Path:
    """``$LZGIS_SHARED`` if set, else ``../shared`` relative to the repository root."""
    env = os.environ.get("LZGIS_SHARED")
    return Path(env) if env else (REPO_ROOT.parent / "shared")


def _build_base(shared: Path, out: Path) -> None:
    from . import base

    report = base.build(shared, out)
    counts = ", ".join(f"{k} {v}" for k, v in report["counts"].items())
    print(f"base layers written to {out / base.BASE_DIR}: {counts}")


def _build_plans(shared: Path, out: Path) -> None:
    from . import plans

    result = plans.build(shared, out)
    print(plans._counts(result["layers"]).to_string(index=False))
    print(f"unlocated rows: {len(result['unlocated'])}; report: {out / 'plans' / 'build_report.md'}")


def _build_network(shared: Path, out: Path) -> None:
    from . import transport

    report = transport.build(shared, out)["report"]
    print("network layers written to", out / "base", "; ".join(f"{k}: {v['kept_edges']} edges" for k, v in report.items()))


def _build_all(shared: Path, out: Path) -> None:
    _build_base(shared, out)
    _build_network(shared, out)
    try:
        plans = importlib.import_module(".plans", __package__)
    except ModuleNotFoundError as exc:
        if exc.name != f"{__package__}.plans":
            raise
        print("gis.layer_pipeline.plans is not available; plan layers skipped")
        return
    plans.build(shared, out)
    print(f"plan layers written to {out}")


def _build_examples(shared: Path, out: Path) -> None:
    from . import examples

    print(f"example zones (synthetic, 示例) written to {examples.build(out)}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m gis.layer_pipeline", description=__doc__)
    parser.add_argument("--shared", type=Path, default=None,
                        help="shared input folder (default: $LZGIS_SHARED or ../shared next to the repository)")
    parser.add_argument("--out", type=Path, default=REPO_ROOT / "layers",
                        help="the layers/ folder to write into (default: the repository's layers/)")
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("base", help="city, counties, townships, villages, stations, airport, rivers")
    sub.add_parser("network", help="roads and railways from the OSM-derived graphs (needs the base layers)")
    sub.add_parser("plans", help="the plan layers from layers/sources (and the gazetteer inputs from the shared folder)")
    sub.add_parser("all", help="base, then the plan layers if gis.layer_pipeline.plans exists")
    sub.add_parser("examples", help="the synthetic example zones of the siting review (layers/examples)")
    args = parser.parse_args(argv)
    shared = args.shared or default_shared_dir()
    if args.command == "examples":  # built from the shipped layers only
        _build_examples(shared, args.out)
        return 0
    if not shared.is_dir():
        parser.error(f"shared input folder {shared} does not exist; pass --shared or set LZGIS_SHARED")
    {"base": _build_base, "network": _build_network, "plans": _build_plans,
     "all": _build_all}[args.command](shared, args.out)
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""``python -m gis.layer_pipeline examples``: the small synthetic example zones of the siting review (示例, not real data).

No real 三区三线 (生态保护红线 / 永久基本农田 / 城镇开发边界) data is public, so the
review notebook and tests use made-up zones.  They are drawn as simple shapes
at fixed offsets (metres, in the analysis CRS) from the township seats of
雒容镇 (柳东新区, 鱼峰区) and 大埔镇 (柳城县) as the shipped ``townships`` layer
places them, so they sit at real places, but their shapes and classes are
invented.  Every feature says so (``example = True``, ``名称`` starting with
示例, ``geometry_basis = synthetic_example``, a ``note``), and so do the
catalogue entry and every map and sheet that shows them.  Two 永久基本农田
polygons at 雒容 overlap on purpose: the review must count that ground once.
"""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import numpy as np
import shapely

from ..crs import analysis_crs, transformer
from ..layers import load_layer
from ._geojson import round_coords, write_geojson

EXAMPLES_DIR = "examples"
FILE = "zones_example.geojson"
NOTE = ("示例/synthetic: invented shape at a fixed offset from the township seat named in anchor "
        "(townships layer); NOT real 三区三线 data")

#: (anchor township, 名称, 类型, shape, parameters in metres from the seat): box = (x0, x1, y0, y1);
#: circle = (dx, dy, radius).
ZONES = [
    ("雒容镇", "示例·雒容城镇开发边界", "城镇开发边界", "box", (-3000, 3000, -2000, 2000)),
    ("雒容镇", "示例·雒容东基本农田甲", "永久基本农田", "box", (3500, 6500, -2500, 500)),
    ("雒容镇", "示例·雒容东基本农田乙", "永久基本农田", "box", (5500, 8500, -1500, 1500)),
    ("雒容镇", "示例·雒容北生态保护红线", "生态保护红线", "circle", (0, 6000, 2000)),
    ("大埔镇", "示例·大埔城镇开发边界", "城镇开发边界", "box", (-2500, 2500, -2000, 2000)),
    ("大埔镇", "示例·大埔西基本农田", "永久基本农田", "box", (-7000, -3000, -3000, 3000)),
    ("大埔镇", "示例·大埔东北生态保护红线", "生态保护红线", "box", (2000, 6000, 3000, 7000)),
]


def zones_example() -> gpd.GeoDataFrame:
    """The example zones in EPSG:4326 (see the module docstring)."""
    towns = load_layer("townships").set_index("name")
    crs = analysis_crs()
    fwd = transformer("EPSG:4326", crs)
    back = transformer(crs, "EPSG:4326")
    rows, geoms = [], []
    for anchor, name, kind, shape, par in ZONES:
        seat = towns.geometry.loc[anchor]
        x, y = fwd.transform(seat.x, seat.y)
        if shape == "box":
            g = shapely.box(x + par[0], y + par[2], x + par[1], y + par[3])
        else:
            g = shapely.Point(x + par[0], y + par[1]).buffer(par[2], quad_segs=16)
        g = shapely.transform(g, lambda xy: np.column_stack(back.transform(xy[:, 0], xy[:, 1])))
        rows.append({"名称": name, "类型": kind, "anchor": anchor, "example": True,
                     "geometry_basis": "synthetic_example", "note": NOTE})
        geoms.append(g)
    return gpd.GeoDataFrame(rows, geometry=list(round_coords(np.array(geoms, dtype=object))), crs="EPSG:4326")


def build(out: Path) -> Path:
    """Write ``<out>/examples/zones_example.geojson``."""
    return write_geojson(zones_example(), Path(out) / EXAMPLES_DIR / FILE, name="zones_example")

"""The city profile: every place-specific value of the runtime code, read from ``city.yaml`` of the layers folder.

The toolkit is set up for one city by data, not code: ``layers/city.yaml`` names the city (柳州市, adcode
450200), its lon/lat bounds and map centre, its analysis CRS, the default map title, the 审图号 caveat, the
市域外 wording and the names the gazetteer's guards use.  Point ``gis.settings.layers_dir`` at another layers
folder with its own ``city.yaml`` (and catalogue and layers) and the same code serves that city.

The keys of ``city.yaml``:

- ``name, short_name, name_en`` (str): The full name (柳州市), the name without 市 (柳州), the English name for English
  messages (Liuzhou).
- ``adcode`` (str): The six-digit administrative code.
- ``province`` (str, optional): the province, as titles may print it.
- ``bounds`` ([minlon, minlat, maxlon, maxlat]): Lon/lat bounding box of the municipality (sanity checks, swapped
  lat/lon detection, GCJ-02 checks).
- ``area_km2`` (float, optional): The municipality's area: a stated project area above it is a typing or unit error
  (gis.review).
- ``centre`` ([lon, lat]): Initial view of a web map that has no layer to fit.
- ``analysis_crs`` (str): The projected CRS of distances, buffers and areas; ``gis.settings.analysis_crs`` defaults
  to it.
- ``local_crs`` (list of str, optional): Projected CRSs this city's data often comes in, tried in order when a
  layer's CRS must be guessed.
- ``map`` (mapping): ``title`` (the default map title) and ``zoom`` (initial web-map zoom).
- ``texts`` (mapping): Texts people read, merged over the ``texts`` of ``map_styles.yaml``: ``city_name``,
  ``city_outside`` (the 市域外 wording of the ``outside_liuzhou`` flag), ``print_crs``, ``boundary_caveat`` (the 审图号
  caveat).
- ``gazetteer`` (mapping, optional): ``airport: {name, words}``: the canonical name of the city's airport and the
  words that mean it; ``river_names``: Chinese names of the rivers layer's English (pinyin) names (Liu → 柳江).

This module sits at rank 0 beside :mod:`gis.settings`, whose ``analysis_crs`` takes its default from here.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path

import yaml

from . import settings
from ._errors import LayerError

_REQUIRED = ("name", "short_name", "name_en", "adcode", "bounds", "centre", "analysis_crs", "map", "texts")


@dataclass(frozen=True)
class CityProfile:
    """The values of one ``city.yaml`` (see the module docstring for the keys)."""

    name: str
    short_name: str
    name_en: str
    adcode: str
    bounds: tuple[float, float, float, float]
    centre: tuple[float, float]
    analysis_crs: str
    map_title: str
    map_zoom: int
    texts: dict[str, str]
    province: str = ""
    local_crs: tuple[str, ...] = ()
    airport_name: str = ""
    airport_words: tuple[str, ...] = ()
    river_names: dict[str, str] = field(default_factory=dict)
    area_km2: float | None = None
    path: Path | None = None

    @property
    def outside_text(self) -> str:
        """The 市域外 wording (``{name}域外``), as the ``outside_liuzhou`` flag is shown."""
        return self.texts.get("city_outside") or f"{self.name}域外"


@functools.lru_cache(maxsize=1)
def shipped_root() -> Path:
    """The layers folder installed with the package (the repository's ``layers/``; looked up once: the geocoder
    asks for it on every row)."""
    return Path(str(resources.files("gis._layers")))


def layers_root() -> Path:
    """The layers folder: ``gis.settings.layers_dir`` or the copy installed with the package."""
    if settings.layers_dir is not None:
        return Path(settings.layers_dir)
    return shipped_root()


def profile(root: str | Path | None = None) -> CityProfile:
    """The city profile of ``root`` (default: :func:`layers_root`), read once per folder.

    Examples
    --------
    >>> p = profile()
    >>> p.adcode, p.analysis_crs
    ('450200', 'EPSG:4545')
    """
    return _read(str(Path(root) if root is not None else layers_root()))


@functools.lru_cache(maxsize=8)
def _read(root: str) -> CityProfile:
    path = Path(root) / "city.yaml"
    try:
        with open(path, encoding="utf-8") as fh:
            data = yaml.safe_load(fh)
    except FileNotFoundError as exc:
        raise LayerError(f"{path}: file not found. Every layers folder needs a city.yaml (the city profile); "
                         "copy layers/city.yaml of the repository and change its values.") from exc
    if not isinstance(data, dict):
        raise LayerError(f"{path}: must be a mapping of the city's values (see gis/city.py).")
    missing = [k for k in _REQUIRED if k not in data]
    if missing:
        raise LayerError(f"{path}: lacks {', '.join(missing)}; add them (keys documented in gis/city.py).")
    bounds = tuple(float(v) for v in data["bounds"])
    centre = tuple(float(v) for v in data["centre"])
    if len(bounds) != 4 or not (bounds[0] < bounds[2] and bounds[1] < bounds[3]):
        raise LayerError(f"{path}: bounds must be [minlon, minlat, maxlon, maxlat], got {data['bounds']!r}.")
    if len(centre) != 2:
        raise LayerError(f"{path}: centre must be [lon, lat], got {data['centre']!r}.")
    mapping = data.get("map") or {}
    airport = (data.get("gazetteer") or {}).get("airport") or {}
    return CityProfile(
        name=str(data["name"]), short_name=str(data["short_name"]), name_en=str(data["name_en"]),
        adcode=str(data["adcode"]), bounds=bounds, centre=centre,  # type: ignore[arg-type]
        analysis_crs=str(data["analysis_crs"]), map_title=str(mapping.get("title") or f"{data['name']}空间规划图"),
        map_zoom=int(mapping.get("zoom", 9)), texts={str(k): str(v) for k, v in (data.get("texts") or {}).items()},
        province=str(data.get("province") or ""), local_crs=tuple(str(c) for c in data.get("local_crs") or ()),
        airport_name=str(airport.get("name") or ""), airport_words=tuple(str(w) for w in airport.get("words") or ()),
        area_km2=float(data["area_km2"]) if data.get("area_km2") else None,
        river_names={str(k): str(v) for k, v in ((data.get("gazetteer") or {}).get("river_names") or {}).items()},
        path=path)


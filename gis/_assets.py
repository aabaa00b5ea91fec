"""The JavaScript and CSS a web map needs, inlined so the page fetches nothing.

The only third-party asset is Leaflet 1.9.4 (BSD-2-Clause), read at build time
from the pinned PyPI package ``django-js-lib-leaflet==1.9.4.1``; its CSS images
become ``data:`` URIs.  Everything else (layer tree, legend, search, full
screen, title, credits, the GCJ-02 display shift for the Gaode basemap) is the
small script :data:`MAP_JS` below.

Offices in China often cannot reach the usual Leaflet CDNs, so a map that
loads its assets from one opens blank there; a map built from these strings
opens by double-click with no network at all.
"""

from __future__ import annotations

import base64
import functools
import re
import warnings
from importlib import metadata, resources

from ._errors import MissingDependencyError

LEAFLET_PACKAGE = "django-js-lib-leaflet"
LEAFLET_PIN = "1.9.4.1"
LEAFLET_VERSION = "1.9.4"
LEAFLET_LICENCE = "BSD-2-Clause"


def _leaflet_dir():
    try:
        version = metadata.version(LEAFLET_PACKAGE)
    except metadata.PackageNotFoundError as exc:
        raise MissingDependencyError(
            f"web maps inline Leaflet from the package {LEAFLET_PACKAGE}=={LEAFLET_PIN}, which is not installed. "
            "Install it with: pip install 'liuzhou-gis[maps]'"
        ) from exc
    if version != LEAFLET_PIN:
        warnings.warn(
            f"{LEAFLET_PACKAGE} {version} is installed; liuzhou-gis is tested with {LEAFLET_PIN}. "
            f"Install the pinned version with: pip install '{LEAFLET_PACKAGE}=={LEAFLET_PIN}'",
            UserWarning,
            stacklevel=3,
        )
    return resources.files("js_lib_leaflet") / "static" / "js_lib_leaflet"


def safe_inline_script(js: str) -> str:
    """Make JavaScript safe to place between ``<script>`` tags (no early ``</script>``).

    Examples
    --------
    >>> safe_inline_script('var s = "</script><b>";')
    'var s = "<\\\\/script><b>";'
    """
    return re.sub(r"</(?=script)", r"<\\/", js, flags=re.IGNORECASE)


@functools.lru_cache(maxsize=1)
def leaflet_js() -> str:
    """Leaflet's minified JavaScript, without its source-map reference (which devtools would fetch)."""
    text = (_leaflet_dir() / "leaflet.js").read_text(encoding="utf-8")
    text = re.sub(r"\n?//# sourceMappingURL=\S+\s*$", "\n", text)
    return safe_inline_script(text)


@functools.lru_cache(maxsize=1)
def leaflet_css() -> str:
    """Leaflet's CSS with every ``url(images/…)`` replaced by a ``data:`` URI."""
    root = _leaflet_dir()
    css = (root / "leaflet.css").read_text(encoding="utf-8")

    def inline(match: re.Match) -> str:
        data = (root / "images" / match.group(1)).read_bytes()
        return f"url(data:image/png;base64,{base64.b64encode(data).decode('ascii')})"

    return re.sub(r"url\(images/([\w.-]+\.png)\)", inline, css)


MAP_CSS = """
html,body{margin:0;padding:0;width:100%;height:100%;font-family:"Noto Sans CJK SC","Microsoft YaHei","PingFang SC","SimHei",sans-serif}
.folium-map,.leaflet-container{font-family:inherit;background:#eef2f5}
.lz-head{position:absolute;top:10px;left:50%;transform:translateX(-50%);z-index:1000;max-width:56%;display:flex;
 flex-direction:column;align-items:center;gap:4px;pointer-events:none}
.lz-title{background:rgba(255,255,255,.92);padding:6px 16px;border-radius:6px;box-shadow:0 1px 5px rgba(0,0,0,.35);
 font-size:18px;font-weight:bold;color:#1f2d3d;text-align:center}
.lz-note{background:rgba(255,255,255,.88);padding:3px 10px;border-radius:4px;box-shadow:0 1px 3px rgba(0,0,0,.25);
 font-size:12px;color:#333;text-align:center;line-height:1.45}
.lz-banner{background:#fff4d6;border:1px solid #e0a800;padding:4px 12px;border-radius:4px;font-size:13px;color:#6b4a00;
 display:none;text-align:center}
.lz-shape{background:none;border:none}
.lz-box{background:rgba(255,255,255,.95);padding:6px 10px;border-radius:5px;box-shadow:0 1px 5px rgba(0,0,0,.35);font-size:12px;line-height:1.5}
.leaflet-control-layers{font-size:13px}
.leaflet-control-layers-list{max-height:44vh;overflow-y:auto}
.lz-legend{max-height:38vh;overflow-y:auto;min-width:150px}
.lz-legend h4,.lz-credits h4{margin:2px 0 4px;font-size:13px}
.lz-legend .lz-grp{font-weight:bold;margin-top:4px;color:#444}
.lz-legend .lz-row{display:flex;align-items:center;gap:6px;white-space:nowrap}
.lz-legend .lz-sub{margin-top:2px;color:#222}
.lz-legend .lz-cls{padding-left:10px}
.lz-credits{max-width:420px;max-height:40vh;overflow-y:auto}
.lz-credits summary{cursor:pointer;font-weight:bold}
.lz-credits ul{margin:4px 0;padding-left:16px}
.lz-search input{width:190px;padding:4px 6px;font-size:13px;border:1px solid #999;border-radius:3px}
.lz-search ul{list-style:none;margin:4px 0 0;padding:0;max-height:260px;overflow-y:auto}
.lz-search li{padding:3px 4px;cursor:pointer;border-bottom:1px solid #eee}
.lz-search li:hover{background:#e8f0fe}
.lz-search small{color:#777;margin-left:4px}
.lz-fs a{font-size:12px!important;width:auto!important;padding:0 6px;cursor:pointer}
.leaflet-control-layers-list .lz-layer-grp{font-weight:bold;margin:6px 0 2px;color:#333;border-top:1px solid #ddd;padding-top:3px}
.lz-popup table{border-collapse:collapse;font-size:12px}
.lz-popup th{text-align:left;padding:2px 8px 2px 0;color:#555;white-space:nowrap;vertical-align:top}
.lz-popup td{padding:2px 0;max-width:260px}
.lz-popup .lz-ptitle{font-weight:bold;font-size:13px;margin-bottom:4px}
"""

# Every string in the configuration that can carry data is HTML-escaped in
# Python before it reaches this script, so the script may put it into
# innerHTML (Leaflet's tooltips, popups and layer control do) without it being
# interpreted as markup.  The script itself builds no markup from anything else.
MAP_JS = r"""
(function () {
  "use strict";
  var A = 6378245.0, EE = 0.00669342162296594323, PI = Math.PI;
  function outside(lon, lat) { return lon < 72.004 || lon > 137.8347 || lat < 0.8293 || lat > 55.8271; }
  // The same closed form as gis.datum.wgs84_to_gcj02, for display on GCJ-02 tiles only.
  function wgs2gcj(lon, lat) {
    if (outside(lon, lat)) { return [lon, lat]; }
    var x = lon - 105.0, y = lat - 35.0;
    var common = (20.0 * Math.sin(6.0 * x * PI) + 20.0 * Math.sin(2.0 * x * PI)) * 2.0 / 3.0;
    var dlat = -100.0 + 2.0 * x + 3.0 * y + 0.2 * y * y + 0.1 * x * y + 0.2 * Math.sqrt(Math.abs(x)) + common
      + (20.0 * Math.sin(y * PI) + 40.0 * Math.sin(y / 3.0 * PI)) * 2.0 / 3.0
      + (160.0 * Math.sin(y / 12.0 * PI) + 320.0 * Math.sin(y * PI / 30.0)) * 2.0 / 3.0;
    var dlon = 300.0 + x + 2.0 * y + 0.1 * x * x + 0.1 * x * y + 0.1 * Math.sqrt(Math.abs(x)) + common
      + (20.0 * Math.sin(x * PI) + 40.0 * Math.sin(x / 3.0 * PI)) * 2.0 / 3.0
      + (150.0 * Math.sin(x / 12.0 * PI) + 300.0 * Math.sin(x / 30.0 * PI)) * 2.0 / 3.0;
    var radlat = lat / 180.0 * PI, magic = 1.0 - EE * Math.sin(radlat) * Math.sin(radlat), sq = Math.sqrt(magic);
    dlat = (dlat * 180.0) / ((A * (1.0 - EE)) / (magic * sq) * PI);
    dlon = (dlon * 180.0) / (A / sq * Math.cos(radlat) * PI);
    return [lon + dlon, lat + dlat];
  }
  function esc(s) {
    return String(s).replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;")
      .replace(/"/g, "&quot;").replace(/'/g, "&#x27;");
  }
  // Marker shapes other than circles (colours are checked in Python, shapes are a fixed list).
  function shapePath(shape, cx, cy, r) {
    var pts = [], k, n = shape === "star" ? 10 : shape === "triangle" ? 3 : 4;
    for (k = 0; k < n; k += 1) {
      var a = -Math.PI / 2 + k * 2 * Math.PI / n + (shape === "square" ? Math.PI / 4 : 0);
      var rr = shape === "star" && k % 2 ? r * 0.45 : r;
      pts.push((cx + rr * Math.cos(a)).toFixed(2) + "," + (cy + rr * Math.sin(a)).toFixed(2));
    }
    return pts.join(" ");
  }
  function shapeSvg(shape, st, r, w, h) {
    var c = st.color, f = st.fill_color || c;
    return '<svg width="' + w + '" height="' + h + '" viewBox="0 0 ' + w + " " + h + '" aria-hidden="true">' +
      '<polygon points="' + shapePath(shape, w / 2, h / 2 + (shape === "star" ? 0.8 : 0), r) + '" fill="' + f +
      '" fill-opacity="' + (st.fill_opacity == null ? 0.9 : st.fill_opacity) + '" stroke="' + c +
      '" stroke-width="' + Math.min(st.weight || 1, 3) + '" stroke-linejoin="round"/></svg>';
  }
  function merged(base, extra) {
    var out = {}, k;
    for (k in base) { out[k] = base[k]; }
    for (k in (extra || {})) { out[k] = extra[k]; }
    return out;
  }
  function swatch(st, kind, dashed, shape) {
    var c = st.color, f = st.fill_color || c, w = Math.min(st.weight || 2, 4);
    if (kind === "point" && shape) { return shapeSvg(shape, st, 7, 22, 16); }
    var svg = '<svg width="22" height="14" viewBox="0 0 22 14" aria-hidden="true">';
    if (kind === "point") {
      svg += '<circle cx="11" cy="7" r="' + Math.min(st.radius || 5, 6) + '" fill="' + f + '" fill-opacity="' +
        (st.fill_opacity == null ? 0.8 : st.fill_opacity) + '" stroke="' + c + '" stroke-width="1.5"/>';
    } else if (kind === "line") {
      svg += '<line x1="1" y1="7" x2="21" y2="7" stroke="' + c + '" stroke-width="' + w + '"' +
        (st.opacity == null ? '' : ' stroke-opacity="' + st.opacity + '"') +
        (dashed ? ' stroke-dasharray="5 3"' : '') + '/>';
    } else {
      svg += '<rect x="2" y="2" width="18" height="10" fill="' + f + '" fill-opacity="' +
        (st.fill_opacity == null ? 0.2 : Math.max(st.fill_opacity, 0.15)) + '" stroke="' + c + '" stroke-width="1.5"' +
        (st.dash ? ' stroke-dasharray="4 2"' : '') + '/>';
    }
    return svg + '</svg>';
  }

  window.lzMap = function (map, cfg) {
    var state = { datum: "wgs84" };
    var records = [];
    var box = map.getContainer();

    function toLatLng(c) {
      var p = state.datum === "gcj02" ? wgs2gcj(c[0], c[1]) : c;
      return L.latLng(p[1], p[0]);
    }
    function popupHtml(rec, props) {
      var rows = "";
      rec.fields.forEach(function (f) {
        if (props[f[0]] != null && props[f[0]] !== "") { rows += "<tr><th>" + f[1] + "</th><td>" + props[f[0]] + "</td></tr>"; }
      });
      return '<div class="lz-popup"><div class="lz-ptitle">' + rec.title + "</div><table>" + rows + "</table></div>";
    }
    // A feature's style: the layer's, then its class (categorized layers), then its marks (e.g. a ring).
    function featureStyle(rec, feature) {
      var st = rec.style, p = feature ? feature.properties : {};
      if (rec.classes && p._c != null) { st = merged(st, rec.classes[p._c].style); }
      if (rec.marks && p._m) { p._m.forEach(function (k) { st = merged(st, rec.marks[k].style); }); }
      return st;
    }
    function styleOf(rec, feature) {
      var st = featureStyle(rec, feature), dashed = st.dash || (feature && feature.properties._schematic ? "8 6" : null);
      var out = { color: st.color, weight: st.weight || 2, opacity: st.opacity == null ? 0.9 : st.opacity,
        dashArray: dashed, fillColor: st.fill_color || st.color,
        fillOpacity: st.fill_opacity == null ? 0.2 : st.fill_opacity, radius: st.radius || 5 };
      if (rec.pane) { out.pane = rec.pane; }
      return out;
    }
    function shapeIcon(html, d, dx, dy) {
      return L.divIcon({ className: "lz-shape", html: html, iconSize: [d, d], iconAnchor: [d / 2 - dx, d / 2 - dy],
        tooltipAnchor: [d / 2, 0], popupAnchor: [0, -d / 2] });
    }
    // Greedy screen-space placement: each symbol keeps its point if free, else takes the first free slot on
    // rings around it, so no symbol hides another at any zoom.
    function declutter() {
      var placed = [];
      records.forEach(function (rec) {
        if (!rec.shape || !map.hasLayer(rec.group)) { return; }
        rec.features.forEach(function (m) {
          var s = m.lzShape, p = map.latLngToLayerPoint(m.getLatLng()), best = null;
          if (!s) { return; }
          for (var ring = 0; ring < 8 && !best; ring++) {
            var n = ring === 0 ? 1 : 6 * ring;
            for (var j = 0; j < n && !best; j++) {
              var a = 2 * Math.PI * j / n, dx = Math.round(ring * s.d * Math.cos(a)), dy = Math.round(ring * s.d * Math.sin(a));
              var free = placed.every(function (q) {
                var gap = (q.d + s.d) / 2 - 1;
                return Math.abs(q.x - p.x - dx) >= gap || Math.abs(q.y - p.y - dy) >= gap;
              });
              if (free) { best = [dx, dy]; }
            }
          }
          best = best || [0, 0];
          placed.push({ x: p.x + best[0], y: p.y + best[1], d: s.d });
          if (!m.lzOffset || m.lzOffset[0] !== best[0] || m.lzOffset[1] !== best[1]) {
            m.lzOffset = best;
            m.setIcon(shapeIcon(s.html, s.d, best[0], best[1]));
          }
        });
      });
    }

    function build(rec) {
      rec.features = [];
      rec.geo = L.geoJSON(null, {
        coordsToLatLng: toLatLng,
        style: function (f) { return styleOf(rec, f); },
        pane: rec.pane || "overlayPane",
        pointToLayer: function (f, ll) {
          if (rec.shape) {
            // symbols that would hide each other are moved apart on screen by declutter(); the point stays put
            var st = featureStyle(rec, f), r = st.radius || 7, d = Math.ceil(2 * r + 4);
            var m = L.marker(ll, { icon: shapeIcon(shapeSvg(rec.shape, st, r, d, d), d, 0, 0),
              pane: rec.pane || "markerPane" });
            m.lzShape = { html: shapeSvg(rec.shape, st, r, d, d), d: d };
            return m;
          }
          var s = styleOf(rec, f); s.fillOpacity = featureStyle(rec, f).fill_opacity == null ? 0.85 : featureStyle(rec, f).fill_opacity;
          s.weight = Math.min(s.weight, 2);
          return L.circleMarker(ll, s);
        },
        onEachFeature: function (f, layer) {
          rec.features.push(layer);
          layer.lzRecord = rec;
          if (f.properties.name != null) { layer.bindTooltip(f.properties.name, { sticky: rec.kind !== "point" }); }
          layer.bindPopup(popupHtml(rec, f.properties), { maxWidth: 360 });
        }
      });
      rec.geo.addData(rec.data);
      rec.group.addLayer(rec.geo);
    }

    var bases = {}, overlays = {}, defaultBase = null;
    cfg.basemaps.forEach(function (b, i) {
      var layer;
      if (!b.tiles.length) {
        layer = L.layerGroup();
      } else {
        layer = L.layerGroup(b.tiles.map(function (t) {
          return L.tileLayer(t.url, { subdomains: t.subdomains || "abc", maxZoom: t.max_zoom || 18,
            attribution: t.attribution || "" });
        }));
      }
      layer.lzBasemap = b;
      bases[b.title] = layer;
      if (i === 0) { defaultBase = layer; }
    });
    defaultBase.addTo(map);

    var lastGroup = null;
    cfg.layers.forEach(function (spec) {
      var rec = { id: spec.id, title: spec.title, group: spec.group, kind: spec.kind, style: spec.style,
        fields: spec.fields, data: spec.data, group_layer: null, classes: spec.classes, marks: spec.marks,
        shape: spec.shape, pane: null };
      if (spec.pane) {
        rec.pane = "lz-" + spec.pane;
        if (!map.getPane(rec.pane)) { map.createPane(rec.pane).style.zIndex = spec.pane === "below" ? 390 : 450; }
      }
      rec.group = L.featureGroup();
      rec.group.lzHead = spec.group !== lastGroup ? spec.group : null;
      lastGroup = spec.group;
      build(rec);
      if (spec.show) { rec.group.addTo(map); }
      overlays[spec.title] = rec.group;
      records.push(rec);
    });

    // Layer control with a heading above each group of layers.
    var Grouped = L.Control.Layers.extend({
      _addItem: function (obj) {
        var label = L.Control.Layers.prototype._addItem.call(this, obj);
        if (obj.overlay && obj.layer.lzHead) {
          var head = document.createElement("div");
          head.className = "lz-layer-grp";
          head.innerHTML = obj.layer.lzHead;
          label.parentNode.insertBefore(head, label);
        }
        return label;
      }
    });
    var control = new Grouped(bases, overlays, { collapsed: cfg.layers.length > 14, position: "topright" });
    control.addTo(map);
    L.control.scale({ imperial: false, metric: true, position: "bottomleft" }).addTo(map);
    L.control.attribution({ prefix: cfg.attribution_prefix, position: "bottomright" }).addTo(map);

    // Title and the notice shown while the Gaode (GCJ-02) basemap is active.
    var head = L.DomUtil.create("div", "lz-head", box);
    var title = L.DomUtil.create("div", "lz-title", head);
    title.innerHTML = cfg.title;
    if (cfg.note) { L.DomUtil.create("div", "lz-note", head).innerHTML = cfg.note; }
    var banner = L.DomUtil.create("div", "lz-banner", head);
    banner.innerHTML = cfg.gcj02_notice;

    map.on("baselayerchange", function (e) {
      var datum = (e.layer.lzBasemap && e.layer.lzBasemap.datum) || "wgs84";
      if (datum === state.datum) { return; }
      state.datum = datum;
      records.forEach(function (rec) { rec.group.removeLayer(rec.geo); build(rec); });
      declutter();
      banner.style.display = datum === "gcj02" ? "block" : "none";
      box.setAttribute("data-lz-datum", datum);
    });
    box.setAttribute("data-lz-datum", "wgs84");

    // Legend.
    var Legend = L.Control.extend({ options: { position: "bottomright" }, onAdd: function () {
      var div = L.DomUtil.create("div", "lz-box lz-legend");
      var html = "<h4>" + cfg.legend_title + "</h4>", grp = null;
      cfg.layers.forEach(function (spec, k) {
        if (spec.legend === false) { return; }
        var rec = records[k];
        if (spec.group !== grp) { grp = spec.group; html += '<div class="lz-grp">' + grp + "</div>"; }
        function row(st, label, dashed, cls) {
          html += '<div class="lz-row' + (cls ? " lz-cls" : "") + '">' + swatch(st, rec.kind, dashed, rec.shape) +
            "<span>" + label + "</span></div>";
        }
        var variants = spec.variants && spec.variants.length ? spec.variants : [{ label: "", schematic: !!rec.style.dash }];
        if (spec.classes && spec.classes.length) {
          html += '<div class="lz-row lz-sub">' + rec.title + "</div>";
          spec.classes.forEach(function (c) { row(merged(rec.style, c.style), c.label, !!rec.style.dash, true); });
          if (spec.variants && spec.variants.length) {
            spec.variants.forEach(function (v) { row(merged(rec.style, { color: "#555555" }), v.note, v.schematic, true); });
          }
        } else {
          variants.forEach(function (v) { row(rec.style, rec.title + v.label, v.schematic, false); });
        }
        (spec.marks || []).forEach(function (m) {
          if (m.legend === false) { return; }
          var plain = rec.kind === "polygon" ? {} : { fill_color: "#ffffff" };  // a mark's swatch shows the mark only
          row(merged(merged(rec.style, plain), m.style), m.label, !!(m.style.dash || (variants[0] && variants[0].schematic)), true);
        });
      });
      div.innerHTML = html;
      L.DomEvent.disableScrollPropagation(div);
      L.DomEvent.disableClickPropagation(div);
      return div;
    } });
    new Legend().addTo(map);

    // Data sources and licences.
    var Credits = L.Control.extend({ options: { position: "bottomleft" }, onAdd: function () {
      var div = L.DomUtil.create("div", "lz-box lz-credits");
      var html = "<details><summary>" + cfg.credits_title + "</summary><ul>";
      cfg.credits.forEach(function (c) { html += "<li>" + c + "</li>"; });
      div.innerHTML = html + "</ul></details>";
      L.DomEvent.disableScrollPropagation(div);
      L.DomEvent.disableClickPropagation(div);
      return div;
    } });
    new Credits().addTo(map);

    // Search by name.
    var Search = L.Control.extend({ options: { position: "topleft" }, onAdd: function () {
      var div = L.DomUtil.create("div", "lz-box lz-search");
      var input = L.DomUtil.create("input", "", div);
      input.type = "search"; input.placeholder = cfg.search_placeholder;
      var list = L.DomUtil.create("ul", "", div);
      L.DomEvent.disableClickPropagation(div);
      L.DomEvent.disableScrollPropagation(div);
      function pick(rec, i) {
        var layer = rec.features[i];
        if (!map.hasLayer(rec.group)) { map.addLayer(rec.group); }
        if (layer.getLatLng) { map.setView(layer.getLatLng(), Math.max(map.getZoom(), 13)); }
        else { map.fitBounds(layer.getBounds(), { maxZoom: 14 }); }
        layer.openPopup();
      }
      input.addEventListener("input", function () {
        list.innerHTML = "";
        var q = esc(input.value.trim());
        if (!q) { return; }
        var n = 0;
        records.forEach(function (rec) {
          rec.features.forEach(function (layer, i) {
            var name = layer.feature.properties.name;
            if (n >= 12 || name == null || name.indexOf(q) < 0) { return; }
            n += 1;
            var li = L.DomUtil.create("li", "", list);
            li.innerHTML = name + "<small>" + rec.title + "</small>";
            li.addEventListener("click", function () { pick(rec, i); });
          });
        });
        if (!n) { L.DomUtil.create("li", "", list).innerHTML = cfg.search_none; }
      });
      return div;
    } });
    new Search().addTo(map);

    // Full screen through the browser's Fullscreen API.
    var Full = L.Control.extend({ options: { position: "topleft" }, onAdd: function () {
      var div = L.DomUtil.create("div", "leaflet-bar lz-fs");
      var a = L.DomUtil.create("a", "", div);
      a.setAttribute("role", "button"); a.title = cfg.fullscreen_label; a.textContent = cfg.fullscreen_text;
      L.DomEvent.on(a, "click", function (e) {
        L.DomEvent.preventDefault(e);
        if (document.fullscreenElement) { document.exitFullscreen(); }
        else if (box.requestFullscreen) { box.requestFullscreen(); }
      });
      return div;
    } });
    new Full().addTo(map);
    document.addEventListener("fullscreenchange", function () { map.invalidateSize(); });

    var bounds = L.latLngBounds([]);
    records.forEach(function (rec, k) {
      if (cfg.layers[k].fit && rec.features.length) { bounds.extend(rec.geo.getBounds()); }
    });
    if (bounds.isValid()) { map.fitBounds(bounds, { padding: [20, 20] }); }
    declutter();
    map.on("zoomend overlayadd overlayremove", declutter);

    window.lzState = { map: map, state: state, records: records, control: control, bases: bases, wgs2gcj: wgs2gcj };
    window.lzReadyMs = performance.now();
    box.setAttribute("data-lz-ready", "1");
  };
})();
"""

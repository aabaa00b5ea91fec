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
  // A legend row's symbol; st.dash (set by the legend model) draws it dashed.
  function swatch(st, kind, shape) {
    var c = st.color, f = st.fill_color || c, w = Math.min(st.weight || 2, 4);
    if (kind === "point" && shape) { return shapeSvg(shape, st, 7, 22, 16); }
    var svg = '<svg width="22" height="14" viewBox="0 0 22 14" aria-hidden="true">';
    if (kind === "point") {
      svg += '<circle cx="11" cy="7" r="' + Math.min(st.radius || 5, 6) + '" fill="' + f + '" fill-opacity="' +
        (st.fill_opacity == null ? 0.8 : st.fill_opacity) + '" stroke="' + c + '" stroke-width="1.5"/>';
    } else if (kind === "line") {
      svg += '<line x1="1" y1="7" x2="21" y2="7" stroke="' + c + '" stroke-width="' + w + '"' +
        (st.opacity == null ? '' : ' stroke-opacity="' + st.opacity + '"') +
        (st.dash ? ' stroke-dasharray="5 3"' : '') + '/>';
    } else {
      svg += '<rect x="2" y="2" width="18" height="10" fill="' + f + '" fill-opacity="' +
        (st.fill_opacity == null ? 0.2 : Math.max(st.fill_opacity, 0.15)) + '" stroke="' + c + '" stroke-width="1.5"' +
        (st.dash ? ' stroke-dasharray="4 2"' : '') + '/>';
    }
    return svg + '</svg>';
  }

  // A hollow (imprecise) or solid counted symbol for features that share one spot.
  function countSvg(st, n, hollow, shape, d) {
    var c = st.color && st.color !== "#ffffff" ? st.color : (st.fill_color || "#555555");
    var f = hollow ? "#ffffff" : (st.fill_color || c), r = d / 2 - 2, body;
    if (shape) {
      body = '<polygon points="' + shapePath(shape, d / 2, d / 2, r) + '"';
    } else {
      body = '<circle cx="' + d / 2 + '" cy="' + d / 2 + '" r="' + r + '"';
    }
    body += ' fill="' + f + '" fill-opacity="' + (hollow ? 0.75 : 0.9) + '" stroke="' + c + '" stroke-width="2"' +
      (hollow ? ' stroke-dasharray="3 2"' : '') + '/>';
    var txt = n > 1 ? '<text x="' + d / 2 + '" y="' + (d / 2 + 4) + '" text-anchor="middle" font-size="11" ' +
      'font-weight="bold" fill="' + (hollow ? c : "#ffffff") + '">' + n + '</text>' : "";
    return '<svg width="' + d + '" height="' + d + '" viewBox="0 0 ' + d + " " + d + '" aria-hidden="true">' +
      body + txt + '</svg>';
  }
  function fill(template, values) {
    return template.replace(/\{(\w+)\}/g, function (m, k) { return values[k] != null ? values[k] : m; });
  }
  function distanceZh(m) {
    if (m < 1000) { return Math.round(m) + " 米"; }
    var km = Number((m / 1000).toPrecision(2));
    return km + " 千米";
  }

  window.lzMap = function (map, cfg) {
    var state = { datum: "wgs84", status: {}, county: "" };
    var records = [];
    var box = map.getContainer();
    cfg.filters.status.forEach(function (s, k) { state.status[k] = true; });

    // Drawing order, one pane per kind: areas < lines < points < symbols < labels, whatever order the layers
    // come in (bands marked z: below lie under the other areas; z: above areas over them, still under lines).
    // Context geography (one canvas, no clicks) lies over the areas and under the plan's lines and points.
    [["lz-below", 390], ["lz-areas", 400], ["lz-above", 402], ["lz-context", 405], ["lz-lines", 420],
      ["lz-points", 440], ["lz-halo", 445], ["lz-labels", 640]].forEach(function (p) {
      var pane = map.createPane(p[0]);
      pane.style.zIndex = p[1];
      if (p[0] === "lz-labels" || p[0] === "lz-halo" || p[0] === "lz-context") { pane.style.pointerEvents = "none"; }
    });

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
    function paneOf(rec) {
      if (rec.pane) { return rec.pane; }
      if (rec.context) { return "lz-context"; }
      return rec.kind === "line" ? "lz-lines" : rec.kind === "point" ? "lz-points" : "lz-areas";
    }
    function styleOf(rec, feature) {
      var st = featureStyle(rec, feature), dashed = st.dash || (feature && feature.properties._schematic ? "8 6" : null);
      var out = { color: st.color, weight: st.weight || 2, opacity: st.opacity == null ? 0.9 : st.opacity,
        dashArray: dashed, fillColor: st.fill_color || st.color,
        fillOpacity: st.fill_opacity == null ? 0.2 : st.fill_opacity, radius: st.radius || 5, pane: paneOf(rec) };
      if (rec.kind === "polygon" && !rec.interactive) { out.fill = false; }
      return out;
    }
    function shapeIcon(html, d, dx, dy) {
      return L.divIcon({ className: "lz-shape", html: html, iconSize: [d, d], iconAnchor: [d / 2 - dx, d / 2 - dy],
        tooltipAnchor: [d / 2, 0], popupAnchor: [0, -d / 2] });
    }
    // Greedy screen-space placement: each symbol keeps its point if free, else takes the first free slot on a
    // ring one symbol size around it; where none is free it stays on its point.  A symbol is never drawn
    // farther from its feature than its own size (a point moved kilometres would claim a place it is not).
    function declutter() {
      var placed = [];
      records.forEach(function (rec) {
        if (!map.hasLayer(rec.group)) { return; }
        rec.features.concat(rec.clusters || []).forEach(function (m) {
          var s = m.lzShape, p, best = null;
          if (!s || !rec.geo.hasLayer(m)) { return; }
          p = map.latLngToLayerPoint(m.getLatLng());
          for (var ring = 0; ring < 2 && !best; ring++) {
            var n = ring === 0 ? 1 : 12;
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
    // A layer with a county field shows, while a county is chosen, only that county's features (those known
    // only to the city are hidden too); layers without it (boundaries, rivers) are not filtered.
    function passes(rec, f) {
      var p = f.properties;
      if (p._st != null && !state.status[p._st]) { return false; }
      if (state.county && rec.hasCounty && p._co !== state.county) { return false; }
      return true;
    }

    // Uncertainty on hover: the circle within which a coarsely placed feature lies.
    var halo = null;
    function showHalo(ll, radius) {
      hideHalo();
      if (!radius) { return; }
      halo = L.circle(ll, { radius: radius, pane: "lz-halo", interactive: false, color: "#555555", weight: 1.5,
        dashArray: "6 4", fillColor: "#888888", fillOpacity: 0.08 }).addTo(map);
    }
    function hideHalo() { if (halo) { map.removeLayer(halo); halo = null; } }

    // Features of one point layer that share a spot (or are known only to a township, county or the city)
    // become one counted symbol listing them: stacked symbols cannot be clicked, and a county-level
    // project drawn as a precise dot would claim a place the plan does not give.
    function aggregate(rec, feats, ll, key, near) {
      var hollow = !near && feats.every(function (f) { return f.properties._g; });
      var first = feats[0].properties, n = feats.length;
      var radius = Math.max.apply(null, feats.map(function (f) { return f.properties._p || 0; }));
      // titled by the place the members share (a township, county or the city), never by one member's name
      var label, place = first._pl || "";
      if (near) {
        label = fill(cfg.place_near, { n: n, what: rec.title });
      } else if (hollow) {
        label = fill(place ? cfg.place_count : cfg.place_count_here, { place: place, n: n, what: rec.title, level: first._lv });
      } else {
        label = fill(place ? cfg.place_same : cfg.place_same_here, { place: place, n: n, what: rec.title });
      }
      var st = featureStyle(rec, feats[0]), d = n > 1 ? Math.min(16 + 3 * Math.ceil(Math.log(n) / Math.LN2), 30) : 14;
      var html = countSvg(st, n, hollow, rec.shape, d);
      var m = L.marker(ll, { icon: shapeIcon(html, d, 0, 0), pane: "markerPane", keyboard: false });
      m.lzShape = { html: html, d: d };
      m.lzMembers = feats;
      m.lzRecord = rec;
      m.feature = { type: "Feature", properties: { name: label, _agg: n, _hollow: hollow ? 1 : 0, _key: key } };
      m.lzRadius = hollow ? radius : 0;
      var range = m.lzRadius ? '<div class="lz-range">' + fill(cfg.place_range, { distance: distanceZh(m.lzRadius) }) + "</div>" : "";
      function listHtml() {
        var items = feats.map(function (f, i) {
          var p = f.properties;
          return '<li><span class="lz-n">' + (i + 1) + '.</span><a href="#" data-lz-i="' + i + '">' + (p.name || "?") + "</a>" +
            (p.status ? "<small>" + p.status + "</small>" : "") + "</li>";
        }).join("");
        return '<div class="lz-popup"><div class="lz-ptitle">' + label + "</div>" + range +
          '<ol class="lz-list">' + items + "</ol></div>";
      }
      m.lzList = listHtml;
      m.lzDetail = function (i) {
        return '<div class="lz-popup"><a href="#" class="lz-back">' + cfg.back_to_list + "</a>" +
          popupHtml(rec, feats[i].properties).replace('<div class="lz-popup">', "<div>") + range + "</div>";
      };
      m.bindTooltip(label + (m.lzRadius ? "<br>" + fill(cfg.place_range, { distance: distanceZh(m.lzRadius) }) : ""),
        { direction: "top" });
      m.bindPopup(listHtml(), { maxWidth: 380, maxHeight: 320 });
      m.on("mouseover", function () { showHalo(m.getLatLng(), m.lzRadius); });
      m.on("mouseout popupclose", hideHalo);
      m.on("popupopen", function (e) { wirePopup(m, e.popup); });
      return m;
    }
    function wirePopup(m, popup) {
      var el = popup.getElement();
      if (!el) { return; }
      el.querySelectorAll("[data-lz-i]").forEach(function (a) {
        a.addEventListener("click", function (ev) {
          ev.preventDefault();
          popup.setContent(m.lzDetail(Number(a.getAttribute("data-lz-i"))));
          wirePopup(m, popup);
        });
      });
      var back = el.querySelector(".lz-back");
      if (back) {
        back.addEventListener("click", function (ev) { ev.preventDefault(); popup.setContent(m.lzList()); wirePopup(m, popup); });
      }
    }

    // Point symbols that fall on (almost) one pixel at this zoom are shown as one counted symbol listing them;
    // zooming in separates them again.  Recomputed after every zoom.
    // Symbols (stars, diamonds …) that cannot be moved apart within their own size are merged the same way,
    // from two on.  A merged symbol stands at its members' true centroid.
    var NEAR_PX = 5, NEAR_MIN = 3;
    function centroid(feats) {
      var lat = 0, lng = 0;
      feats.forEach(function (f) { var ll = toLatLng(f.geometry.coordinates); lat += ll.lat; lng += ll.lng; });
      return L.latLng(lat / feats.length, lng / feats.length);
    }
    function screenMerge() {
      records.forEach(function (rec) {
        (rec.clusters || []).forEach(function (c) { rec.geo.removeLayer(c); c.lzHidden.forEach(function (l) { rec.geo.addLayer(l); }); });
        rec.clusters = [];
        if (rec.kind !== "point" || !map.hasLayer(rec.group)) { return; }
        var groups = [];
        rec.features.forEach(function (layer) {
          if (!layer.getLatLng || (layer.lzMembers && !rec.shape)) { return; }
          var p = map.latLngToLayerPoint(layer.getLatLng()), g = null;
          for (var k = 0; k < groups.length && !g && !rec.shape; k++) {
            if (Math.abs(groups[k].p.x - p.x) <= NEAR_PX && Math.abs(groups[k].p.y - p.y) <= NEAR_PX) { g = groups[k]; }
          }
          if (!g) { g = { p: p, d: rec.shape ? layer.lzShape.d : 0, n: layer.lzMembers ? layer.lzMembers.length : 1,
            layers: [] }; groups.push(g); }
          g.layers.push(layer);
        });
        // symbols: merge any two that would overlap (the merged one, at the centroid, is larger) until none does
        for (var merging = !!rec.shape; merging;) {
          merging = false;
          for (var a = 0; a < groups.length && !merging; a++) {
            for (var b = a + 1; b < groups.length && !merging; b++) {
              var A = groups[a], B = groups[b], gap = (A.d + B.d) / 2 - 1;
              if (Math.abs(A.p.x - B.p.x) < gap && Math.abs(A.p.y - B.p.y) < gap) {
                var n = A.n + B.n;
                A.p = L.point((A.p.x * A.n + B.p.x * B.n) / n, (A.p.y * A.n + B.p.y * B.n) / n);
                A.n = n;
                A.d = Math.min(16 + 3 * Math.ceil(Math.log(n) / Math.LN2), 30);
                A.layers = A.layers.concat(B.layers);
                groups.splice(b, 1);
                merging = true;
              }
            }
          }
        }
        groups.forEach(function (g) {
          if (g.layers.length < (rec.shape ? 2 : NEAR_MIN)) { return; }
          var feats = [];
          g.layers.forEach(function (l) { feats = feats.concat(l.lzMembers || [l.feature]); });
          var c = aggregate(rec, feats, centroid(feats), null, true);
          c.lzHidden = g.layers;
          c.lzNear = true;
          g.layers.forEach(function (l) { rec.geo.removeLayer(l); });
          rec.geo.addLayer(c);
          rec.clusters.push(c);
        });
      });
    }

    function build(rec) {
      rec.features = [];
      rec.items = [];
      rec.itemOf = new Map();  // data feature -> its search item (the key of numbered names opens features by it)
      rec.clusters = [];
      var byFeature = new Map();
      if (rec.hasCounty == null) { rec.hasCounty = rec.data.features.some(function (f) { return f.properties._co != null; }); }
      var feats = rec.data.features.filter(function (f) { return passes(rec, f); }), plain = [];
      if (rec.kind === "point" && rec.honest) {
        var groups = {}, order = [];
        feats.forEach(function (f) {
          var g = f.geometry, key = g && g.type === "Point" ? g.coordinates[0] + "," + g.coordinates[1] : null;
          if (key === null) { plain.push(f); return; }
          if (!groups[key]) { groups[key] = []; order.push(key); }
          groups[key].push(f);
        });
        rec.aggregates = [];
        order.forEach(function (key) {
          var members = groups[key];
          if (members.length < 2 && !members[0].properties._g) { plain.push(members[0]); return; }
          rec.aggregates.push([key, members]);
        });
      } else {
        plain = feats;
        rec.aggregates = [];
      }
      if (rec.context && !rec.renderer) { rec.renderer = L.canvas({ pane: paneOf(rec) }); }
      rec.geo = L.geoJSON(null, {
        renderer: rec.renderer || undefined,
        coordsToLatLng: toLatLng,
        style: function (f) { return styleOf(rec, f); },
        pane: paneOf(rec),
        interactive: rec.interactive,
        bubblingMouseEvents: false,
        pointToLayer: function (f, ll) {
          if (rec.shape) {
            // symbols that would hide each other are moved apart on screen by declutter(); the point stays put
            var st = featureStyle(rec, f), r = st.radius || 7, d = Math.ceil(2 * r + 4);
            var m = L.marker(ll, { icon: shapeIcon(shapeSvg(rec.shape, st, r, d, d), d, 0, 0),
              pane: "markerPane", keyboard: false });
            m.lzShape = { html: shapeSvg(rec.shape, st, r, d, d), d: d };
            return m;
          }
          var s = styleOf(rec, f); s.fillOpacity = featureStyle(rec, f).fill_opacity == null ? 0.85 : featureStyle(rec, f).fill_opacity;
          s.weight = Math.min(s.weight, 2);
          return L.circleMarker(ll, s);
        },
        onEachFeature: function (f, layer) {
          byFeature.set(f, layer);
          layer.lzRecord = rec;
          // an outline catches no clicks, but search still opens its popup
          layer.bindPopup(popupHtml(rec, f.properties), { maxWidth: 360 });
          if (!rec.interactive) { return; }
          if (f.properties.name != null) { layer.bindTooltip(f.properties.name, { sticky: rec.kind !== "point" }); }
        }
      });
      rec.geo.addData({ type: "FeatureCollection", features: plain });
      var members = new Map();
      rec.aggregates.forEach(function (a) {
        var m = aggregate(rec, a[1], toLatLng(a[1][0].geometry.coordinates), a[0]);
        rec.geo.addLayer(m);
        a[1].forEach(function (f, i) { members.set(f, [m, i]); });
      });
      // features (and counted symbols, at their first member) and search items in the data's order
      var seen = new Set();
      feats.forEach(function (f) {
        var layer = byFeature.get(f), agg = members.get(f);
        if (layer) {
          rec.features.push(layer);
          rec.items.push({ name: f.properties.name, layer: layer, i: null });
        } else if (agg) {
          if (!seen.has(agg[0])) { seen.add(agg[0]); rec.features.push(agg[0]); }
          rec.items.push({ name: f.properties.name, layer: agg[0], i: agg[1] });
        }
        if (rec.items.length) { rec.itemOf.set(f, rec.items[rec.items.length - 1]); }
      });
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
        shape: spec.shape, pane: null, interactive: spec.interactive !== false, honest: !!spec.honest,
        context: !!spec.context };
      if (spec.pane === "below") { rec.pane = "lz-below"; }
      if (spec.pane === "above" && spec.kind === "polygon") { rec.pane = "lz-above"; }
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
    var control = new Grouped(bases, overlays, { collapsed: box.clientWidth < 600, position: "topright" });
    control.addTo(map);

    // North arrow (the map is north-up), above the scale bar.
    var North = L.Control.extend({ options: { position: "bottomleft" }, onAdd: function () {
      var div = L.DomUtil.create("div", "lz-north");
      div.innerHTML = '<svg width="28" height="40" viewBox="0 0 28 40" aria-hidden="true">' +
        '<polygon points="14,2 24,30 14,24 4,30" fill="#222" stroke="#222" stroke-width="1"/>' +
        '<polygon points="14,2 14,24 4,30" fill="#fff" stroke="#222" stroke-width="1"/></svg>' +
        '<div class="lz-north-t">' + cfg.north + "</div>";
      div.title = cfg.north;
      return div;
    } });
    new North().addTo(map);
    L.control.scale({ imperial: false, metric: true, position: "bottomleft", maxWidth: 160 }).addTo(map);
    L.control.attribution({ prefix: cfg.attribution_prefix, position: "bottomright" }).addTo(map);

    // Title, date and the notice shown while the Gaode (GCJ-02) basemap is active.
    var head = L.DomUtil.create("div", "lz-head", box);
    var title = L.DomUtil.create("div", "lz-title", head);
    title.innerHTML = cfg.title;
    if (cfg.note) { L.DomUtil.create("div", "lz-note", head).innerHTML = cfg.note; }
    L.DomUtil.create("div", "lz-date", head).innerHTML = cfg.date;
    var banner = L.DomUtil.create("div", "lz-banner", head);
    // an open popup lies above the title box (the title goes under the map's panes while it is open)
    map.on("popupopen", function () { box.classList.add("lz-popup-open"); });
    map.on("popupclose", function () { box.classList.remove("lz-popup-open"); });
    banner.innerHTML = cfg.gcj02_notice;

    function rebuildAll() {
      records.forEach(function (rec) { rec.group.removeLayer(rec.geo); build(rec); });
      screenMerge();
      declutter();
      placeLabels();
    }
    map.on("baselayerchange", function (e) {
      var datum = (e.layer.lzBasemap && e.layer.lzBasemap.datum) || "wgs84";
      if (datum === state.datum) { return; }
      state.datum = datum;
      rebuildAll();
      banner.style.display = datum === "gcj02" ? "block" : "none";
      box.setAttribute("data-lz-datum", datum);
    });
    box.setAttribute("data-lz-datum", "wgs84");

    // Permanent labels that avoid one another: placed by priority; a label that would overlap one already
    // placed tries positions around its anchor, else waits for a closer zoom.
    function labelMarker(lb) {
      var m = L.marker(toLatLng(lb.ll), { pane: "lz-labels", interactive: false, keyboard: false,
        icon: L.divIcon({ className: "lz-label lz-label-" + lb.c, html: "<span>" + lb.t + "</span>", iconSize: [0, 0] }) });
      m.lzLabel = lb;
      return m;
    }
    var labelLayers = (cfg.labels || []).map(labelMarker);
    labelLayers.sort(function (a, b) { return b.lzLabel.p - a.lzLabel.p; });
    var labelGroup = L.layerGroup(labelLayers).addTo(map);
    var OFFSETS = [[0, 0], [0, -1], [0, 1], [1, 0], [-1, 0], [1, -1], [-1, -1], [1, 1], [-1, 1], [0, -2], [0, 2],
      [2, 0], [-2, 0], [2, -2], [-2, -2], [2, 2], [-2, 2], [0, -3], [0, 3], [3, 0], [-3, 0]];
    // names (and numbers) of the user's features sit beside their symbol: right, left, above, below, corners
    var BESIDE = [[1, 0], [-1, 0], [0, -1], [0, 1], [1, -1], [1, 1], [-1, -1], [-1, 1]];
    function userShown(lb) {
      var rec = lb.f ? records[lb.f[0]] : null;
      return !rec || map.hasLayer(rec.group);
    }
    function placeLabels() {
      var z = map.getZoom(), placed = [], todo = [];
      // write visibility first, then read every size once (sizes are cached: the text never changes), then
      // place: no layout is forced between a write and a read
      labelLayers.forEach(function (m) {
        var el = m.getElement();
        if (!el || !el.firstChild) { return; }
        var on = z >= m.lzLabel.z && !m.lzNumbered && (m.lzLabel.c !== "user" && m.lzLabel.c !== "num" ||
          userShown(m.lzLabel));
        el.style.display = on ? "" : "none";
        if (on) { todo.push(m); }
      });
      todo.forEach(function (m) {
        if (!m.lzSize) { var span = m.getElement().firstChild; m.lzSize = [span.offsetWidth, span.offsetHeight]; }
      });
      var moves = [], symbols = [];
      // the symbols of the user's features: their names do not hide them
      todo.forEach(function (m) {
        if (m.lzLabel.c !== "user") { return; }
        var q = map.latLngToContainerPoint(m.getLatLng());
        symbols.push({ l: q.x - 7, r: q.x + 7, t: q.y - 7, b: q.y + 7 });
      });
      todo.forEach(function (m) {
        var w = m.lzSize[0], h = m.lzSize[1], p = map.latLngToContainerPoint(m.getLatLng()), ok = null;
        var user = m.lzLabel.c === "user" || m.lzLabel.c === "num", offsets = user ? BESIDE : OFFSETS;
        // districts/counties, structure elements and the numbers of the key are always shown
        var must = m.lzLabel.p >= 9 || m.lzLabel.c === "num", best = null;
        for (var k = 0; k < (must || user ? offsets.length : 13) && !ok; k++) {
          var dx = offsets[k][0] * (w / 2 + (user ? 9 : 6)), dy = offsets[k][1] * (user ? h / 2 + 8 : h * 0.8 + 2);
          var r = { l: p.x + dx - w / 2, r: p.x + dx + w / 2, t: p.y + dy - h / 2, b: p.y + dy + h / 2 };
          var hits = 0, against = user ? placed.concat(symbols) : placed;
          for (var q = 0; q < against.length; q++) {
            var o = against[q];
            if (!(r.r < o.l || r.l > o.r || r.b < o.t || r.t > o.b)) { hits += 1; }
          }
          if (!best || hits < best[3]) { best = [dx, dy, r, hits]; }
          if (!hits) { ok = [dx, dy, r]; }
        }
        if (!ok && must) { ok = best; }
        moves.push([m, ok]);
        if (ok) { placed.push(ok[2]); }
      });
      moves.forEach(function (mv) {
        var el = mv[0].getElement(), ok = mv[1];
        if (!ok) { el.style.display = "none"; return; }
        el.firstChild.style.transform = "translate(calc(-50% + " + ok[0] + "px),calc(-50% + " + ok[1] + "px))";
      });
    }
    map.on("zoomend moveend", placeLabels);

    // Legend: only what is drawn (rebuilt when layers are switched on or off), from the one legend model of
    // screen and paper (gis/_legend.py builds cfg.legend; the print page walks the same rows).
    // Each group (its heading and its rows) is one block that never splits across the legend's columns.
    function legendHtml() {
      var html = "", grp = null, anyHollow = false;
      cfg.legend.entries.forEach(function (entry) {
        var rec = records[entry.layer];
        if (!map.hasLayer(rec.group) || !rec.features.length || !entry.rows.length) { return; }
        if (rec.aggregates && rec.aggregates.length) { anyHollow = true; }
        if (entry.group !== grp) {
          html += (grp === null ? "" : "</div>") + '<div class="lz-gbox"><div class="lz-grp">' + entry.group + "</div>";
          grp = entry.group;
        }
        entry.rows.forEach(function (row) {
          if (row.role === "sub") { html += '<div class="lz-row lz-sub">' + row.text + "</div>"; return; }
          html += '<div class="lz-row' + (row.indent ? " lz-cls" : "") + '">' +
            swatch(row.style, row.kind, row.shape) + "<span>" + row.text + "</span></div>";
        });
      });
      if (grp !== null) { html += "</div>"; }
      if (anyHollow) {
        var h = cfg.legend.honest;
        html += '<div class="lz-gbox"><div class="lz-grp">' + h.heading + '</div><div class="lz-row">' +
          countSvg({ color: "#555555" }, 5, true, null, 20) + "<span>" + h.hollow + '</span></div><div class="lz-row">' +
          countSvg({ color: "#555555", fill_color: "#555555" }, 1, false, null, 14) + "<span>" + h.solid +
          "</span></div></div>";
      }
      return html;
    }
    // a box on the map: scrolling and clicking in it do not reach the map under it
    function quiet(div) {
      L.DomEvent.disableScrollPropagation(div);
      L.DomEvent.disableClickPropagation(div);
      return div;
    }
    // The legend folds away behind its heading (a toggle); folded at first on a narrow screen.
    var NARROW_PX = 600, narrow = box.clientWidth < NARROW_PX;
    var legendDiv = null, legendBody = null;
    function refreshLegend() { if (legendBody) { legendBody.innerHTML = legendHtml(); } }
    function foldLegend(folded) {
      legendDiv.classList.toggle("lz-folded", folded);
      legendDiv.querySelector(".lz-fold").setAttribute("aria-expanded", folded ? "false" : "true");
    }
    var Legend = L.Control.extend({ options: { position: "bottomright" }, onAdd: function () {
      legendDiv = L.DomUtil.create("div", "lz-box lz-legend");
      legendDiv.innerHTML = '<h4><a href="#" role="button" class="lz-fold" title="' + cfg.legend_toggle + '">' +
        cfg.legend_title + '<span class="lz-caret" aria-hidden="true"></span></a></h4><div class="lz-lbody"></div>';
      legendBody = legendDiv.querySelector(".lz-lbody");
      legendBody.innerHTML = legendHtml();
      L.DomEvent.on(legendDiv.querySelector(".lz-fold"), "click", function (e) {
        L.DomEvent.preventDefault(e);
        foldLegend(!legendDiv.classList.contains("lz-folded"));
      });
      return quiet(legendDiv);
    } });
    new Legend().addTo(map);
    foldLegend(narrow);
    // The open legend (bottom right) never covers the layer panel above it (top right): it gets the height left
    // below the panel and scrolls inside it; with less than MIN_LEGEND_PX left it starts folded.
    var MIN_LEGEND_PX = 140;
    function fitLegend(first) {
      var above = 0, boxTop = box.getBoundingClientRect().top;
      document.querySelectorAll(".leaflet-top.leaflet-right .leaflet-control").forEach(function (c) {
        above = Math.max(above, c.getBoundingClientRect().bottom - boxTop); });
      var free = legendDiv.getBoundingClientRect().bottom - boxTop - above - 10;
      legendDiv.style.maxHeight = Math.max(free, MIN_LEGEND_PX) + "px";
      if (first && free < MIN_LEGEND_PX) { foldLegend(true); }
    }
    fitLegend(true);
    map.on("resize", function () { fitLegend(false); });
    map.on("overlayadd overlayremove", refreshLegend);

    // Data sources and licences.
    var Credits = L.Control.extend({ options: { position: "bottomleft" }, onAdd: function () {
      var div = L.DomUtil.create("div", "lz-box lz-credits");
      var html = "<details><summary>" + cfg.credits_title + "</summary><ul>";
      cfg.credits.forEach(function (c) { html += "<li>" + c + "</li>"; });
      div.innerHTML = html + "</ul></details>";
      return quiet(div);
    } });
    new Credits().addTo(map);

    // Open one feature (a search hit, an entry of the key): never zooms closer than its precision.
    function openItem(rec, item) {
      var layer = item.layer;
      if (!map.hasLayer(rec.group)) { map.addLayer(rec.group); }
      if (layer.getLatLng) {
        var ll = layer.getLatLng(), p = item.i != null ? (layer.lzMembers[item.i].properties._p || 0)
          : ((layer.feature && layer.feature.properties._p) || 0);
        var zoom = 13;
        if (p > 0) { zoom = Math.min(zoom, map.getBoundsZoom(ll.toBounds(2 * p))); }
        map.setView(ll, zoom, { animate: false });
      } else { map.fitBounds(layer.getBounds(), { maxZoom: 14, animate: false }); }
      var index = item.i;
      if (!rec.geo.hasLayer(layer)) {  // drawn inside a symbol merging those that overlap at this zoom
        var c = (rec.clusters || []).find(function (k) { return k.lzHidden.indexOf(layer) >= 0; });
        if (c) { index = c.lzMembers.indexOf(index != null ? layer.lzMembers[index] : layer.feature); layer = c; }
      }
      layer.openPopup();
      if (index != null && layer.lzDetail && layer.getPopup()) {
        layer.getPopup().setContent(layer.lzDetail(index)); wirePopup(layer, layer.getPopup());
      }
    }

    // Search by name.
    var Search = L.Control.extend({ options: { position: "topleft" }, onAdd: function () {
      var div = L.DomUtil.create("div", "lz-box lz-search");
      var input = L.DomUtil.create("input", "", div);
      input.type = "search"; input.placeholder = cfg.search_placeholder;
      var list = L.DomUtil.create("ul", "", div);
      quiet(div);
      input.addEventListener("input", function () {
        list.innerHTML = "";
        var q = esc(input.value.trim());
        if (!q) { return; }
        var n = 0;
        records.forEach(function (rec) {
          rec.items.forEach(function (item) {
            var name = item.name;
            if (n >= 12 || name == null || name.indexOf(q) < 0) { return; }
            n += 1;
            var li = L.DomUtil.create("li", "", list);
            li.innerHTML = name + "<small>" + rec.title + "</small>";
            li.addEventListener("click", function () { openItem(rec, item); });
          });
        });
        if (!n) { L.DomUtil.create("li", "", list).innerHTML = cfg.search_none; }
      });
      return div;
    } });
    new Search().addTo(map);

    // Filters: by status (已建 / 在建 / 规划 …) and by county; features without these fields always stay.
    var hasStatus = records.some(function (r) { return r.data.features.some(function (f) { return f.properties._st != null; }); });
    if (hasStatus || cfg.filters.counties.length) {
      var Filter = L.Control.extend({ options: { position: "topleft" }, onAdd: function () {
        var div = L.DomUtil.create("div", "lz-box lz-filter");
        var html = "";
        if (hasStatus) {
          html += "<div><b>" + cfg.status_filter + "</b> ";
          cfg.filters.status.forEach(function (s, k) {
            html += '<label><input type="checkbox" data-lz-st="' + k + '" checked>' + s + "</label> ";
          });
          html += "</div>";
        }
        if (cfg.filters.counties.length) {
          html += "<div><b>" + cfg.county_filter + '</b> <select><option value="">' + cfg.county_all + "</option>" +
            cfg.filters.counties.map(function (c, k) { return '<option value="' + k + '">' + c + "</option>"; }).join("") +
            "</select></div>";
        }
        div.innerHTML = html;
        div.querySelectorAll("[data-lz-st]").forEach(function (cb) {
          cb.addEventListener("change", function () {
            state.status[Number(cb.getAttribute("data-lz-st"))] = cb.checked;
            rebuildAll();
            refreshLegend();
          });
        });
        var sel = div.querySelector("select");
        if (sel) {
          sel.addEventListener("change", function () {
            // the county as the features carry it (both are the same escaped text)
            state.county = sel.value === "" ? "" : cfg.filters.counties[Number(sel.value)];
            rebuildAll();
            refreshLegend();
          });
        }
        return quiet(div);
      } });
      new Filter().addTo(map);
    }

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
      if (!cfg.layers[k].fit || !rec.geo.getLayers().length) { return; }
      var b = cfg.layers[k].box;  // a user layer with features outside the city: the box of the others
      if (b === undefined) { bounds.extend(rec.geo.getBounds()); }
      else if (b) { bounds.extend([[b[1], b[0]], [b[3], b[2]]]); }
    });
    // open on the whole area in the space the controls and the legend leave free
    if (bounds.isValid()) {
      var left = 20, right = 20, top = 20, size = map.getSize();
      document.querySelectorAll(".leaflet-top.leaflet-left .leaflet-control").forEach(function (c) {
        left = Math.max(left, c.offsetWidth + 20); });
      if (legendDiv && legendDiv.offsetWidth < size.x / 2) { right = legendDiv.offsetWidth + 20; }
      var headEl = box.querySelector(".lz-head");
      if (headEl) { top = headEl.offsetHeight + 20; }
      if (size.x - left - right < 360) { left = right = 20; }  // a narrow window: use all of it
      map.fitBounds(bounds, { paddingTopLeft: [left, top], paddingBottomRight: [right, 20], maxZoom: 15, animate: false });
    }
    screenMerge();
    declutter();
    placeLabels();
    numberCollisions();
    map.on("zoomend overlayadd overlayremove", function () { screenMerge(); declutter(); });
    map.on("overlayadd overlayremove", placeLabels);

    // Names of the user's features that found no room at the opening zoom: a number beside the symbol
    // (features at one spot share one tag, "3–5") and an entry in the key (编号 — 名称) that opens the feature.
    function numberCollisions() {
      var failed = labelLayers.filter(function (m) {
        var el = m.getElement();
        return m.lzLabel.c === "user" && userShown(m.lzLabel) && el && el.style.display === "none";
      });
      if (!failed.length) { return; }
      var groups = [], byKey = {};
      failed.forEach(function (m) {
        var key = m.lzLabel.ll.join(",");
        if (!byKey[key]) { byKey[key] = []; groups.push(byKey[key]); }
        byKey[key].push(m);
      });
      var n = 0, entries = [];
      groups.forEach(function (members) {
        var numbers = members.map(function (m) {
          n += 1;
          m.lzNumbered = n;
          entries.push([n, m.lzLabel]);
          return n;
        });
        var tag = numbers.length > 2 && numbers[numbers.length - 1] - numbers[0] === numbers.length - 1
          ? numbers[0] + "–" + numbers[numbers.length - 1] : numbers.join(",");
        var badge = labelMarker({ t: tag, ll: members[0].lzLabel.ll, p: 3.5, z: 0, c: "num", f: members[0].lzLabel.f });
        labelLayers.push(badge);
        labelGroup.addLayer(badge);
      });
      labelLayers.sort(function (a, b) { return b.lzLabel.p - a.lzLabel.p; });
      var Key = L.Control.extend({ options: { position: "topleft" }, onAdd: function () {
        var div = L.DomUtil.create("div", "lz-box lz-key");
        div.innerHTML = "<details open><summary>" + cfg.label_key + "</summary><ol>" + entries.map(function (e) {
          return '<li value="' + e[0] + '" data-name="' + e[1].t + '"><a href="#"><b>' + e[0] + "</b> " + e[1].t +
            "</a></li>";
        }).join("") + "</ol></details>";
        div.querySelectorAll("li").forEach(function (li, k) {
          li.addEventListener("click", function (ev) {
            ev.preventDefault();
            var f = entries[k][1].f, rec = records[f[0]], item = rec && rec.itemOf.get(rec.data.features[f[1]]);
            if (item) { openItem(rec, item); }
          });
        });
        return quiet(div);
      } });
      new Key().addTo(map);
      placeLabels();
    }

    window.lzState = { map: map, state: state, records: records, control: control, bases: bases, wgs2gcj: wgs2gcj,
      labels: labelLayers, placeLabels: placeLabels };
    window.lzReadyMs = performance.now();
    box.setAttribute("data-lz-ready", "1");
  };
})();

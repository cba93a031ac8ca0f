/* The control room's live map (kotwal patrol). Leaflet draws station areas, beats, units and
   open incidents over a plain background (or the force's own tiles, KOTWAL_PATROL_TILE_URL);
   server-sent events from /patrol/control/events carry what changed. Text from the server is
   only ever set as text (textContent), never parsed as HTML. */
(function () {
  "use strict";

  var root = document.getElementById("control-room");
  if (!root || typeof L === "undefined") { return; }
  var state = document.getElementById("control-state");
  var COLOURS = {
    available: "#2f855a", dispatched: "#c05621", en_route: "#b7791f",
    on_scene: "#c53030", off_duty: "#718096"
  };
  var map = L.map("control-map", { zoomControl: true, attributionControl: false });
  map.setView([17.385, 78.4867], 11);
  if (root.dataset.tiles) {
    L.tileLayer(root.dataset.tiles, { maxZoom: 19 }).addTo(map);
  }
  var areaLayer = L.layerGroup().addTo(map);
  var incidentLayer = L.layerGroup().addTo(map);
  // Units above incidents, whichever was drawn last.
  map.createPane("units").style.zIndex = 450;
  var unitLayer = L.layerGroup().addTo(map);
  var units = new Map();      // id -> {data, marker, row}
  var beats = new Map();      // beat id -> its layer
  var uncovered = new Set();  // beat ids with an open alert
  var placed = new Map();     // id -> [lat, lon]
  var fitted = false;

  function say(text) { state.textContent = text; }

  function drawAreas(areas) {
    areaLayer.clearLayers();
    var bounds = null;
    areas.forEach(function (a) {
      var beat = a.kind === "beat";
      var layer = L.geoJSON(JSON.parse(a.geometry), {
        style: {
          color: beat ? "#4a5568" : "#1a365d", weight: beat ? 1 : 2.5,
          dashArray: beat ? "4 3" : null, fillColor: beat ? "#cbd5e0" : "#bee3f8",
          fillOpacity: beat ? 0.12 : 0.08, className: beat ? "beat-area" : "station-area"
        }
      });
      layer.bindTooltip(a.code + " " + a.name, { sticky: true });
      layer.addTo(areaLayer);
      if (beat) { beats.set(a.id, layer); }
      var b = layer.getBounds();
      bounds = bounds ? bounds.extend(b) : b;
    });
    if (bounds && bounds.isValid()) { map.fitBounds(bounds, { padding: [12, 12], animate: false }); fitted = true; }
  }

  function statusBadge(status) {
    var span = document.createElement("span");
    span.className = "status status-" + status;
    span.textContent = status.replace("_", " ");
    return span;
  }

  function unitRow(u) {
    var row = document.createElement("tr");
    var name = document.createElement("td");
    var status = document.createElement("td");
    row.appendChild(name);
    row.appendChild(status);
    return row;
  }

  function showUnit(u) {
    var held = units.get(u.id);
    if (!held) {
      held = { data: u, marker: null, row: unitRow(u) };
      units.set(u.id, held);
    }
    held.data = u;
    held.row.dataset.unitId = u.id;
    held.row.dataset.status = u.status;
    held.row.cells[0].textContent = u.call_sign;
    held.row.cells[1].replaceChildren(statusBadge(u.status));
    if (held.marker) { held.marker.setStyle({ fillColor: COLOURS[u.status] || "#4a5058" }); }
  }

  function sortUnits() {
    var body = document.getElementById("unit-list");
    var rows = Array.from(units.values()).sort(function (a, b) {
      return a.data.call_sign < b.data.call_sign ? -1 : 1;
    }).map(function (h) { return h.row; });
    body.replaceChildren.apply(body, rows);
    document.getElementById("unit-count").textContent = String(rows.length);
  }

  // SVG (each unit an element) for a station's units; one canvas for a fleet, where thousands
  // of elements would make every redraw slow.
  var renderer = null;
  var markers = 0;
  var CANVAS_FROM = 1000;
  var expected = 0;
  function unitRenderer() {
    if (!renderer) {
      var big = expected > CANVAS_FROM;
      renderer = big ? L.canvas({ pane: "units", padding: 0.3 }) : L.svg({ pane: "units" });
      root.dataset.renderer = big ? "canvas" : "svg";
    }
    return renderer;
  }

  function placeUnit(p) {
    var held = units.get(p.unit_id);
    var where = [p.lat, p.lon];
    placed.set(p.unit_id, where);
    if (!held) { return; }
    if (!held.marker) {
      var fleet = unitRenderer() instanceof L.Canvas;
      held.marker = L.circleMarker(where, {
        radius: fleet ? 4 : 7, weight: fleet ? 1 : 2, color: "#1a202c", fillOpacity: 0.9,
        pane: "units", renderer: unitRenderer(),
        fillColor: COLOURS[held.data.status] || "#4a5058",
        className: "unit-marker unit-" + p.unit_id
      });
      held.marker.bindTooltip(held.data.call_sign, { direction: "top", offset: [0, -6] });
      held.marker.addTo(unitLayer);
      markers += 1;
      root.dataset.markers = String(markers);
    } else {
      held.marker.setLatLng(where);
    }
    held.row.dataset.lat = String(p.lat);
    held.row.dataset.lon = String(p.lon);
  }

  function showIncidents(list) {
    incidentLayer.clearLayers();
    var queue = document.getElementById("incident-queue");
    var items = list.map(function (i) {
      var li = document.createElement("li");
      li.className = "p" + i.priority;
      li.dataset.incidentId = i.id;
      li.dataset.status = i.status;
      var unit = i.unit_id && units.get(i.unit_id);
      li.textContent = "P" + i.priority + " " + i.category.replace("_", " ") + " · " +
        i.status.replace("_", " ") + (unit ? " · " + unit.data.call_sign : "");
      if (typeof i.lat === "number" && typeof i.lon === "number") {
        L.circleMarker([i.lat, i.lon], {
          radius: 9, weight: 3, color: "#742a2a", fillColor: "#fc8181", fillOpacity: 0.7,
          className: "incident-marker incident-" + i.id
        }).bindTooltip("P" + i.priority + " " + i.category).addTo(incidentLayer);
      }
      return li;
    });
    queue.replaceChildren.apply(queue, items);
    document.getElementById("incident-count").textContent = String(items.length);
  }

  function beatStyle(id) {
    var layer = beats.get(id);
    if (!layer) { return; }
    var alert = uncovered.has(id);
    layer.setStyle(alert
      ? { color: "#c53030", weight: 2.5, dashArray: null, fillColor: "#feb2b2", fillOpacity: 0.25 }
      : { color: "#4a5568", weight: 1, dashArray: "4 3", fillColor: "#cbd5e0", fillOpacity: 0.12 });
  }

  function showUncovered(list) {
    var before = Array.from(uncovered);
    uncovered = new Set(list.map(function (a) { return a.beat_id; }));
    before.forEach(beatStyle);
    uncovered.forEach(beatStyle);
    var items = list.map(function (a) {
      var li = document.createElement("li");
      li.className = "p1";
      li.dataset.beatId = a.beat_id;
      li.textContent = a.code + " " + a.name + ": no unit for " + a.hours + " h or more";
      return li;
    });
    var listed = document.getElementById("uncovered-list");
    listed.replaceChildren.apply(listed, items);
    document.getElementById("uncovered-count").textContent = String(items.length);
    document.getElementById("uncovered").hidden = items.length === 0;
  }

  var lastIncidents = null;
  function apply(changes) {
    if (changes.areas) { drawAreas(changes.areas); }
    if (changes.units) { changes.units.forEach(showUnit); sortUnits(); }
    if (changes.units) {
      // A unit whose position came before the unit itself: draw it now.
      changes.units.forEach(function (u) {
        var where = placed.get(u.id);
        if (where && !units.get(u.id).marker) {
          placeUnit({ unit_id: u.id, lat: where[0], lon: where[1] });
        }
      });
    }
    if (changes.positions) {
      expected = Math.max(expected, changes.positions.length);
      changes.positions.forEach(placeUnit);
      if (!fitted && changes.positions.length) {
        // No area drawn to fit: fit every unit instead.
        var all = L.latLngBounds(changes.positions.map(function (p) { return [p.lat, p.lon]; }));
        map.fitBounds(all, { padding: [12, 12], maxZoom: 15, animate: false });
        fitted = true;
      }
    }
    if (changes.beat_alerts) { showUncovered(changes.beat_alerts); }
    if (changes.incidents) { lastIncidents = changes.incidents; }
    if (lastIncidents && (changes.incidents || changes.units)) { showIncidents(lastIncidents); }
    root.dataset.updated = new Date().toISOString();
  }

  var source = new EventSource(root.dataset.events);
  source.addEventListener("open", function () { say("Live: updated as units report."); });
  source.addEventListener("error", function () { say("Reconnecting…"); });
  source.addEventListener("changes", function (e) { apply(JSON.parse(e.data)); });
  source.addEventListener("refused", function (e) {
    var why = JSON.parse(e.data);
    source.close();
    say("Stopped: " + why.title + (why.detail && why.detail !== why.title ? ": " + why.detail : ""));
    root.dataset.refused = String(why.status);
  });
})();

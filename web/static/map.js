// The map beside the list: Leaflet (from xstatic-leaflet), fed by the page's GeoJSON.
// The list is complete without it; the map only shows the same things in space.
(function () {
  "use strict";
  var box = document.getElementById("map");
  if (!box || !window.L || !window.fetch) { return; }
  box.hidden = false;
  var map = L.map(box, { scrollWheelZoom: false });
  var tiles = box.getAttribute("data-tiles");
  if (tiles) {
    L.tileLayer(tiles, { maxZoom: 19, attribution: box.getAttribute("data-attribution") || "" }).addTo(map);
  }
  var bounds = box.getAttribute("data-bounds");
  if (bounds) {
    var b = JSON.parse(bounds);
    if (b[0] === b[2] && b[1] === b[3]) { map.setView([b[0], b[1]], 13); }
    else { map.fitBounds([[b[0], b[1]], [b[2], b[3]]], { padding: [20, 20] }); }
  } else {
    map.setView([46.6, 2.4], 5);
  }
  var markers = {};
  function escape(text) {
    var span = document.createElement("span");
    span.textContent = text == null ? "" : String(text);
    return span.innerHTML;
  }
  fetch(box.getAttribute("data-geojson"), { headers: { Accept: "application/geo+json" } })
    .then(function (response) { return response.ok ? response.json() : { features: [] }; })
    .then(function (collection) {
      var layer = L.geoJSON(collection, {
        pointToLayer: function (feature, latlng) {
          var p = feature.properties || {};
          var marker = L.marker(latlng, { title: p.name, alt: p.name, keyboard: true });
          marker.bindPopup('<a href="' + escape(p.iri) + '">' + escape(p.name) + "</a><br>" +
                           escape(p.typeLabel) + " · " + escape(p.place));
          markers[p.iri] = marker;
          return marker;
        }
      }).addTo(map);
      if (collection.features && collection.features.length) {
        map.fitBounds(layer.getBounds(), { padding: [20, 20], maxZoom: 15 });
      }
      box.setAttribute("data-markers", String(collection.features ? collection.features.length : 0));
      var label = box.getAttribute("data-locate-label");
      document.querySelectorAll(".map-list li[data-iri]").forEach(function (row) {
        var marker = markers[row.getAttribute("data-iri")];
        if (!marker) { return; }
        var button = document.createElement("button");
        button.type = "button";
        button.className = "locate";
        button.textContent = label;
        button.addEventListener("click", function () {
          map.setView(marker.getLatLng(), Math.max(map.getZoom(), 15));
          marker.openPopup();
          box.scrollIntoView({ behavior: "smooth", block: "nearest" });
        });
        row.appendChild(button);
      });
    });
}());

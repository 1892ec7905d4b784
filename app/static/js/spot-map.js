// The map of spots: draws the data the page carries (data-map) with Leaflet; no tile server
// configured -> park outlines and spots on a plain background, with a scale bar.
(function () {
  'use strict';
  var box = document.getElementById('spot-map');
  if (!box || !window.L) { return; }
  var data = JSON.parse(box.getAttribute('data-map'));
  var COLOURS = {low: '#2e7d32', mid: '#f2b600', high: '#c62828', none: '#bdbdbd'};
  var select = document.getElementById('measure');
  var measure = box.getAttribute('data-measure') || 'reports';
  box.textContent = '';
  var map = L.map(box, {attributionControl: true, zoomSnap: 0.5});
  map.attributionControl.setPrefix(false);
  if (data.tiles) {
    L.tileLayer(data.tiles.url, {attribution: data.tiles.attribution, maxZoom: 19}).addTo(map);
  }
  L.control.scale({imperial: false}).addTo(map);

  var bounds = [];
  data.parks.forEach(function (park) {
    var shape = park.outline.length > 2 ? L.polygon(park.outline, {color: '#1d6b3a', weight: 2,
      fillColor: '#cfe8d4', fillOpacity: 0.5, className: 'park-outline'}) : L.polyline(park.outline, {color: '#1d6b3a',
      className: 'park-outline'});
    shape.bindTooltip(park.name, {permanent: true, direction: 'center', className: 'park-label'});
    shape.addTo(map);
    park.outline.forEach(function (point) { bounds.push(point); });
  });

  function describe(spot) {
    var rate = spot.satisfaction === null ? '–' : Math.round(spot.satisfaction * 100) + ' %';
    return spot.name + ' · ' + box.dataset.reports + ' ' + spot.reports + ' · ' +
      box.dataset.overdue + ' ' + spot.overdue + ' · ' + box.dataset.satisfaction + ' ' + rate;
  }

  var markers = data.spots.map(function (spot) {
    bounds.push([spot.lat, spot.lon]);
    var marker = L.circleMarker([spot.lat, spot.lon], {radius: 10, weight: 2, color: '#1b1f1d',
      fillOpacity: 0.95, className: 'spot-marker'});
    marker.bindTooltip(describe(spot));
    marker.addTo(map);
    return {spot: spot, marker: marker};
  });

  function colour() {
    markers.forEach(function (item) {
      var level = item.spot.levels[measure] || 'none';
      item.marker.setStyle({fillColor: COLOURS[level]});
      var path = item.marker.getElement();
      if (path) { path.setAttribute('data-level', level); }
    });
    document.querySelectorAll('.legend-measure').forEach(function (part) {
      part.classList.toggle('is-current', part.getAttribute('data-measure') === measure);
    });
    box.setAttribute('data-colored-by', measure);
  }
  if (select) {
    select.addEventListener('change', function () { measure = select.value; colour(); });
  }
  if (bounds.length) {
    map.fitBounds(bounds, {padding: [24, 24], maxZoom: 17});
  } else {
    map.setView([39.9042, 116.4074], 11);  // Beijing, when no spot has a position yet
  }
  colour();  // once the map has a view: only then are the markers drawn

  // the director's "place a spot": a tap fills the form's coordinates and shows where
  var form = document.getElementById('place-form');
  if (form) {
    var chosen = null;
    map.on('click', function (event) {
      var point = event.latlng;
      form.elements.latitude.value = point.lat.toFixed(6);
      form.elements.longitude.value = point.lng.toFixed(6);
      if (chosen) { chosen.setLatLng(point); } else {
        chosen = L.circleMarker(point, {radius: 12, color: '#0b57d0', weight: 3,
          fillOpacity: 0.2}).addTo(map);
      }
    });
  }
}());

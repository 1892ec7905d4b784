/* "Take a case down": pick the spot nearest to the phone (the list works without it). */
(function () {
  "use strict";
  var button = document.getElementById("nearest-spot");
  var select = document.getElementById("spot");
  var result = document.getElementById("nearest-result");
  if (!button || !select || !navigator.geolocation) { return; }
  var placed = Array.prototype.filter.call(select.options, function (option) {
    return option.dataset.lat && option.dataset.lon;
  });
  if (!placed.length) { return; }
  button.hidden = false;

  function metres(lat1, lon1, lat2, lon2) {
    var rad = Math.PI / 180, dLat = (lat2 - lat1) * rad, dLon = (lon2 - lon1) * rad;
    var a = Math.sin(dLat / 2) * Math.sin(dLat / 2) +
      Math.cos(lat1 * rad) * Math.cos(lat2 * rad) * Math.sin(dLon / 2) * Math.sin(dLon / 2);
    return 6371000 * 2 * Math.atan2(Math.sqrt(a), Math.sqrt(1 - a));
  }

  button.addEventListener("click", function () {
    result.textContent = button.dataset.busy;
    navigator.geolocation.getCurrentPosition(function (position) {
      var here = position.coords, best = null, bestDistance = Infinity;
      placed.forEach(function (option) {
        var distance = metres(here.latitude, here.longitude,
                              parseFloat(option.dataset.lat), parseFloat(option.dataset.lon));
        if (distance < bestDistance) { best = option; bestDistance = distance; }
      });
      select.value = best.value;
      result.textContent = best.textContent + " · " + Math.round(bestDistance) + " m";
    }, function () {
      result.textContent = button.dataset.failed;
    }, { enableHighAccuracy: true, timeout: 15000, maximumAge: 60000 });
  });
}());

"""Machine interfaces: Open311 GeoReport v2 (/open311/v2/) and the JSON API (/api/v1/)."""

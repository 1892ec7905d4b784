"""Machine interfaces, each module one blueprint with its routes: the JSON API (`v1`,
/api/v1/), its documentation page (`docs`, /api/docs) and Open311 GeoReport v2
(`open311`, /open311/v2/)."""

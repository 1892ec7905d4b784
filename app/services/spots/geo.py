"""Spot positions on a map: WGS-84 to GCJ-02 (China's map datum) and park outlines."""

from __future__ import annotations

import math
from collections.abc import Sequence

# the Krasovsky 1940 ellipsoid the GCJ-02 offset is computed on (its semi-major axis and
# first eccentricity squared), as in every published implementation of the conversion
_A = 6378245.0
_EE = 0.00669342162296594323

LatLon = tuple[float, float]


def _in_china(latitude: float, longitude: float) -> bool:
    """The rough box inside which GCJ-02 differs from WGS-84; outside it they are equal."""
    return 72.004 <= longitude <= 137.8347 and 0.8293 <= latitude <= 55.8271


def _lat_offset(x: float, y: float) -> float:
    result = -100.0 + 2.0 * x + 3.0 * y + 0.2 * y * y + 0.1 * x * y + 0.2 * math.sqrt(abs(x))
    result += (20.0 * math.sin(6.0 * x * math.pi) + 20.0 * math.sin(2.0 * x * math.pi)) * 2 / 3
    result += (20.0 * math.sin(y * math.pi) + 40.0 * math.sin(y / 3.0 * math.pi)) * 2 / 3
    result += (160.0 * math.sin(y / 12.0 * math.pi) + 320 * math.sin(y * math.pi / 30.0)) * 2 / 3
    return result


def _lon_offset(x: float, y: float) -> float:
    result = 300.0 + x + 2.0 * y + 0.1 * x * x + 0.1 * x * y + 0.1 * math.sqrt(abs(x))
    result += (20.0 * math.sin(6.0 * x * math.pi) + 20.0 * math.sin(2.0 * x * math.pi)) * 2 / 3
    result += (20.0 * math.sin(x * math.pi) + 40.0 * math.sin(x / 3.0 * math.pi)) * 2 / 3
    result += (150.0 * math.sin(x / 12.0 * math.pi) + 300.0 * math.sin(x / 30.0 * math.pi)) * 2 / 3
    return result


def wgs84_to_gcj02(latitude: float, longitude: float) -> LatLon:
    """A WGS-84 position as Chinese tile providers (GCJ-02) draw it: shifted by a few
    hundred metres inside China, unchanged outside."""
    if not _in_china(latitude, longitude):
        return latitude, longitude
    x, y = longitude - 105.0, latitude - 35.0
    d_lat, d_lon = _lat_offset(x, y), _lon_offset(x, y)
    rad_lat = latitude / 180.0 * math.pi
    magic = 1 - _EE * math.sin(rad_lat) ** 2
    sqrt_magic = math.sqrt(magic)
    d_lat = (d_lat * 180.0) / ((_A * (1 - _EE)) / (magic * sqrt_magic) * math.pi)
    d_lon = (d_lon * 180.0) / (_A / sqrt_magic * math.cos(rad_lat) * math.pi)
    return latitude + d_lat, longitude + d_lon


def gcj02_to_wgs84(latitude: float, longitude: float) -> LatLon:
    """The WGS-84 position that GCJ-02 draws at (latitude, longitude): the forward
    conversion inverted by fixed-point iteration (to well under a centimetre)."""
    guess_lat, guess_lon = latitude, longitude
    for _step in range(30):
        shifted_lat, shifted_lon = wgs84_to_gcj02(guess_lat, guess_lon)
        error_lat, error_lon = shifted_lat - latitude, shifted_lon - longitude
        guess_lat, guess_lon = guess_lat - error_lat, guess_lon - error_lon
        if abs(error_lat) < 1e-10 and abs(error_lon) < 1e-10:
            break
    return guess_lat, guess_lon


def convex_hull(points: Sequence[LatLon]) -> list[LatLon]:
    """The convex hull of the points, counter-clockwise (Andrew's monotone chain); fewer
    than three distinct points give what there is."""
    unique = sorted(set(points), key=lambda p: (p[1], p[0]))
    if len(unique) < 3:
        return unique

    def turn(o: LatLon, a: LatLon, b: LatLon) -> float:
        return (a[1] - o[1]) * (b[0] - o[0]) - (a[0] - o[0]) * (b[1] - o[1])

    lower: list[LatLon] = []
    for point in unique:
        while len(lower) >= 2 and turn(lower[-2], lower[-1], point) <= 0:
            lower.pop()
        lower.append(point)
    upper: list[LatLon] = []
    for point in reversed(unique):
        while len(upper) >= 2 and turn(upper[-2], upper[-1], point) <= 0:
            upper.pop()
        upper.append(point)
    return lower[:-1] + upper[:-1]

"""Whether a drawn signature is a real one rather than a tap or a blank pad."""

from __future__ import annotations

from typing import Any

from server.errors import TrivialSignature, Unprocessable

MIN_POINTS = 3
MIN_SPREAD_PX = 10
MAX_POINTS = 20_000


def check_strokes(strokes: Any) -> list[list[list[float]]]:
    """Return the strokes as lists of ``[x, y, t]`` or raise when malformed or trivial."""
    if not isinstance(strokes, list) or not all(isinstance(s, list) for s in strokes):
        raise Unprocessable("签名数据格式不正确。", "The signature is not a list of strokes.")
    points: list[list[float]] = []
    for stroke in strokes:
        for point in stroke:
            if (
                not isinstance(point, list)
                or len(point) != 3
                or not all(isinstance(v, int | float) and not isinstance(v, bool) for v in point)
                or not all(abs(v) < 1e12 for v in point)
            ):
                raise Unprocessable(
                    "签名的每个点应为 [x, y, t] 三个数字。",
                    "Each signature point must be three numbers [x, y, t].",
                )
            points.append(point)
    if len(points) > MAX_POINTS:
        raise Unprocessable("签名数据过大。", "The signature has too many points.")
    if len(points) < MIN_POINTS:
        raise TrivialSignature(
            "未检测到签名，请在框内签下您的姓名。",
            "No signature: please sign your name in the box.",
        )
    xs = [p[0] for p in points]
    ys = [p[1] for p in points]
    if max(xs) - min(xs) < MIN_SPREAD_PX and max(ys) - min(ys) < MIN_SPREAD_PX:
        raise TrivialSignature(
            "签名太小，请用手指或笔在框内完整签名。",
            "The signature is too small: please sign your full name in the box.",
        )
    return strokes

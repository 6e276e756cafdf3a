"""Find: addresses, street names, site names, camera ids and labels, typed coordinates.

Matching is by word prefixes, in any order, ignoring case, accents and
punctuation: "3131 alum rock" and "alum rock 3131" both find "3131 Alum Rock Avenue",
"cathedral jos" finds "Cathedral Basilica of Saint Joseph".
Coordinates are typed as "lat, lon" (Google Maps order) or "lon, lat" when the first
number cannot be a latitude.

The index of the pack's address points (100,000+) is built on a Python thread when
data is loaded; cameras are searched live, so an added camera is found at once.
"""

from __future__ import annotations

import re
import threading
import unicodedata
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from PySide6.QtCore import QObject, QPointF, QRectF, QStringListModel, Qt, QTimer, Signal
from PySide6.QtGui import QColor, QFont, QFontMetricsF, QPainter, QPainterPath, QPen
from PySide6.QtWidgets import QCompleter, QLineEdit, QWidget

from planner.app.map.canvas.label_layer import LabelBatch, ToView

#: Results listed in the completion popup.
MAX_RESULTS = 12
_KIND_RANK = {"coordinates": 0, "camera": 1, "site": 2, "street": 3, "address": 4}
_COORD_RE = re.compile(r"^\s*([-+]?\d{1,3}(?:\.\d+)?)\s*[,;\s]\s*([-+]?\d{1,3}(?:\.\d+)?)\s*$")


@dataclass(frozen=True)
class SearchHit:
    """A place found: where to go and what to call it.

    ``extent_m`` is the size of the area to show around ``lon, lat`` (a street's
    length, a site's size).
    """

    kind: str
    text: str
    lon: float
    lat: float
    extent_m: float = 120.0
    ref: str = ""

    @property
    def display(self) -> str:
        return f"{self.text}  ({self.kind})"


def normalise(text: str) -> str:
    """Lower case ASCII words separated by single spaces, with a leading space."""
    t = unicodedata.normalize("NFKD", str(text)).encode("ascii", "ignore").decode().lower()
    return " " + re.sub(r"[^a-z0-9]+", " ", t).strip()


def parse_coordinates(text: str) -> tuple[float, float] | None:
    """``(lon, lat)`` from "37.3366, -121.8270" or "-121.8270 37.3366"; else None."""
    m = _COORD_RE.match(text)
    if not m:
        return None
    a, b = float(m.group(1)), float(m.group(2))
    if abs(a) <= 90 and abs(b) <= 180:
        return b, a  # lat, lon as maps show them
    if abs(a) <= 180 and abs(b) <= 90:
        return a, b
    return None


class SearchIndex:
    """Searchable places (addresses, streets, sites) in one list.

    Held as parallel columns, not one object per place: a city's 140,000 addresses
    cost a few megabytes this way; a :class:`SearchHit` is made only for a result.
    """

    def __init__(self, hits: Sequence[SearchHit] = ()) -> None:
        self._kind: list[str] = []
        self._text: list[str] = []
        self._norm: list[str] = []
        self._xy = np.empty((0, 3))
        self._ref: list[str] = []
        self.extend(hits)

    def __len__(self) -> int:
        return len(self._text)

    def extend(self, hits: Sequence[SearchHit]) -> None:
        self.add_columns(
            kind=[h.kind for h in hits],
            text=[h.text for h in hits],
            lon=[h.lon for h in hits],
            lat=[h.lat for h in hits],
            extent=[h.extent_m for h in hits],
            ref=[h.ref for h in hits],
        )

    def add_columns(
        self,
        *,
        kind: Sequence[str],
        text: Sequence[str],
        lon: Sequence[float],
        lat: Sequence[float],
        extent: Sequence[float],
        ref: Sequence[str] | None = None,
    ) -> None:
        """Add places given as columns (the fast way for many addresses)."""
        self._kind.extend(kind)
        self._text.extend(text)
        self._norm.extend(normalise(t) for t in text)
        self._ref.extend(ref if ref is not None else [""] * len(text))
        cols = (
            np.column_stack(
                [np.asarray(lon, float), np.asarray(lat, float), np.asarray(extent, float)]
            )
            if len(text)
            else np.empty((0, 3))
        )
        self._xy = np.concatenate([self._xy, cols])

    def hit(self, i: int) -> SearchHit:
        lon, lat, extent = self._xy[i]
        return SearchHit(
            self._kind[i],
            self._text[i],
            float(lon),
            float(lat),
            extent_m=float(extent),
            ref=self._ref[i],
        )

    def search(
        self, query: str, *, limit: int = MAX_RESULTS, cameras: Sequence[Any] = ()
    ) -> list[SearchHit]:
        """The best ``limit`` matches of ``query``; typed coordinates come first."""
        out: list[SearchHit] = []
        ll = parse_coordinates(query)
        if ll is not None:
            out.append(SearchHit("coordinates", f"{ll[1]:.6f}, {ll[0]:.6f}", ll[0], ll[1]))
        tokens = [" " + t for t in normalise(query).split()]
        if not tokens:
            return out
        found: list[tuple[tuple[Any, ...], SearchHit | int]] = []
        for cam in cameras:
            for text in {cam.id, cam.label} - {""}:
                norm = normalise(text)
                if all(t in norm for t in tokens):
                    hit = SearchHit(
                        "camera",
                        f"{cam.id} {cam.label}".strip(),
                        cam.lon,
                        cam.lat,
                        extent_m=2.5 * cam.range_m,
                        ref=cam.id,
                    )
                    found.append((self._rank(hit.kind, hit.text, norm, tokens), hit))
                    break
        for i, norm in enumerate(self._norm):
            if all(t in norm for t in tokens):
                found.append((self._rank(self._kind[i], self._text[i], norm, tokens), i))
        found.sort(key=lambda r: r[0])
        seen: set[tuple[str, str]] = set()
        for _r, item in found:
            hit = item if isinstance(item, SearchHit) else self.hit(item)
            key = (hit.kind, hit.text.lower())
            if key in seen:
                continue
            seen.add(key)
            out.append(hit)
            if len(out) >= limit:
                break
        return out

    @staticmethod
    def _rank(kind: str, text: str, norm: str, tokens: list[str]) -> tuple[Any, ...]:
        return (not norm.startswith(tokens[0]), _KIND_RANK.get(kind, 9), len(norm), text)


def site_hits(sites: Sequence[Any]) -> list[SearchHit]:
    """A hit per site by name, and one per site address (``addr:*`` tags)."""
    out = []
    for s in sites:
        g = s.geometry
        if g is None or g.is_empty:
            continue
        c = g.representative_point()
        b = g.bounds
        size = max(120.0, 111_000.0 * max(b[2] - b[0], b[3] - b[1]) * 3)
        out.append(SearchHit("site", s.name or s.id, c.x, c.y, extent_m=size, ref=s.id))
        tags = getattr(s, "tags", {}) or {}
        h, st = str(tags.get("addr:housenumber") or ""), str(tags.get("addr:street") or "")
        if h and st:
            out.append(
                SearchHit(
                    "address", f"{h} {st} — {s.name or s.id}", c.x, c.y, extent_m=size, ref=s.id
                )
            )
    return out


def street_hits(streets: Any) -> list[SearchHit]:
    """A hit per street name, centred on its longest segment, sized to all its segments."""
    from planner.io.formats.street_table import StreetTable

    table = StreetTable.of(streets)
    if table is None or not len(table) or table.get("name") is None:
        return []
    import shapely

    from planner.app.map.canvas.prepare import name_text

    names = np.array([name_text(n) for n in table.columns["name"]], dtype=object)
    geoms = table.geoms
    ok = (names != "") & ~shapely.is_missing(geoms)
    names, geoms = names[ok], geoms[ok]
    lengths = shapely.length(geoms)
    bounds = shapely.bounds(geoms)
    out = []
    for name in np.unique(names):
        sel = np.flatnonzero(names == name)
        best = sel[np.argmax(lengths[sel])]
        mid = shapely.line_interpolate_point(geoms[best], 0.5, normalized=True)
        b = bounds[sel]
        span = max(b[:, 2].max() - b[:, 0].min(), b[:, 3].max() - b[:, 1].min()) * 111_000.0
        out.append(
            SearchHit(
                "street",
                str(name),
                float(mid.x),
                float(mid.y),
                extent_m=float(min(max(span, 150.0), 3000.0)),
            )
        )
    return out


def read_addresses(pack: Path) -> dict[str, Any] | None:
    """The pack's ``addresses`` layer as search columns (None when it has none).

    Read with sqlite3 (:func:`~planner.app.siting.preview.read_gpkg_table`): pyogrio would
    import pandas for one text column.
    """
    import shapely

    from planner.app.siting.preview import read_gpkg_table

    try:
        geoms, cols = read_gpkg_table(Path(pack), "addresses", ["address"])
    except ValueError:  # no such layer, or a damaged or foreign pack: no addresses
        return None
    texts = cols.get("address")
    if texts is None:
        return None
    ok = shapely.get_type_id(geoms) == shapely.GeometryType.POINT
    keep = [i for i in np.flatnonzero(ok).tolist() if texts[i] and str(texts[i]) != "None"]
    points = geoms[keep]
    return {
        "kind": ["address"] * len(keep),
        "text": [str(texts[i]) for i in keep],
        "lon": shapely.get_x(points),
        "lat": shapely.get_y(points),
        "extent": [250.0] * len(keep),
    }


class SearchController(QObject):
    """Builds the index when data loads and answers queries.

    Signals
    -------
    index_ready()
        The address index (built on a thread) has been added.
    """

    index_ready = Signal()
    _addresses_read = Signal(object, int)

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.index = SearchIndex()
        self._generation = 0
        self._addresses_read.connect(self._add_addresses, Qt.ConnectionType.QueuedConnection)

    def set_data(
        self, *, sites: Sequence[Any], streets: Any, pack: Path | None, wait: bool = False
    ) -> None:
        """Index ``sites`` and ``streets`` now and the pack's addresses on a thread."""
        self._generation += 1
        self.index = SearchIndex(site_hits(sites) + street_hits(streets))
        if pack is None:
            self.index_ready.emit()
            return
        gen = self._generation

        def work() -> None:
            self._addresses_read.emit(read_addresses(Path(pack)), gen)

        thread = threading.Thread(target=work, name="search-index", daemon=True)
        thread.start()
        if wait:
            thread.join()

    def _add_addresses(self, columns: dict[str, Any] | None, gen: int) -> None:
        if gen != self._generation:
            return  # data changed while reading
        if columns:
            self.index.add_columns(**columns)
        self.index_ready.emit()


class SearchBox(QLineEdit):
    """The search field (Ctrl+F) with a completion list of places.

    Signals
    -------
    chosen(hit)
        The user picked a result (Enter takes the first).
    """

    chosen = Signal(object)

    def __init__(
        self, search: Callable[[str], list[SearchHit]], parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self._search = search
        self.hits: list[SearchHit] = []
        self.setObjectName("search_box")
        self.setPlaceholderText("Find address, street, site, camera or lat, lon (Ctrl+F)")
        self.setClearButtonEnabled(True)
        self.setMinimumWidth(320)
        self.setAccessibleName("Find a place")
        self.model = QStringListModel(self)
        self.completer_ = QCompleter(self.model, self)
        self.completer_.setCompletionMode(QCompleter.CompletionMode.UnfilteredPopupCompletion)
        self.completer_.setWidget(self)
        # the overloaded signal's [str] is real PySide API, missing from its stubs
        self.completer_.activated[str].connect(self._activated)  # type: ignore[index]
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setInterval(120)
        self._timer.timeout.connect(self.refresh)
        self.textEdited.connect(lambda _t: self._timer.start())
        self.returnPressed.connect(self.go)

    def refresh(self) -> None:
        """Search for the current text and show the results."""
        text = self.text().strip()
        self.hits = self._search(text) if len(text) >= 2 else []
        self.model.setStringList([h.display for h in self.hits])
        if self.hits and self.hasFocus():
            self.completer_.complete()
        elif not self.hits:
            self._hide_popup()

    def _hide_popup(self) -> None:
        popup = self.completer_.popup()
        if popup is not None:
            popup.hide()

    def go(self) -> None:
        """Go to the first result of the current text."""
        self._timer.stop()
        self.refresh()
        if self.hits:
            self._hide_popup()
            self.chosen.emit(self.hits[0])

    def _activated(self, display: str) -> None:
        hit = next((h for h in self.hits if h.display == display), None)
        if hit is not None:
            self.blockSignals(True)
            self.setText(hit.text)
            self.blockSignals(False)
            self.chosen.emit(hit)


class SearchMarker:
    """A pin with the found place's name, drawn by the canvas over the map.

    The pin and its name are what the user asked for: the map's labels give way to
    them (they are obstacles of the map's label placement, see :meth:`map_labels`).
    """

    def __init__(self, canvas: Any) -> None:
        self.canvas = canvas
        self.hit: SearchHit | None = None
        self.scene_xy: tuple[float, float] | None = None
        #: Where the last paint drew the place's name (view pixels), None if not drawn.
        self.name_box: QRectF | None = None
        canvas.add_overlay(self.draw)
        canvas.add_label_source(self.map_labels)

    def set(self, hit: SearchHit | None, scene_xy: tuple[float, float] | None) -> None:
        self.hit, self.scene_xy = hit, scene_xy
        self.canvas.invalidate_labels()

    @staticmethod
    def _font() -> QFont:
        font = QFont()
        font.setPixelSize(13)
        font.setBold(True)
        return font

    def _pin_box(self, p: QPointF) -> QRectF:
        """The pin's box (view pixels) for the pin's point ``p``."""
        return QRectF(p.x() - 10, p.y() - 26, 20, 27)

    def _name_box(self, p: QPointF) -> QRectF | None:
        """Where the found place's name is drawn: beside the pin, inside the view, clear of
        the map's labels; None when the map already names it or no place is free.

        The name is not an obstacle of the map's labels: a tag ("? unverified") or a
        site's name is never pushed away for it, it goes where they are not.
        """
        assert self.hit is not None
        text = self.hit.text
        drawn = list(getattr(self.canvas, "labels_drawn", []))
        if any(t and (t == text or text.startswith(t)) for t, _box in drawn):
            return None  # the map's own label names the place: no second copy
        fm = QFontMetricsF(self._font())
        w, h = fm.horizontalAdvance(text) + 4, fm.height() + 4
        vp = self.canvas.viewport().rect()
        view = QRectF(4, 4, vp.width() - 8, vp.height() - 34)  # clear of the scale bar
        taken = [box for _t, box in drawn] + [self._pin_box(p)]
        for dx, dy in ((9, -27 - h + 6), (-9 - w, -27 - h + 6), (12, -12), (-12 - w, -12)):
            box = QRectF(p.x() + dx, p.y() + dy, w, h)
            if view.contains(box) and not any(box.intersects(t) for t in taken):
                return box
        return None

    def map_labels(self, rect: QRectF, res: float, to_view: ToView) -> LabelBatch:
        """A label source of the canvas: no label of its own, the pin as an obstacle."""
        if self.hit is None or self.scene_xy is None:
            return LabelBatch()
        return LabelBatch(obstacles=[self._pin_box(to_view(QPointF(*self.scene_xy)))])

    def draw(self, painter: QPainter) -> None:
        self.name_box = None
        if self.hit is None or self.scene_xy is None:
            return
        p = self.canvas.scene_to_view(QPointF(*self.scene_xy))
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        pin = QPainterPath()
        pin.moveTo(p)
        pin.cubicTo(p + QPointF(-3, -8), p + QPointF(-9, -14), p + QPointF(0, -24))
        pin.cubicTo(p + QPointF(9, -14), p + QPointF(3, -8), p)
        painter.setPen(QPen(QColor("#ffffff"), 2))
        painter.setBrush(QColor("#1565c0"))
        painter.drawPath(pin)
        painter.setBrush(QColor("#ffffff"))
        painter.drawEllipse(p + QPointF(0, -16), 3, 3)
        box = self._name_box(p)
        if box is None:
            return
        self.name_box = box
        fm = QFontMetricsF(self._font())
        text = QPainterPath()
        text.addText(box.topLeft() + QPointF(2, 2 + fm.ascent()), self._font(), self.hit.text)
        painter.strokePath(text, QPen(QColor(255, 255, 255, 230), 4))
        painter.fillPath(text, QColor("#0d47a1"))


def rect_for_hit(hit: SearchHit, x: float, y: float) -> QRectF:
    """The scene rectangle to show for a hit at projected ``x, y``."""
    half = hit.extent_m / 2
    return QRectF(x - half, -y - half, 2 * half, 2 * half)


__all__ = [
    "SearchBox",
    "SearchController",
    "SearchHit",
    "SearchIndex",
    "SearchMarker",
    "parse_coordinates",
    "read_addresses",
    "rect_for_hit",
    "site_hits",
    "street_hits",
]

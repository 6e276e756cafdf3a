"""Camera catalogue: default field of view, range and capabilities per device model.

The figures come from vendor material of varying quality, so each model carries
where its numbers come from and how far to trust them. The catalogue always has a
*worst case* entry (an unknown fixed ALPR) whose cone covers every listed model,
so a camera of unknown make is never checked with a smaller cone than it may have.

Plain data only: reading the TOML file lives in :mod:`planner.io.formats.catalogue`.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

CONFIDENCE_LEVELS = ("low", "medium", "high")


def _norm(name: str) -> str:
    """Case- and spacing-insensitive form of a model or vendor name."""
    return " ".join(name.casefold().replace("_", " ").split())


@dataclass(frozen=True, slots=True)
class CameraModel:
    """One camera model and the pose defaults it gives a new camera.

    Attributes
    ----------
    key
        Stable identifier, stored in a camera's ``model`` property.
    label
        Display name.
    vendor
        Maker or brand name as it appears in inventories and OSM ``brand`` tags.
    fov_deg, range_m
        Default horizontal field of view (degrees) and plate-capture distance (m).
    capabilities
        Capability flags such as ``plate_read`` or ``vehicle_fingerprint``.
    fov_source, range_source
        Where each figure comes from.
    confidence
        ``low``, ``medium`` or ``high``: how far the figures can be trusted.
    notes
        Anything a reviewer should know about the figures or the device.
    aliases
        Other names (model numbers, old product names) that find this model.
    """

    key: str
    label: str
    vendor: str
    fov_deg: float
    range_m: float
    capabilities: tuple[str, ...] = ()
    fov_source: str = ""
    range_source: str = ""
    confidence: str = "low"
    notes: str = ""
    aliases: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        if not 0 < self.fov_deg <= 360:
            msg = f"{self.key}: fov_deg must be in (0, 360], not {self.fov_deg}"
            raise ValueError(msg)
        if not 0 < self.range_m <= 2000:
            msg = f"{self.key}: range_m must be in (0, 2000], not {self.range_m}"
            raise ValueError(msg)
        if self.confidence not in CONFIDENCE_LEVELS:
            msg = f"{self.key}: confidence must be one of {CONFIDENCE_LEVELS}"
            raise ValueError(msg)

    def names(self) -> tuple[str, ...]:
        """The names that identify this model exactly (key, label, aliases)."""
        return (self.key, self.label, *self.aliases)

    def covers(self, other: CameraModel) -> bool:
        """True when this model's cone is at least as wide and as long as ``other``'s."""
        return self.fov_deg >= other.fov_deg and self.range_m >= other.range_m


@dataclass(frozen=True, slots=True)
class Catalogue:
    """The known camera models, a default for new cameras and a worst case.

    Parameters
    ----------
    models
        The models, in display order. Keys and names must be unique.
    default_key
        The model given to a new camera when the user picks none.
    worst_case_key
        The "unknown fixed ALPR" model; its cone must cover every other model.
    """

    models: tuple[CameraModel, ...]
    default_key: str
    worst_case_key: str = "unknown_fixed_alpr"

    def __post_init__(self) -> None:
        # The reader reports these as InputErrors with file positions; this is
        # the safety net for catalogues built in code.
        seen: dict[str, str] = {}
        for model in self.models:
            for name in model.names():
                owner = seen.setdefault(_norm(name), model.key)
                if owner != model.key:
                    msg = f"name {name!r} is used by both {owner!r} and {model.key!r}"
                    raise ValueError(msg)
        keys = {m.key for m in self.models}
        for role, key in (("default", self.default_key), ("worst case", self.worst_case_key)):
            if key not in keys:
                msg = f"{role} model {key!r} is not in the catalogue"
                raise ValueError(msg)
        worst = self.worst_case
        for model in self.models:
            if not worst.covers(model):
                msg = f"worst case {worst.key!r} does not cover {model.key!r}"
                raise ValueError(msg)

    def __iter__(self) -> Iterator[CameraModel]:
        return iter(self.models)

    def __len__(self) -> int:
        return len(self.models)

    @property
    def keys(self) -> tuple[str, ...]:
        return tuple(m.key for m in self.models)

    def find(self, name: str | None) -> CameraModel | None:
        """The model called ``name``, or ``None``.

        Matches, ignoring case and spacing: the key, the label or an alias first;
        failing that a vendor name (``"Flock Safety"``, ``"Motorola Solutions"``).
        A vendor alone does not say which model it is, so a vendor with several
        models gives their *envelope*: the widest fov and longest range of any of
        them and every capability, so a camera known only by its brand is never
        checked with a smaller cone than it may have.
        """
        if not name or not name.strip():
            return None
        wanted = _norm(name)
        for model in self.models:
            if any(_norm(n) == wanted for n in model.names()):
                return model
        by_vendor = [m for m in self.models if _norm(m.vendor) == wanted]
        if len(by_vendor) <= 1:
            return by_vendor[0] if by_vendor else None
        caps = tuple(dict.fromkeys(c for m in by_vendor for c in m.capabilities))
        first = by_vendor[0]
        return dataclasses.replace(
            first,
            key=f"{first.vendor} (model unknown)",
            label=f"{first.vendor} (model unknown)",
            aliases=(),
            fov_deg=max(m.fov_deg for m in by_vendor),
            range_m=max(m.range_m for m in by_vendor),
            capabilities=caps,
            confidence="low",
            notes=(
                "brand known, model not: the envelope of "
                + ", ".join(m.key for m in by_vendor)
                + " so the camera is not under-checked"
            ),
        )

    def get(self, name: str) -> CameraModel:
        """Like :meth:`find`, but raises :class:`KeyError` for an unknown name."""
        model = self.find(name)
        if model is None:
            msg = f"no camera model called {name!r} (known: {', '.join(self.keys)})"
            raise KeyError(msg)
        return model

    @property
    def default_model(self) -> CameraModel:
        return self.get(self.default_key)

    @property
    def worst_case(self) -> CameraModel:
        """The "unknown fixed ALPR" entry, whose cone covers every listed model."""
        return self.get(self.worst_case_key)

    def new_camera_fields(self, name: str | None = None) -> dict[str, Any]:
        """Fields for a new :class:`~planner.core.model.Camera` of model ``name``.

        ``None`` gives the default model. A name the catalogue does not know gets
        the worst-case cone and capabilities but keeps the name as ``model``, so
        the user's entry is not lost and the camera is not under-checked.

        Returns
        -------
        dict
            ``fov_deg``, ``range_m``, ``capabilities`` (tuple) and ``model``.
        """
        if name is None or not name.strip():
            model = self.default_model
            model_name = model.key
        else:
            found = self.find(name)
            model = found if found is not None else self.worst_case
            model_name = model.key if found is not None else name.strip()
        return {
            "fov_deg": model.fov_deg,
            "range_m": model.range_m,
            "capabilities": model.capabilities,
            "model": model_name,
        }

"""Camera catalogue: the shipped figures, look-ups and strict validation."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from planner.core.catalogue import CameraModel, Catalogue
from planner.core.errors import InputError
from planner.core.model import Camera
from planner.io.formats.catalogue import builtin_catalogue, builtin_catalogue_path, read_catalogue

# The figures issue 2 lists: (key, fov_deg, range_m).
ISSUE_FIGURES = [
    ("flock_falcon", 20.0, 25.0),
    ("flock_falcon_lr", 14.0, 76.0),
    ("motorola_l5f_l6q", 24.0, 23.0),
    ("genetec_sharpv", 24.0, 45.0),
    ("verkada_lpr", 44.0, 20.0),
    ("unknown_fixed_alpr", 60.0, 80.0),
]

VALID = """\
default = "a"
worst_case = "w"

[models.a]
label = "Model A"
vendor = "Acme"
fov_deg = 20
range_m = 30.0
capabilities = ["plate_read"]
fov_source = "datasheet"
range_source = "datasheet"
confidence = "high"

[models.w]
label = "Unknown"
vendor = "Nobody"
fov_deg = 90.0
range_m = 100.0
fov_source = "bound"
range_source = "bound"
confidence = "low"
"""


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "cameras.toml"
    path.write_text(textwrap.dedent(text), encoding="utf-8")
    return path


# --- the shipped catalogue -----------------------------------------------------------


@pytest.mark.parametrize(("key", "fov", "rng"), ISSUE_FIGURES)
def test_builtin_figures_are_as_the_issue_lists(key: str, fov: float, rng: float) -> None:
    model = builtin_catalogue().get(key)
    assert (model.fov_deg, model.range_m) == (fov, rng)


def test_builtin_catalogue_lists_exactly_the_issue_models() -> None:
    assert builtin_catalogue().keys == tuple(k for k, _, _ in ISSUE_FIGURES)


def test_every_builtin_figure_has_a_source_and_confidence() -> None:
    for model in builtin_catalogue():
        assert model.fov_source.strip(), model.key
        assert model.range_source.strip(), model.key
        assert model.confidence in ("low", "medium", "high")
        assert model.notes.strip(), model.key


def test_worst_case_covers_every_model() -> None:
    cat = builtin_catalogue()
    worst = cat.worst_case
    assert worst.key == "unknown_fixed_alpr"
    for model in cat:
        assert worst.fov_deg >= model.fov_deg, model.key
        assert worst.range_m >= model.range_m, model.key
    # strictly wider and longer than every real device, not merely equal
    others = [m for m in cat if m.key != worst.key]
    assert worst.fov_deg > max(m.fov_deg for m in others)
    assert worst.range_m > max(m.range_m for m in others)


def test_no_builtin_model_has_prohibited_capabilities_by_default() -> None:
    for model in builtin_catalogue():
        assert "plate_read" in model.capabilities
        assert "facial_recognition" not in model.capabilities
        assert "biometric_analysis" not in model.capabilities


def test_vehicle_fingerprint_where_advertised() -> None:
    cat = builtin_catalogue()
    for key in ("flock_falcon", "flock_falcon_lr", "genetec_sharpv"):
        assert "vehicle_fingerprint" in cat.get(key).capabilities


def test_default_model_is_the_flock_falcon() -> None:
    assert builtin_catalogue().default_model.key == "flock_falcon"


def test_builtin_catalogue_is_cached_and_equals_a_fresh_read() -> None:
    assert builtin_catalogue() is builtin_catalogue()
    assert read_catalogue() == builtin_catalogue()
    assert read_catalogue(builtin_catalogue_path()) == builtin_catalogue()


# --- look-ups ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "key"),
    [
        ("flock_falcon_lr", "flock_falcon_lr"),
        ("Flock Safety Falcon LR", "flock_falcon_lr"),
        ("  flock safety   falcon lr ", "flock_falcon_lr"),
        ("Falcon LR", "flock_falcon_lr"),
        ("Flock Safety", "Flock Safety (model unknown)"),  # vendor -> envelope of its models
        ("flock safety", "Flock Safety (model unknown)"),
        ("Motorola Solutions", "motorola_l5f_l6q"),
        ("L6Q", "motorola_l5f_l6q"),
        ("Vigilant", "motorola_l5f_l6q"),
        ("Genetec", "genetec_sharpv"),
        ("SharpV", "genetec_sharpv"),
        ("Verkada", "verkada_lpr"),
        ("unknown", "unknown_fixed_alpr"),
    ],
)
def test_find_by_key_label_alias_or_vendor(name: str, key: str) -> None:
    model = builtin_catalogue().find(name)
    assert model is not None
    assert model.key == key


@pytest.mark.parametrize("name", ["Acme 3000", "", "   ", None, "Flock"])
def test_find_unknown_gives_none(name: str | None) -> None:
    assert builtin_catalogue().find(name) is None


def test_get_unknown_raises_key_error() -> None:
    with pytest.raises(KeyError, match="Acme 3000"):
        builtin_catalogue().get("Acme 3000")


def test_new_camera_fields_for_a_known_model() -> None:
    fields = builtin_catalogue().new_camera_fields("Flock Safety Falcon LR")
    assert fields == {
        "fov_deg": 14.0,
        "range_m": 76.0,
        "capabilities": ("plate_read", "vehicle_fingerprint"),
        "model": "flock_falcon_lr",
    }
    camera = Camera(id="C-1", lon=-121.89, lat=37.33, heading_deg=90.0, **fields)
    assert camera.range_m == 76.0
    assert camera.model == "flock_falcon_lr"


def test_new_camera_fields_default_model() -> None:
    fields = builtin_catalogue().new_camera_fields()
    assert (fields["fov_deg"], fields["range_m"], fields["model"]) == (20.0, 25.0, "flock_falcon")


def test_new_camera_fields_unknown_model_gets_the_worst_case_cone() -> None:
    fields = builtin_catalogue().new_camera_fields("Acme 3000")
    assert (fields["fov_deg"], fields["range_m"]) == (60.0, 80.0)
    assert fields["model"] == "Acme 3000"  # what the user typed is kept


# --- the core dataclasses guard their invariants -------------------------------------


def _model(key: str, fov: float = 20.0, rng: float = 30.0, **kw: object) -> CameraModel:
    return CameraModel(
        key=key, label=kw.pop("label", key.upper()), vendor="V", fov_deg=fov, range_m=rng, **kw
    )  # type: ignore[arg-type]


@pytest.mark.parametrize(("fov", "rng"), [(0.0, 10.0), (361.0, 10.0), (20.0, 0.0), (20.0, 2001.0)])
def test_camera_model_rejects_bad_figures(fov: float, rng: float) -> None:
    with pytest.raises(ValueError, match="must be in"):
        _model("x", fov, rng)


def test_catalogue_rejects_a_worst_case_that_does_not_cover() -> None:
    with pytest.raises(ValueError, match="does not cover"):
        Catalogue(
            models=(_model("a", 50.0), _model("w", 40.0, 100.0)),
            default_key="a",
            worst_case_key="w",
        )


def test_catalogue_rejects_missing_default_and_duplicate_names() -> None:
    with pytest.raises(ValueError, match="not in the catalogue"):
        Catalogue(models=(_model("w"),), default_key="a", worst_case_key="w")
    with pytest.raises(ValueError, match="used by both"):
        Catalogue(
            models=(_model("a", label="Same"), _model("w", label="same")),
            default_key="a",
            worst_case_key="w",
        )


# --- reading files -------------------------------------------------------------------


def test_valid_catalogue_reads(tmp_path: Path) -> None:
    cat = read_catalogue(write(tmp_path, VALID))
    assert cat.keys == ("a", "w")
    assert cat.get("a").fov_deg == 20.0
    assert cat.get("a").capabilities == ("plate_read",)
    assert cat.get("w").capabilities == ()
    assert cat.find("Acme") is cat.get("a")


BAD_CASES: list[tuple[str, str, str, str]] = [
    ("missing default", VALID.replace('default = "a"\n', ""), "default", "missing"),
    (
        "default not listed",
        VALID.replace('default = "a"', 'default = "zz"'),
        "default",
        "'zz' is not one of the models",
    ),
    (
        "worst case not listed",
        VALID.replace('worst_case = "w"', 'worst_case = "a2"'),
        "worst_case",
        "not one of the models",
    ),
    (
        "worst case does not cover",
        VALID.replace("fov_deg = 90.0", "fov_deg = 10.0"),
        "worst_case",
        "must cover every model",
    ),
    ("unknown top key", "defualt = 'a'\n" + VALID, "defualt", "did you mean 'default'?"),
    (
        "unknown model key",
        VALID.replace('label = "Model A"', 'label = "Model A"\nfov = 3'),
        "models.a.fov",
        "unknown key 'fov'",
    ),
    ("missing label", VALID.replace('label = "Model A"\n', ""), "models.a.label", "missing"),
    ("missing fov", VALID.replace("fov_deg = 20\n", ""), "models.a.fov_deg", "missing"),
    (
        "missing source",
        VALID.replace('fov_source = "datasheet"\n', ""),
        "models.a.fov_source",
        "missing",
    ),
    (
        "bool fov",
        VALID.replace("fov_deg = 20", "fov_deg = true"),
        "models.a.fov_deg",
        "must be a number",
    ),
    (
        "zero fov",
        VALID.replace("fov_deg = 20", "fov_deg = 0"),
        "models.a.fov_deg",
        "greater than 0",
    ),
    (
        "fov over 360",
        VALID.replace("fov_deg = 20", "fov_deg = 400"),
        "models.a.fov_deg",
        "at most 360",
    ),
    (
        "negative range",
        VALID.replace("range_m = 30.0", "range_m = -5"),
        "models.a.range_m",
        "greater than 0",
    ),
    (
        "range over 2000",
        VALID.replace("range_m = 30.0", "range_m = 2500"),
        "models.a.range_m",
        "at most 2000",
    ),
    ("nan range", VALID.replace("range_m = 30.0", "range_m = nan"), "models.a.range_m", "finite"),
    (
        "bad confidence",
        VALID.replace('confidence = "high"', 'confidence = "sure"'),
        "models.a.confidence",
        "unknown value 'sure'",
    ),
    (
        "capabilities not a list",
        VALID.replace('["plate_read"]', '"plate_read"'),
        "models.a.capabilities",
        "must be an array",
    ),
    (
        "capability not a string",
        VALID.replace('["plate_read"]', '["plate_read", 1]'),
        "models.a.capabilities[1]",
        "must be a string",
    ),
    (
        "capability badly named",
        VALID.replace('["plate_read"]', '["Plate Read"]'),
        "models.a.capabilities[0]",
        "not a valid name",
    ),
    (
        "bad model key",
        VALID.replace("[models.a]", '[models."Model A"]').replace(
            'default = "a"', 'default = "Model A"'
        ),
        "models.Model A",
        "lower-case",
    ),
    (
        "duplicate label",
        VALID.replace('label = "Unknown"', 'label = "model a"'),
        "models.w.label",
        "already identifies model 'a'",
    ),
    ("no models", 'default = "a"\nworst_case = "a"\n[models]\n', "models", "no models"),
    ("models missing", 'default = "a"\nworst_case = "a"\n', "models", "missing"),
    (
        "model not a table",
        'default = "a"\nworst_case = "a"\n[models]\na = 3\n',
        "models.a",
        "must be a table",
    ),
    ("malformed TOML", "default = \n", "line 1", "not valid TOML"),
    ("empty file", "", "", "file is empty"),
]


@pytest.mark.parametrize(
    ("text", "where", "what"), [c[1:] for c in BAD_CASES], ids=[c[0] for c in BAD_CASES]
)
def test_bad_catalogue_gives_input_error(tmp_path: Path, text: str, where: str, what: str) -> None:
    path = write(tmp_path, text)
    with pytest.raises(InputError) as info:
        read_catalogue(path)
    err = info.value
    assert err.file == str(path)
    assert str(err).startswith(f"{path}: ")
    assert what in err.what, err.what
    if where:
        assert err.where.startswith(where), err.where
    else:
        assert err.where == ""


def test_oversized_catalogue(tmp_path: Path) -> None:
    path = write(tmp_path, VALID + "#" * (1024 * 1024) + "\n")
    with pytest.raises(InputError, match="larger than"):
        read_catalogue(path)


def test_missing_catalogue(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="not found"):
        read_catalogue(tmp_path / "nope.toml")


def test_brand_only_gives_the_envelope_of_the_vendor_models() -> None:
    cat = builtin_catalogue()
    env = cat.find("Flock Safety")
    assert env is not None
    flock = [m for m in cat.models if m.vendor == "Flock Safety"]
    assert len(flock) >= 2
    assert env.fov_deg == max(m.fov_deg for m in flock) == 20.0
    assert env.range_m == max(m.range_m for m in flock) == 76.0
    assert all(env.covers(m) for m in flock)

"""Policy files (SPEC 5.4): the built-in San José policy and strict validation."""

from __future__ import annotations

import hashlib
import textwrap
from pathlib import Path

import pytest

from planner.core.errors import InputError
from planner.core.model import Action, Policy
from planner.io.formats.policy import (
    builtin_policy,
    builtin_policy_path,
    policy_from_mapping,
    read_policy,
)
from planner.io.safety.tomlcheck import MAX_BYTES, split_toml_error

# The words of SPEC section 1, which the built-in policy must quote exactly.
ABORTION_WORDS = "reproductive health care services facility primarily providing abortion services"
WORSHIP_WORDS = "any location primarily used for religious observance"
CONSULATE_WORDS = "Consulate General offices or embassies"
CAPABILITY_WORDS = "facial recognition software and biometric analysis software"

VALID = """\
id = "test-policy"
version = "1"
entrance_radius_m = 15.0
warn_margin_m = 10.0
approach_m = 0.0
approach_width_m = 6.0
prohibited_capabilities = ["facial_recognition"]

[categories.place_of_worship]
action = "block"
label = "Place of worship"

[categories.clinic]
action = "warn"
"""


def write(tmp_path: Path, text: str, name: str = "policy.toml") -> Path:
    path = tmp_path / name
    path.write_text(textwrap.dedent(text), encoding="utf-8")
    return path


# --- the built-in policy -------------------------------------------------------------


def test_builtin_policy_has_the_four_blocked_categories() -> None:
    policy = builtin_policy()
    assert policy.id == "san-jose-alpr-dup-2026"
    assert policy.version == "2026-03-10"
    assert set(policy.categories) == {
        "abortion_provider",
        "place_of_worship",
        "consulate",
        "embassy",
    }
    assert {rule.action for rule in policy.categories.values()} == {Action.BLOCK}
    assert all(rule.label for rule in policy.categories.values())
    assert policy.categories["place_of_worship"].label == (
        "Location primarily used for religious observance"
    )


def test_builtin_policy_distances_and_capabilities() -> None:
    policy = builtin_policy()
    assert policy.entrance_radius_m == 15.0
    assert policy.warn_margin_m == 10.0
    assert policy.approach_m == 0.0
    assert policy.approach_width_m == 6.0
    assert policy.prohibited_capabilities == ("facial_recognition", "biometric_analysis")
    assert policy.unknown_category == "error"


def test_builtin_policy_cites_its_sources() -> None:
    policy = builtin_policy()
    cats = policy.categories
    assert ABORTION_WORDS in cats["abortion_provider"].source
    assert "9 February 2026" in cats["abortion_provider"].source
    assert WORSHIP_WORDS in cats["place_of_worship"].source
    assert "9 February 2026" in cats["place_of_worship"].source
    for key in ("consulate", "embassy"):
        assert CONSULATE_WORDS in cats[key].source
        assert "6 March 2026" in cats[key].source
    assert CAPABILITY_WORDS in policy.prohibited_capabilities_source
    assert "6 March 2026" in policy.prohibited_capabilities_source


def test_builtin_policy_says_unknown_category_explicitly() -> None:
    text = builtin_policy_path().read_text(encoding="utf-8")
    assert 'unknown_category = "error"' in text


def test_builtin_policy_is_cached_and_hashed() -> None:
    assert builtin_policy() is builtin_policy()
    digest = hashlib.sha256(builtin_policy_path().read_bytes()).hexdigest()
    assert builtin_policy().sha256 == digest


def test_builtin_policy_rejects_an_unlisted_category() -> None:
    assert builtin_policy().rule_for("school") is None


# --- a valid file --------------------------------------------------------------------


def test_valid_policy_reads(tmp_path: Path) -> None:
    path = write(tmp_path, VALID)
    policy = read_policy(path)
    assert policy.id == "test-policy"
    assert policy.categories["clinic"].action is Action.WARN
    assert policy.categories["clinic"].label == ""
    assert policy.sha256 == hashlib.sha256(path.read_bytes()).hexdigest()


def test_defaults_apply_when_distances_are_left_out(tmp_path: Path) -> None:
    text = 'id = "p"\nversion = "v"\n[categories.a]\naction = "ignore"\n'
    policy = read_policy(write(tmp_path, text))
    assert (policy.entrance_radius_m, policy.warn_margin_m) == (15.0, 10.0)
    assert (policy.approach_m, policy.approach_width_m) == (0.0, 6.0)
    assert policy.prohibited_capabilities == ()
    assert policy.unknown_category == "error"


def test_integers_are_accepted_as_distances(tmp_path: Path) -> None:
    policy = read_policy(write(tmp_path, VALID.replace("15.0", "20")))
    assert policy.entrance_radius_m == 20.0
    assert isinstance(policy.entrance_radius_m, float)


def test_utf8_bom_is_accepted(tmp_path: Path) -> None:
    path = tmp_path / "bom.toml"
    path.write_bytes(b"\xef\xbb\xbf" + VALID.encode())
    assert read_policy(path).id == "test-policy"


def test_overrides_resolve_per_category(tmp_path: Path) -> None:
    text = VALID.replace(
        'label = "Place of worship"',
        'label = "Place of worship"\nentrance_radius_m = 30\nwarn_margin_m = 0\napproach_m = 50.5',
    )
    policy = read_policy(write(tmp_path, text))
    assert policy.entrance_radius("place_of_worship") == 30.0
    assert policy.warn_margin("place_of_worship") == 0.0
    assert policy.approach("place_of_worship") == 50.5
    # no override: the policy's own values
    assert policy.entrance_radius("clinic") == 15.0
    assert policy.warn_margin("clinic") == 10.0
    assert policy.approach("clinic") == 0.0
    # unknown category: the policy's own values too
    assert policy.entrance_radius("nowhere") == 15.0


@pytest.mark.parametrize(
    ("setting", "expected"),
    [("error", None), ("warn", Action.WARN), ("ignore", Action.IGNORE)],
)
def test_unknown_category_setting(tmp_path: Path, setting: str, expected: Action | None) -> None:
    policy = read_policy(write(tmp_path, f'unknown_category = "{setting}"\n' + VALID))
    assert policy.unknown_category == setting
    rule = policy.rule_for("school")
    if expected is None:
        assert rule is None
    else:
        assert rule is not None
        assert rule.action is expected
        assert rule.key == "school"
    # a listed category is unaffected by the setting
    known = policy.rule_for("place_of_worship")
    assert known is not None
    assert known.action is Action.BLOCK


def test_policy_from_mapping_matches_the_file(tmp_path: Path) -> None:
    import tomllib

    data = tomllib.loads(VALID)
    from_map = policy_from_mapping(data, source="inline")
    from_file = read_policy(write(tmp_path, VALID))
    assert isinstance(from_map, Policy)
    assert from_map.categories == from_file.categories
    assert from_map.sha256 == ""


def test_policy_from_mapping_rejects_a_non_table() -> None:
    with pytest.raises(InputError, match="must be a table") as info:
        policy_from_mapping(["not", "a", "table"], source="plan.geojson")  # type: ignore[arg-type]
    assert str(info.value).startswith("plan.geojson: ")


# --- bad input: every class gives an InputError naming the file and the place -------

# (name, text, where, what): the text replaces VALID by str.replace or whole.
BAD_CASES: list[tuple[str, str, str, str]] = [
    ("missing id", VALID.replace('id = "test-policy"\n', ""), "id", "missing"),
    ("missing version", VALID.replace('version = "1"\n', ""), "version", "missing"),
    ("empty id", VALID.replace('"test-policy"', '"  "'), "id", "must not be empty"),
    ("id not string", VALID.replace('"test-policy"', "7"), "id", "must be a string"),
    (
        "version as a bare date",
        VALID.replace('version = "1"', "version = 2026-03-10"),
        "version",
        "put it in quotes",
    ),
    ("title not string", "title = 3\n" + VALID, "title", "must be a string"),
    (
        "bool distance",
        VALID.replace("entrance_radius_m = 15.0", "entrance_radius_m = true"),
        "entrance_radius_m",
        "must be a number, not true/false",
    ),
    (
        "string distance",
        VALID.replace("warn_margin_m = 10.0", 'warn_margin_m = "10"'),
        "warn_margin_m",
        "must be a number",
    ),
    (
        "nan distance",
        VALID.replace("approach_m = 0.0", "approach_m = nan"),
        "approach_m",
        "finite",
    ),
    (
        "inf distance",
        VALID.replace("entrance_radius_m = 15.0", "entrance_radius_m = inf"),
        "entrance_radius_m",
        "finite",
    ),
    (
        "zero radius",
        VALID.replace("entrance_radius_m = 15.0", "entrance_radius_m = 0"),
        "entrance_radius_m",
        "greater than 0",
    ),
    (
        "negative margin",
        VALID.replace("warn_margin_m = 10.0", "warn_margin_m = -1"),
        "warn_margin_m",
        "at least 0",
    ),
    (
        "negative approach",
        VALID.replace("approach_m = 0.0", "approach_m = -0.5"),
        "approach_m",
        "at least 0",
    ),
    (
        "zero approach width",
        VALID.replace("approach_width_m = 6.0", "approach_width_m = 0.0"),
        "approach_width_m",
        "greater than 0",
    ),
    (
        "implausible radius",
        VALID.replace("entrance_radius_m = 15.0", "entrance_radius_m = 1e9"),
        "entrance_radius_m",
        "at most",
    ),
    (
        "unknown action",
        VALID.replace('action = "block"', 'action = "blok"'),
        "categories.place_of_worship.action",
        "unknown value 'blok'",
    ),
    (
        "action wrong case",
        VALID.replace('action = "block"', 'action = "Block"'),
        "categories.place_of_worship.action",
        "unknown value",
    ),
    (
        "missing action",
        VALID.replace('action = "warn"', 'label = "Clinic"'),
        "categories.clinic.action",
        "missing",
    ),
    (
        "action not string",
        VALID.replace('action = "warn"', "action = 1"),
        "categories.clinic.action",
        "must be a string",
    ),
    (
        "empty categories",
        'id = "p"\nversion = "1"\n[categories]\n',
        "categories",
        "no categories",
    ),
    ("missing categories", 'id = "p"\nversion = "1"\n', "categories", "missing"),
    (
        "categories not a table",
        'id = "p"\nversion = "1"\ncategories = ["a"]\n',
        "categories",
        "must be a table",
    ),
    (
        "category not a table",
        'id = "p"\nversion = "1"\n[categories]\nchurch = "block"\n',
        "categories.church",
        "must be a table",
    ),
    (
        "unknown top-level key",
        "entrance_radius = 50\n" + VALID,
        "entrance_radius",
        "unknown key 'entrance_radius'; did you mean 'entrance_radius_m'?",
    ),
    (
        "unknown category key",
        VALID.replace('action = "warn"', 'action = "warn"\nactoin = "block"'),
        "categories.clinic.actoin",
        "unknown key 'actoin'",
    ),
    (
        "approach width is not a per-category override",
        VALID.replace('action = "warn"', 'action = "warn"\napproach_width_m = 3'),
        "categories.clinic.approach_width_m",
        "unknown key",
    ),
    (
        "bool override",
        VALID.replace('action = "warn"', 'action = "warn"\nentrance_radius_m = false'),
        "categories.clinic.entrance_radius_m",
        "must be a number",
    ),
    (
        "zero override radius",
        VALID.replace('action = "warn"', 'action = "warn"\nentrance_radius_m = 0'),
        "categories.clinic.entrance_radius_m",
        "greater than 0",
    ),
    (
        "negative override margin",
        VALID.replace('action = "warn"', 'action = "warn"\nwarn_margin_m = -3'),
        "categories.clinic.warn_margin_m",
        "at least 0",
    ),
    (
        "nan override approach",
        VALID.replace('action = "warn"', 'action = "warn"\napproach_m = nan'),
        "categories.clinic.approach_m",
        "finite",
    ),
    (
        "prohibited capabilities not a list",
        VALID.replace('["facial_recognition"]', '"facial_recognition"'),
        "prohibited_capabilities",
        "must be an array of strings",
    ),
    (
        "prohibited capability not a string",
        VALID.replace('["facial_recognition"]', '["facial_recognition", 3]'),
        "prohibited_capabilities[1]",
        "must be a string",
    ),
    (
        "empty prohibited capability",
        VALID.replace('["facial_recognition"]', '[""]'),
        "prohibited_capabilities[0]",
        "must not be empty",
    ),
    (
        "bad unknown_category",
        'unknown_category = "allow"\n' + VALID,
        "unknown_category",
        "unknown value 'allow'",
    ),
    (
        "unknown_category not a string",
        "unknown_category = false\n" + VALID,
        "unknown_category",
        "must be a string",
    ),
    (
        "malformed TOML",
        'id = "p"\nversion = "1"\nentrance_radius_m 15\n',
        "line 3, column 19",
        "not valid TOML",
    ),
    (
        "duplicate table",
        VALID + '\n[categories.clinic]\naction = "block"\n',
        "line 16, column 19",
        "not valid TOML",
    ),
    ("unterminated string", 'id = "p\n', "line 1", "not valid TOML"),
    ("empty file", "", "", "file is empty"),
    ("blank file", "  \n\n\t\n", "", "file is empty"),
    ("comments only", "# nothing here\n", "", "no settings"),
]


@pytest.mark.parametrize(
    ("text", "where", "what"), [c[1:] for c in BAD_CASES], ids=[c[0] for c in BAD_CASES]
)
def test_bad_policy_gives_input_error(tmp_path: Path, text: str, where: str, what: str) -> None:
    path = write(tmp_path, text)
    with pytest.raises(InputError) as info:
        read_policy(path)
    err = info.value
    message = str(err)
    assert err.file == str(path)
    assert message.startswith(f"{path}: ")
    assert what in err.what
    if where:
        assert err.where.startswith(where), err.where
        assert f": {err.where}: " in message
    else:
        assert err.where == ""


def test_oversized_file(tmp_path: Path) -> None:
    path = tmp_path / "huge.toml"
    path.write_text(VALID + "#" * MAX_BYTES + "\n", encoding="utf-8")
    with pytest.raises(InputError, match="larger than 1024 KiB") as info:
        read_policy(path)
    assert str(info.value).startswith(str(path))


def test_just_under_the_size_limit_is_read(tmp_path: Path) -> None:
    path = tmp_path / "big.toml"
    filler = "#" * (MAX_BYTES - len(VALID) - 10) + "\n"
    path.write_text(filler + VALID, encoding="utf-8")
    assert read_policy(path).id == "test-policy"


def test_not_utf8(tmp_path: Path) -> None:
    path = tmp_path / "latin1.toml"
    path.write_bytes(VALID.encode() + b"\n# caf\xe9\n")
    with pytest.raises(InputError, match="not UTF-8") as info:
        read_policy(path)
    assert info.value.where == "line 16"  # 14 lines of VALID, a blank, then the bad one


def test_missing_file(tmp_path: Path) -> None:
    path = tmp_path / "nope.toml"
    with pytest.raises(InputError, match="not found") as info:
        read_policy(path)
    assert info.value.file == str(path)


def test_folder_instead_of_file(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="folder") as info:
        read_policy(tmp_path)
    assert info.value.file == str(tmp_path)


@pytest.mark.parametrize(
    ("message", "where", "what"),
    [
        ("Invalid value (at line 3, column 5)", "line 3, column 5", "Invalid value"),
        ("Invalid value (at end of document)", "end of file", "Invalid value"),
        ("Something odd", "", "Something odd"),
    ],
)
def test_split_toml_error(message: str, where: str, what: str) -> None:
    assert split_toml_error(message) == (where, what)

"""The Windows and macOS installer sources and the CI workflow, checked as far as Linux can.

What only a Windows runner proves (WiX compiling the .wxs, msiexec running the custom
actions, the PATH entry, the uninstall leaving nothing) is in the workflow's windows job,
which this file checks for. No WiX XML schema is published on PyPI or npm, so the .wxs
is checked as XML and by what it names, not against wix.xsd.
"""

from __future__ import annotations

import importlib.util
import plistlib
import re
import shlex
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
import yaml

from planner.cli import main
from planner.io.config import system_config_writer
from planner.io.config.managed_config import KEYS, load_managed_config

ROOT = Path(__file__).resolve().parent.parent
WXS = ROOT / "packaging" / "windows" / "siting-planner.wxs"
ADMX = ROOT / "packaging" / "windows" / "SitingPlanner.admx"
ADML = ROOT / "packaging" / "windows" / "en-US" / "SitingPlanner.adml"
PROFILE = ROOT / "packaging" / "macos" / "SitingPlanner.mobileconfig"
WORKFLOW = ROOT / ".github" / "workflows" / "packaging.yml"
W = "{http://wixtoolset.org/schemas/v4/wxs}"
pytestmark = pytest.mark.packaging

#: Every key IT can set (allowed_signers is read where the review lock is enforced).
ALL_KEYS = set(KEYS) | {"allowed_signers"}


def _programs():
    spec = importlib.util.spec_from_file_location(
        "bundle_programs", ROOT / "packaging" / "bundle_programs.py"
    )
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


# -- the MSI source --------------------------------------------------------------------------
@pytest.fixture(scope="module")
def wxs() -> ET.Element:
    return ET.parse(WXS).getroot()  # well-formed, or this raises


def test_wxs_payload_only_through_named_bind_paths(wxs):
    text = WXS.read_text(encoding="utf-8")
    assert "$(var.BundleDir)" not in text and "$(var.AssetsDir)" not in text
    sources = [e.get("Include") for e in wxs.iter(f"{W}Files")] + [
        e.get("SourceFile") or e.get("Source")
        for e in wxs.iter()
        if e.get("SourceFile") or e.get("Source")
    ]
    assert sources
    for src in sources:
        # a relative Include would be resolved against packaging/windows, not dist/
        assert re.match(r"!\(bindpath\.(Bundle|Assets)\)\\", src), src
    build = (ROOT / "packaging" / "windows" / "build.ps1").read_text(encoding="utf-8")
    assert '-bindpath "Bundle=$bundle"' in build and '$bundle = (Resolve-Path "dist' in build
    assert '-bindpath "Assets=$((Resolve-Path assets).Path)"' in build


def _wxs_paths(wxs: ET.Element) -> dict[str, list[str]]:
    """Every file the MSI source names, by bind path / installed folder."""
    out: dict[str, list[str]] = {"Bundle": [], "Assets": [], "INSTALLFOLDER": []}
    for e in wxs.iter():
        for value in e.attrib.values():
            for m in re.finditer(r"!\(bindpath\.(\w+)\)\\([^\"\s]*)", value):
                out[m.group(1)].append(m.group(2))
            for m in re.finditer(r"\[INSTALLFOLDER\]([\w.-]+\.exe)", value):
                out["INSTALLFOLDER"].append(m.group(1))
    return out


def test_every_path_the_msi_names_exists(wxs):
    """Assets here; programs as the spec builds them for Windows (packaging/bundle_programs.py).

    That the bundle PyInstaller makes has them is checked on a real build in
    tests/test_packaging.py (test_msi_paths_exist_in_the_bundle).
    """
    paths = _wxs_paths(wxs)
    for rel in paths["Assets"]:
        assert (ROOT / "assets" / rel.replace("\\", "/")).is_file(), rel
    assert paths["Bundle"] == ["**"]
    windows = {f"{name}.exe": console for name, console in _programs().programs("win32")}
    assert windows == {"siting-planner.exe": True, "SitingPlanner.exe": False}
    assert set(paths["INSTALLFOLDER"]) == set(windows)
    (shortcut,) = wxs.iter(f"{W}Shortcut")
    assert shortcut.get("Target") == "[INSTALLFOLDER]SitingPlanner.exe"  # windowed
    for action in wxs.iter(f"{W}CustomAction"):  # the commands run the console one
        assert action.get("ExeCommand").startswith('"[INSTALLFOLDER]siting-planner.exe" ')
    # Linux and macOS keep one program
    assert _programs().programs("linux") == [("siting-planner", False)]


def test_console_program_on_the_machine_path(wxs):
    (env,) = wxs.iter(f"{W}Environment")
    assert (env.get("Name"), env.get("Value"), env.get("System")) == (
        "PATH",
        "[INSTALLFOLDER]",
        "yes",
    )
    assert env.get("Permanent") == "no" and env.get("Part") == "last"


def test_public_properties_are_the_writers(wxs):
    declared = {p.get("Id"): p.get("Secure") for p in wxs.iter(f"{W}Property")}
    for prop in system_config_writer.PROPERTIES:
        assert declared.get(prop) == "yes", prop
    (write,) = [a for a in wxs.iter(f"{W}CustomAction") if a.get("Id") == "WriteManagedConfig"]
    assert write.get("Execute") == "deferred" and write.get("Impersonate") == "no"
    assert write.get("Return") == "check"  # a bad value fails the installation
    for prop, key in system_config_writer.PROPERTIES.items():
        assert f'"{key}=[{prop}]"' in write.get("ExeCommand"), prop
    any_config = re.search(r'AnyConfig = "([^"]+)"', WXS.read_text()).group(1)
    assert set(any_config.split(" OR ")) == set(system_config_writer.PROPERTIES)
    sequence = {c.get("Action"): c.get("Condition") for c in wxs.iter(f"{W}Custom")}
    assert sequence["WriteManagedConfig"].endswith("AND NOT REMOVE")
    assert sequence["RemoveManagedConfig"] == 'REMOVE="ALL" AND NOT UPGRADINGPRODUCTCODE'


def _as_msiexec_runs(command: str, props: dict[str, str], programdata: Path) -> list[str]:
    """The custom action's command line as Windows Installer formats it, split into argv."""

    def value(m: re.Match[str]) -> str:
        name = m.group(1)
        if name == "CommonAppDataFolder":
            return str(programdata) + "/"
        return props.get(name, "")

    formatted = re.sub(r"\[(\w+)\]", value, command).replace("\\", "/")
    return shlex.split(formatted)[1:]  # without the program


def test_msiexec_properties_write_the_managed_config(wxs, tmp_path):
    policy = tmp_path / "policy.toml"
    policy.write_text(
        (ROOT / "data" / "policies" / "san_jose_alpr_2026.toml").read_text(encoding="utf-8")
    )
    pack = ROOT / "data" / "demo" / "demo.gpkg"
    props = {
        "POLICY": str(policy),
        "DATAPACK": f"{pack};{pack}",
        "NETWORK": "off",
        "LOCKNETWORK": "1",
        "LOCKPOLICY": "1",
        "LOCKDATA": "0",
    }
    actions = {a.get("Id"): a.get("ExeCommand") for a in wxs.iter(f"{W}CustomAction")}
    argv = _as_msiexec_runs(actions["WriteManagedConfig"], props, tmp_path)
    assert argv[:2] == ["system-config", "write"]
    assert main(argv) == 0
    cfg_path = tmp_path / "SitingPlanner" / "config.toml"
    cfg = load_managed_config(path=cfg_path, registry=lambda: None)
    assert cfg.error is None, cfg.error
    assert cfg.policy == policy and cfg.data_packs == (pack, pack)
    assert (cfg.network, cfg.lock_network, cfg.lock_policy, cfg.lock_data) == (
        "off",
        True,
        True,
        False,
    )
    # an upgrade's or repair's run without properties keeps the file
    argv = _as_msiexec_runs(actions["WriteManagedConfig"], {}, tmp_path)
    before = cfg_path.read_text()
    assert main(argv) == 0 and cfg_path.read_text() == before
    # uninstall removes the installer's file and the folder it made
    argv = _as_msiexec_runs(actions["RemoveManagedConfig"], {}, tmp_path)
    assert main(argv) == 0
    assert not cfg_path.exists() and not cfg_path.parent.exists()


def test_a_file_it_replaced_by_hand_survives_uninstall(tmp_path):
    cfg = tmp_path / "SitingPlanner" / "config.toml"
    assert system_config_writer.write(cfg, ["NETWORK=off"])
    cfg.write_text('network = "on"\n')  # IT's own file now
    assert not system_config_writer.remove(cfg) and cfg.is_file()


@pytest.mark.parametrize(
    ("pair", "message"),
    [
        ("LOCKDATA=maybe", "LOCKDATA=maybe: lock_data: must be 1 or 0"),
        ("NETWORK=offline", "NETWORK=offline: network: must be one of off, basemap-only, on"),
        ("COLOUR=red", "COLOUR=red: expected KEY=VALUE"),
    ],
)
def test_a_bad_property_fails_the_installation(tmp_path, capsys, pair, message):
    cfg = tmp_path / "config.toml"
    assert main(["system-config", "write", str(cfg), pair]) == 2
    err = capsys.readouterr().err
    assert err.startswith(f"error: {message}") and err.count("\n") == 1, err
    assert not cfg.exists()


def test_written_text_escapes_windows_paths(tmp_path):
    values = system_config_writer.config_values(
        ['POLICY=C:\\Policies\\a "b".toml', "ALLOWEDSIGNERS=\\\\srv\\gis\\signers"]
    )
    text = system_config_writer.render(values)
    assert 'policy = "C:\\\\Policies\\\\a \\"b\\".toml"' in text
    assert 'allowed_signers = "\\\\\\\\srv\\\\gis\\\\signers"' in text


# -- Group Policy and the macOS profile ------------------------------------------------------
def test_admx_and_adml_carry_every_managed_key():
    ns = {"p": "http://schemas.microsoft.com/GroupPolicy/2006/07/PolicyDefinitions"}
    admx, adml = ET.parse(ADMX).getroot(), ET.parse(ADML).getroot()
    names = {e.get("valueName") for e in admx.iter() if e.get("valueName")}
    assert names == ALL_KEYS
    strings = {s.get("id") for s in adml.iterfind(".//p:string", ns)}
    presentations = {s.get("id") for s in adml.iterfind(".//p:presentation", ns)}
    for e in admx.iter():
        for value in e.attrib.values():
            for kind, ref in re.findall(r"\$\((string|presentation)\.(\w+)\)", value):
                assert ref in (strings if kind == "string" else presentations), ref
    (enum,) = admx.iterfind(".//p:enum", ns)
    values = [s.text for s in enum.iterfind(".//p:string", ns)]
    assert enum.get("valueName") == "network" and values == ["off", "basemap-only", "on"]


def test_mobileconfig_sets_the_apps_domain(tmp_path, monkeypatch):
    from planner.io.config import managed_config

    profile = plistlib.loads(PROFILE.read_bytes())
    (payload,) = profile["PayloadContent"]
    assert payload["PayloadType"] == managed_config.MACOS_DOMAIN
    settings = {k: v for k, v in payload.items() if not k.startswith("Payload")}
    assert set(settings) <= ALL_KEYS and settings["network"] == "off"
    # the commented keys cover the rest
    assert all(f"<key>{k}</key>" in PROFILE.read_text() for k in ALL_KEYS)
    # what macOS writes to Managed Preferences: the payload's keys, plus its own
    managed = tmp_path / "managed.plist"
    managed.write_bytes(plistlib.dumps({**settings, "PayloadUUID": "x"}))
    real = managed_config.read_macos_profile
    monkeypatch.setattr(managed_config, "read_macos_profile", lambda: real(managed))
    cfg = load_managed_config(path=tmp_path / "none.toml", registry=lambda: None)
    assert cfg.error is None and cfg.network == "off" and cfg.lock_network
    assert cfg.source_of("network") == str(managed_config.MACOS_PROFILE)
    managed.write_bytes(b"not a plist")
    bad = load_managed_config(path=tmp_path / "none.toml", registry=lambda: None)
    assert bad.error is not None and "not a property list" in bad.error and bad.lock_network


# -- the CI workflow -------------------------------------------------------------------------
@pytest.fixture(scope="module")
def workflow() -> dict:
    return yaml.safe_load(WORKFLOW.read_text(encoding="utf-8"))


def _steps(job: dict) -> str:
    return "\n".join(f"{s.get('name', '')}\n{s.get('run', '')}" for s in job["steps"])


def test_workflow_jobs(workflow):
    jobs = workflow["jobs"]
    assert set(jobs) == {"linux", "linux-install", "windows", "macos", "checksums"}
    assert jobs["linux-install"]["strategy"]["matrix"]["image"] == ["debian:12", "ubuntu:24.04"]
    assert jobs["linux-install"]["container"] == "${{ matrix.image }}"
    assert set(jobs["checksums"]["needs"]) == {"linux", "linux-install", "windows", "macos"}
    assert len(jobs["macos"]["strategy"]["matrix"]["runner"]) == 2  # arm64 and x86_64


def test_workflow_linux_installs_and_self_tests(workflow):
    steps = _steps(workflow["jobs"]["linux-install"])
    assert "apt-get install -y -qq ./dist/siting-planner_*_amd64.deb" in steps
    assert "siting-planner --self-test" in steps and "test $? -eq 1" in steps
    assert "apt-get remove" in steps and "test ! -e /opt/siting-planner" in steps
    assert "pytest -m packaging" in _steps(workflow["jobs"]["linux"])


def test_workflow_windows_installs_runs_and_uninstalls(workflow):
    steps = _steps(workflow["jobs"]["windows"])
    for needle in (
        "./packaging/windows/build.ps1",
        '"/i", "`"$msi`"", "/qn"',
        '"NETWORK=off", "LOCKNETWORK=1"',
        'GetEnvironmentVariable("Path", "Machine")',
        "& siting-planner.exe --self-test",
        'check "$demo\\demo.plan.geojson"',
        "if ($LASTEXITCODE -ne 1)",
        '"/x", "`"$msi`"", "/qn"',
        "left behind",
        "PATH still names the planner",
        "WINDOWS_CERT_PFX_BASE64",
        "::warning::no WINDOWS_CERT_PFX_BASE64",
    ):
        assert needle in steps, needle
    build = (ROOT / "packaging" / "windows" / "build.ps1").read_text(encoding="utf-8")
    assert "& $cli --self-test\nif ($LASTEXITCODE -ne 0)" in build
    assert "signtool" in build.lower() and "/tr $stamp" in build


def test_workflow_macos_signs_and_notarises_when_it_can(workflow):
    steps = _steps(workflow["jobs"]["macos"])
    assert "::warning::no MACOS_CERT_P12_BASE64" in steps
    script = (ROOT / "packaging" / "macos" / "build.sh").read_text(encoding="utf-8")
    assert "xcrun notarytool submit" in script and "xcrun stapler staple" in script
    assert "::warning::not notarised" in script and "--options runtime" in script


def test_workflow_sbom_and_checksums(workflow):
    jobs = workflow["jobs"]
    for name in ("linux", "windows", "macos"):
        assert "packaging/sbom.py" in _steps(jobs[name]).replace("\\", "/"), name
    assert "sha256sum > SHA256SUMS" in _steps(jobs["checksums"])


def test_sbom_lists_the_bundled_packages_with_licences(tmp_path):
    import json
    import subprocess
    import sys

    out = tmp_path / "sbom.cdx.json"
    proc = subprocess.run(
        [sys.executable, str(ROOT / "packaging" / "sbom.py"), str(out)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
    doc = json.loads(out.read_text())
    assert (
        doc["bomFormat"] == "CycloneDX" and doc["metadata"]["component"]["name"] == "siting-planner"
    )
    names = {c["name"].lower().replace("_", "-"): c for c in doc["components"]}
    for runtime in ("numpy", "shapely", "pyproj", "pyogrio", "pyside6-essentials", "osmnx"):
        assert runtime in names and names[runtime]["version"], runtime
        assert names[runtime]["licenses"], runtime
    for dev in ("pytest", "ruff", "hypothesis", "pyinstaller"):
        assert dev not in names, dev

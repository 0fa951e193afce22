"""The installers' sources agree with the app: the ADMX templates with the settings the app validates,
the MSI's registry values with the setting names, the Debian conffile with the settings format. Fast: no
build (tests/test_packaging.py builds and installs)."""

from __future__ import annotations

import importlib.util
import json
import re
import xml.etree.ElementTree as ET
from pathlib import Path

from tjv_desktop.app.settings import SETTINGS, Settings
from tjv_desktop.app.winregistry import DEFAULTS_KEY, POLICY_KEY, REG_DWORD, to_setting_value

REPO = Path(__file__).resolve().parents[2]
POLICY_DIR = REPO / "packaging" / "windows" / "policy"
ADMX_NS = {"p": "http://schemas.microsoft.com/GroupPolicy/2006/07/PolicyDefinitions"}
WIX_NS = {"w": "http://schemas.microsoft.com/wix/2006/wi"}


def load_script(relative: str):
    spec = importlib.util.spec_from_file_location(Path(relative).stem, REPO / relative)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_the_committed_admx_templates_are_what_make_admx_writes_today():
    make_admx = load_script("packaging/windows/policy/make_admx.py")
    for path, text in make_admx.outputs().items():
        assert path.read_text(encoding="utf-8") == text, f"{path.name} is stale: run make admx"


def test_every_setting_has_a_machine_policy_with_the_range_and_choices_the_app_accepts():
    root = ET.parse(POLICY_DIR / "tjv-desktop.admx").getroot()
    policies = root.findall(".//p:policy", ADMX_NS)
    by_value = {}
    for policy in policies:
        assert policy.get("key") == POLICY_KEY and policy.get("class") == "Machine"
        (element,) = list(policy.find("p:elements", ADMX_NS))
        by_value[element.get("valueName")] = element
    assert set(by_value) == set(SETTINGS)
    for name, element in by_value.items():
        validate = SETTINGS[name].validate
        kind = element.tag.split("}")[1]
        if SETTINGS[name].type is int:
            assert kind == "decimal", name
            lo, hi = int(element.get("minValue")), int(element.get("maxValue"))
            assert validate(lo) is None and validate(hi) is None, name
            assert validate(lo - 1) and validate(hi + 1), name
        elif kind == "enum":
            values = [v.text for v in element.findall(".//p:string", ADMX_NS)]
            assert all(validate(v) is None for v in values) and validate("xx")
        elif SETTINGS[name].type is bool:
            assert kind == "boolean", name
            written = {flag: element.find(f"p:{flag}Value/p:decimal", ADMX_NS).get("value") for flag in ("true", "false")}
            assert written == {"true": "1", "false": "0"}, name
            for flag, dword in written.items():  # what Group Policy writes reads back as the setting's value
                assert to_setting_value(bool, int(dword), REG_DWORD) is (flag == "true"), name
        else:
            assert kind == "text", name


def test_every_admx_string_and_presentation_is_in_the_english_adml():
    admx = (POLICY_DIR / "tjv-desktop.admx").read_text(encoding="utf-8")
    adml = ET.parse(POLICY_DIR / "en-US" / "tjv-desktop.adml").getroot()
    strings = {s.get("id") for s in adml.findall(".//p:string", ADMX_NS)}
    presentations = {p.get("id") for p in adml.findall(".//p:presentation", ADMX_NS)}
    assert set(re.findall(r"\$\(string\.(\w+)\)", admx)) <= strings
    assert set(re.findall(r"\$\(presentation\.(\w+)\)", admx)) <= presentations


def test_the_msi_writes_machine_defaults_under_setting_names_the_app_reads():
    wxs = ET.parse(REPO / "packaging" / "windows" / "tjv-desktop.wxs").getroot()
    product = wxs.find("w:Product", WIX_NS)
    assert product.get("Id") == "*", "every build needs a new ProductCode for major upgrades"
    assert product.get("UpgradeCode") == "953A2450-B0C2-4AFB-A337-7734774C72A3", "never change the UpgradeCode"
    assert wxs.find(".//w:Package", WIX_NS).get("InstallScope") == "perMachine"
    assert wxs.find(".//w:MajorUpgrade", WIX_NS).get("DowngradeErrorMessage")
    values = wxs.findall(".//w:RegistryValue", WIX_NS)
    assert {v.get("Name") for v in values} == {"server_url", "anon_key", "tenant_id", "idle_lock_minutes",
                                               "audio_pause_seconds"}
    for value in values:
        assert value.get("Root") == "HKLM" and value.get("Key") == DEFAULTS_KEY and value.get("Name") in SETTINGS
    build_msi = load_script("packaging/windows/build_msi.py")
    conditions = build_msi.component_conditions()
    assert sorted(conditions.values()) == sorted(build_msi.secure_properties())
    assert len(conditions) == len(values)


def test_the_debian_conffile_is_a_valid_empty_policy(tmp_path):
    policy = REPO / "packaging" / "debian" / "policy.json"
    assert json.loads(policy.read_text()) == {}
    settings = Settings.load(policy_file=policy, user_file=tmp_path / "u.json", defaults_file=tmp_path / "d.json",
                             env={"HOME": str(tmp_path)})
    assert settings.source("idle_lock_minutes") == "default"


def test_debian_depends_pins_glibc_and_lists_each_package_once():
    build_deb = load_script("packaging/debian/build_deb.py")
    assert build_deb.depends_field({"libgl1", "libc6", "libegl1"}, (2, 34)) == "libc6 (>= 2.34), libegl1, libgl1"
    assert build_deb.depends_field({"libc6"}, ()) == "libc6"

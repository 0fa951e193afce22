"""Windows machine settings in the registry: IT's policy and the MSI's machine defaults.

Two keys under HKEY_LOCAL_MACHINE (64-bit view), one value per setting, named as in ``settings.SETTINGS``:

- ``Software\\Policies\\TJV\\TJV Desktop``: machine policy, set by Group Policy with our ADMX templates
  (packaging/windows/policy/) or by Intune; locked, above user settings.
- ``Software\\TJV\\TJV Desktop``: machine defaults, written by the MSI from its public properties.

Whole-number settings may be REG_DWORD (what the ADMX ``decimal`` element writes) or REG_SZ holding the
digits (what an MSI property writes); an empty REG_SZ means "not set" (an MSI property left empty).
Yes/no settings are REG_DWORD 1 or 0.
Reading goes through the small ``RegistryReader`` interface so the conversion and validation can be
tested on any platform; ``WinregReader`` is the real one and imports ``winreg`` only when used.
No Qt here.
"""

from __future__ import annotations

import os
import re
from typing import Any, Protocol

VENDOR = "TJV"
PRODUCT = "TJV Desktop"
POLICY_KEY = rf"Software\Policies\{VENDOR}\{PRODUCT}"
DEFAULTS_KEY = rf"Software\{VENDOR}\{PRODUCT}"

# winreg's value types (the numbers are the Windows API's, so the fake reader in tests can use them).
REG_SZ, REG_EXPAND_SZ, REG_DWORD, REG_QWORD = 1, 2, 4, 11

ABSENT = object()  # a value that means "not set" (an empty string written by the MSI)

_WHOLE = re.compile(r"^[+-]?\d+$")


class RegistryReader(Protocol):
    def values(self, key: str) -> dict[str, tuple[Any, int]] | None:
        """Every value of ``HKLM\\key`` as name → (data, type), or None when the key does not exist.
        May raise OSError when the key exists but cannot be read."""


class WinregReader:
    """The real registry (Windows only), 64-bit view, read-only."""

    def values(self, key: str) -> dict[str, tuple[Any, int]] | None:
        import winreg  # type: ignore[import-not-found]  # Windows only

        try:
            handle = winreg.OpenKey(winreg.HKEY_LOCAL_MACHINE, key, 0, winreg.KEY_READ | winreg.KEY_WOW64_64KEY)
        except FileNotFoundError:
            return None
        found: dict[str, tuple[Any, int]] = {}
        with handle:
            index = 0
            while True:
                try:
                    name, data, kind = winreg.EnumValue(handle, index)
                except OSError:  # no more values
                    break
                found[name] = (data, kind)
                index += 1
        return found


def to_setting_value(setting_type: type, data: Any, kind: int) -> Any:
    """The registry value as the setting's type where the conversion is unambiguous; otherwise the raw
    data, which the setting's validator then refuses with a message naming it. ABSENT for empty text."""
    if kind in (REG_DWORD, REG_QWORD) and isinstance(data, int):
        bits = 32 if kind == REG_DWORD else 64
        value = data - (1 << bits) if data >= 1 << (bits - 1) else data  # "#-5" from an MSI is negative
        if setting_type is bool and value in (0, 1):  # what the ADMX ``boolean`` element writes
            return bool(value)
        return value if setting_type is int else data
    if kind in (REG_SZ, REG_EXPAND_SZ) and isinstance(data, str):
        if data == "":
            return ABSENT
        text = os.path.expandvars(data) if kind == REG_EXPAND_SZ else data
        if setting_type is int and _WHOLE.match(text.strip()):
            return int(text.strip())
        return text
    return data


def describe_key(key: str) -> str:
    return f"HKLM\\{key}"

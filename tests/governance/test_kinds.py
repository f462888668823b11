"""The registry of proposal kinds agrees with the pure rules."""

from commons.governance import kinds, rules


def test_every_kind_the_rules_name_has_a_module_and_no_other():
    assert set(kinds.KINDS) == set(rules.KINDS)
    assert all(kinds.lookup(name).name == name for name in rules.KINDS)


def test_only_a_free_text_decision_has_nothing_to_carry_out():
    assert [name for name, kind in kinds.KINDS.items() if kind.carry_out is None] == ["decision"]

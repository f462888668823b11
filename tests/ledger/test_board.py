"""The needs board's cursor while the board changes between two pages."""

from decimal import Decimal

from commons.extensions import db
from commons.ledger import board, services
from commons.projects import services as projects
from commons.projects.rules import Threshold


def other_project(ledger, slug: str, owner):
    project = projects.create_project(db.session, owner, projects.NewProject(
        name=slug.title(), slug=slug, license="CERN-OHL-S-2.0",
        approval_threshold=Threshold(Decimal("100"), "EUR")),
        projects.Settings.from_config(ledger.app.config), now=ledger.clock())
    db.session.commit()
    return project


def need_in(ledger, project, owner, title: str):
    need = services.record_need(db.session, project, owner, services.NeedForm(
        title=title, kind="material", quantity="5", unit="kg", unit_cost="2.50",
        currency="EUR"), ledger.clock())
    db.session.commit()
    return need


def ids(page) -> list[int]:
    return [need.id for need, _ in page.rows]


def board_with_filament_split_across_pages(ledger):
    """Filament, needed by two projects (four needs), then screws; a page of
    two ends inside filament."""
    greenhouse = other_project(ledger, "greenhouse", ledger.bo)
    needs = [ledger.need(title="PLA filament") for _ in range(3)]
    needs.append(need_in(ledger, greenhouse, ledger.bo, "PLA filament"))
    screws = ledger.need(title="Screws")
    today = ledger.clock().date()
    first = board.board_page(db.session, today, limit=2)
    assert first.projects == {"material:pla filament": 2} and first.next_key is not None
    return greenhouse, needs, screws, first


def test_a_resource_that_gains_a_project_between_pages_is_not_skipped(ledger):
    _, needs, screws, first = board_with_filament_split_across_pages(ledger)
    loom = other_project(ledger, "loom", ledger.cy)
    late = need_in(ledger, loom, ledger.cy, "PLA filament")  # filament: 3 projects now
    second = board.board_page(db.session, ledger.clock().date(), first.next_key, limit=10)
    shown = ids(first) + ids(second)
    assert sorted(shown) == sorted([n.id for n in needs] + [late.id, screws.id])
    assert len(shown) == len(set(shown))
    assert ids(second)[-1] == screws.id  # still after every filament need


def test_a_resource_that_loses_a_project_between_pages_is_not_drawn_twice(ledger):
    greenhouse, needs, screws, first = board_with_filament_split_across_pages(ledger)
    services.close_input(db.session, greenhouse, ledger.bo, needs[3].number, "Found some",
                         now=ledger.clock())  # filament: 1 project now, as many as screws
    db.session.commit()
    second = board.board_page(db.session, ledger.clock().date(), first.next_key, limit=10)
    shown = ids(first) + ids(second)
    assert shown == [n.id for n in needs[:3]] + [screws.id]


def test_a_resource_over_three_pages_keeps_its_rank_to_its_end(ledger):
    """Filament (2 projects, 5 needs) then bolts (1 project); filament loses
    a project after the first page of two: pages two and three still go on
    with filament, then bolts, each need once."""
    greenhouse = other_project(ledger, "greenhouse", ledger.bo)
    gone = need_in(ledger, greenhouse, ledger.bo, "PLA filament")
    needs = [ledger.need(title="PLA filament") for _ in range(4)]
    bolts = need_in(ledger, greenhouse, ledger.bo, "Bolts")
    today = ledger.clock().date()
    first = board.board_page(db.session, today, limit=2)
    services.close_input(db.session, greenhouse, ledger.bo, gone.number, "Found some",
                         now=ledger.clock())
    db.session.commit()
    second = board.board_page(db.session, today, first.next_key, limit=2)
    third = board.board_page(db.session, today, second.next_key, limit=10)
    shown = ids(first) + ids(second) + ids(third)
    assert sorted(shown) == sorted([gone.id, bolts.id] + [n.id for n in needs])
    assert len(shown) == len(set(shown)) and shown[-1] == bolts.id

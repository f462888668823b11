"""Recognition read from the database: one aggregate query, the version
in force per day, only confirmed hours weighted, on SQLite and
PostgreSQL."""

from datetime import UTC, date, datetime
from decimal import Decimal

from commons.extensions import db
from commons.recognition import queries
from commons.recognition.models import RecognitionRule
from commons.recognition.rules import DEFAULT_RULE


def store_rule(team, version, adopted_at, weights, onerous=False):
    db.session.add(RecognitionRule(project_id=team.project.id, version=version, weights=weights,
                                   onerous_multiplies=onerous, adopted_at=adopted_at))
    db.session.commit()


def test_without_a_rule_recognition_is_the_confirmed_hours(team):
    team.work(team.bo, "4", "care", confirmed_by=team.ada)
    team.work(team.bo, "2.5", "routine")
    team.work(team.ada, "1.25", "creative", confirmed_by=team.bo)
    assert queries.rule_versions(db.session, team.project) == []
    assert queries.rule_in_force(db.session, team.project, team.clock()) is DEFAULT_RULE
    people = queries.recognition_for(db.session, team.project, date(2026, 3, 1),
                                     date(2026, 4, 1))
    assert [(p.user_id, p.confirmed_hours, p.unconfirmed_hours, p.recognition)
            for p in people] == [(team.bo.id, 4, Decimal("2.5"), 4),
                                 (team.ada.id, Decimal("1.25"), 0, Decimal("1.25"))]
    assert [line.text for line in people[0].lines] == ["care: 4 h × 1 = 4"]


def test_work_before_an_adoption_keeps_the_old_rule(team):
    team.work(team.bo, "4", "care", confirmed_by=team.ada, onerous=3)  # 1 March
    store_rule(team, 1, datetime(2026, 3, 2, 23, 30, tzinfo=UTC), {"care": "1.5"}, True)
    store_rule(team, 2, datetime(2026, 3, 20, 9, tzinfo=UTC), {"care": "2"})
    team.clock.advance(days=1)  # 2 March: version 1, from its adoption day
    team.work(team.bo, "2", "care", confirmed_by=team.ada, onerous=2)
    team.work(team.bo, "1", "routine", confirmed_by=team.ada, onerous=3)
    team.clock.advance(days=18)  # 20 March: version 2
    team.work(team.bo, "3", "care", confirmed_by=team.cy, onerous=3)
    team.work(team.bo, "5", "care", onerous=3)  # never confirmed
    versions = queries.rule_versions(db.session, team.project)
    assert [v.version for v in versions] == [1, 2]
    assert queries.rule_in_force(db.session, team.project, team.clock()).version == 2
    [bo] = queries.recognition_for(db.session, team.project, date(2026, 3, 1),
                                   date(2026, 4, 1))
    assert [line.text for line in bo.lines] == [
        "care: 4 h × 1 = 4",
        "routine (rule v1): 1 h × 1 × 3 (onerous) = 3",
        "care (rule v1): 2 h × 1.5 × 2 (onerous) = 6",
        "care (rule v2): 3 h × 2 = 6"]
    assert (bo.confirmed_hours, bo.unconfirmed_hours, bo.recognition) == (10, 5, 19)
    # Only the days asked for: from the 2nd, before the 20th.
    [bo] = queries.recognition_for(db.session, team.project, date(2026, 3, 2),
                                   date(2026, 3, 20))
    assert bo.recognition == 9 and bo.confirmed_hours == 3


def test_other_projects_and_deleted_accounts_do_not_count(team):
    team.work(team.bo, "4", "care", confirmed_by=team.ada)
    log = team.work(team.cy, "4", "care", confirmed_by=team.ada)
    log.user_id = None
    db.session.commit()
    [bo] = queries.recognition_for(db.session, team.project, date(2026, 3, 1),
                                   date(2026, 4, 1))
    assert bo.user_id == team.bo.id


def test_month_bounds():
    assert queries.month_bounds("2026-12") == (date(2026, 12, 1), date(2027, 1, 1))
    assert queries.month_bounds("2026-02") == (date(2026, 2, 1), date(2026, 3, 1))

"""The demo's story, told through the same services the web pages, the API
and pushes use, with the clock moved back: things happened days ago, so
review windows have closed and proposals were decided on their day.

``record_push`` and ``decide_due`` commit (a push is recorded before it is
indexed; each decision is its own transaction), so the demo cannot be one
transaction; ``commons.demo.cli`` erases what was written if loading fails."""

import tempfile
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy.orm import Session

from commons.accounts import services as accounts
from commons.accounts.models import User
from commons.contributions import services as contributions
from commons.demo import data
from commons.demo.history import Clone
from commons.git import pushes
from commons.git.repositories import repository_path
from commons.governance import services as governance
from commons.governance.models import Proposal
from commons.ledger import services as ledger
from commons.projects import services as projects
from commons.projects.models import Project
from commons.projects.rules import Threshold


def existing_data(session: Session, repos_dir: Path) -> str | None:
    """Why the demo cannot be loaded here, or None when the database and
    the demo's repository folders are empty."""
    users = session.scalar(sa.select(sa.func.count()).select_from(User))
    projects_ = session.scalar(sa.select(sa.func.count()).select_from(Project))
    if users or projects_:
        return (f"The database already holds {users} accounts and {projects_} projects; the "
                "demo only fills an empty one, so it never mixes with real data.")
    taken = [str(repository_path(repos_dir, p["slug"])) for p in
             (data.SOLAR_DRYER, data.SEED_LIBRARY) if repository_path(repos_dir, p["slug"]).exists()]
    if taken:
        return (f"The database is empty but {', '.join(taken)} exists, left from an earlier "
                "database.")
    return None


@dataclass
class Summary:
    people: list[str] = field(default_factory=list)
    projects: list[str] = field(default_factory=list)
    proposals: dict[str, int] = field(default_factory=dict)


class Demo:
    """Loads the demo into *session*. *created* lists the repositories made
    so far, for the caller to remove if loading fails."""

    def __init__(self, session: Session, config, now: datetime, workdir: Path) -> None:
        self.session = session
        self.now = now
        self.workdir = workdir
        self.project_settings = projects.Settings.from_config(config)
        self.governance = governance.Settings.from_config(config)
        self.created: list[Path] = []
        self.people = {person.username: person for person in data.PEOPLE}
        self.users: dict[str, User] = {}

    def ago(self, days: float) -> datetime:
        return self.now - timedelta(days=days)

    def day(self, days: float) -> str:
        return self.ago(days).date().isoformat()

    def url(self, project: Project, path: str = "") -> str:
        return f"{self.governance.base_url}/projects/{project.slug}{path}"

    # ------------------------------------------------------------ steps

    def register_people(self) -> None:
        for offset, person in enumerate(data.PEOPLE):
            # The people arrived before their projects. Their addresses are
            # made up and confirmed at once: the demo vouches for them.
            joined = self.ago(31 - offset * 0.1)
            user = accounts.register_user(self.session, person.username, person.email,
                                          data.PASSWORD, joined, confirmed_at=joined)
            self.users[person.username] = user
        self.session.commit()  # pushes commit; the accounts they name must exist first

    def create(self, founder: str, fields: dict, days_ago: float, members: list[str],
               **policy) -> Project:
        project = projects.create_project(
            self.session, self.users[founder], projects.NewProject(**fields, **policy),
            self.project_settings, now=self.ago(days_ago))
        self.created.append(self.path(project))
        for offset, username in enumerate(members):
            projects.join_project(self.session, project, self.users[username],
                                  now=self.ago(days_ago - 0.5 - offset * 0.2))
        self.session.commit()
        return project

    def path(self, project: Project) -> Path:
        return repository_path(self.project_settings.repos_dir, project.slug)

    def clone(self, project: Project) -> Clone:
        return Clone(self.path(project), Path(tempfile.mkdtemp(dir=self.workdir)))

    def push(self, project: Project, clone: Clone, pusher: str, branch: str,
             changes: list[data.Change]) -> str:
        for change in changes:
            clone.commit(change, self.people, self.now)
        update = clone.push(branch)
        pushes.record_push(self.session, project, self.users[pusher], [update],
                           self.path(project), now=self.ago(changes[-1].days_ago - 0.05))
        return update.new

    def propose(self, project: Project, author: str, kind: str, title: str, body: str,
                details: dict, days_ago: float) -> Proposal:
        return governance.open_proposal(self.session, project, self.users[author], kind, title,
                                        body, details, self.governance, now=self.ago(days_ago))

    def stance(self, proposal: Proposal, username: str, stance: str, days_ago: float,
               reason: str = "") -> None:
        governance.take_stance(self.session, proposal, self.users[username], stance, reason,
                               now=self.ago(days_ago))

    def propose_from_outside(self, project: Project, clone: Clone, username: str,
                             change: data.Change, target: str) -> Proposal:
        """What ``git push <url> HEAD:refs/for/<target>`` by someone who is
        not a member does (``commons.git.outside``): the commits land under
        a private ref, the proposal opens with the head commit's message as
        its title, and the commits move to ``refs/proposals/<n>/head``."""
        clone.start_branch(f"outside-{username}", base=target)
        clone.commit(change, self.people, self.now)
        incoming = f"refs/commons/incoming/demo-{username}"
        head = clone.push_to(incoming)
        proposed = governance.propose_from_outside(
            self.session, project, self.users[username], target, "", head, change.message,
            self.governance, now=self.ago(change.days_ago - 0.05))
        clone.push_to(governance.proposal_ref(proposed.proposal.number))
        clone.drop_ref(incoming)
        return proposed.proposal

    def decide(self, project: Project, days_ago: float) -> None:
        self.session.flush()
        governance.decide_due(self.session, self.governance, now=self.ago(days_ago),
                              project_id=project.id)

    def need(self, project: Project, actor: str, days_ago: float, **fields) -> int:
        form = ledger.NeedForm(**{"description": "", **fields})
        return ledger.record_need(self.session, project, self.users[actor], form,
                                  now=self.ago(days_ago)).number

    def work(self, project: Project, username: str, days_ago: float, hours: str,
             category: str, description: str) -> None:
        ledger.log_work(self.session, project, self.users[username], hours, category,
                        description, worked_on=self.day(days_ago), now=self.ago(days_ago))

    def credit(self, project: Project, actor: str, username: str, kind: str, evidence: str,
               note: str, days_ago: float) -> None:
        contributions.credit(self.session, project, self.users[actor], username, kind,
                             evidence, note, day=self.day(days_ago), now=self.ago(days_ago))

    # ------------------------------------------------------------ the story

    def solar_dryer(self) -> Project:
        """Hardware under review push: the default branch changes only by
        merge proposals. One merged, one blocked, one open; an input above
        the approval threshold approved by proposal."""
        project = self.create("ada", data.SOLAR_DRYER, 30, ["bruno", "chiara", "dmitri", "elif"],
                              approval_threshold=Threshold(Decimal("100"), "EUR"))
        clone = self.clone(project)

        clone.start_branch("frame")
        self.push(project, clone, "bruno", "frame", data.SOLAR_FRAME)
        frame = self.propose(project, "bruno", "merge", "Frame cut list and collector design",
                             "The cut list, how the collector works, and the building steps. "
                             "Enough to build the first prototype at the makerspace.",
                             {"branch": "frame"}, 21.9)
        self.stance(frame, "ada", "support", 21)
        self.stance(frame, "chiara", "support", 20.5)
        self.stance(frame, "elif", "abstain", 20)
        self.work(project, "chiara", 23, "6", "creative", "Drew the collector and cabinet in "
                  "FreeCAD and worked out the airflow.")
        self.work(project, "ada", 21, "1.5", "coordination", "Planned the build day; asked "
                  "the makerspace for bench space.")

        glazing = self.need(project, "ada", 20, title="Twin-wall polycarbonate sheet 10 mm",
                            kind="material", quantity="2", unit="m2", unit_cost="38.00",
                            currency="EUR", description="Glazing for the collector, UV "
                            "protected on one side.")
        mesh = self.need(project, "ada", 20, title="Stainless steel mesh, 1.5 mm aperture",
                         kind="material", quantity="4", unit="m2", unit_cost="30.00",
                         currency="EUR", description="Food-safe mesh for five trays. Above "
                         "our 100 EUR threshold, so the members decide.")
        bench = self.need(project, "ada", 20, title="Workshop bench space", kind="space",
                          quantity="6", unit="day", description="A bench at the makerspace "
                          "for the build days.")
        mesh_proposal = governance.open_input_proposal(self.session, project, mesh)
        assert mesh_proposal is not None  # the mesh costs more than the threshold
        self.stance(mesh_proposal, "dmitri", "support", 19)
        self.stance(mesh_proposal, "bruno", "support", 18.5)
        glazing_pledge = ledger.pledge(self.session, project, self.users["bruno"], glazing, "2",
                                       "From the builders' merchant near me.",
                                       now=self.ago(19.5))
        bench_pledge = ledger.pledge(self.session, project, self.users["elif"], bench, "6",
                                     "Thursdays and Saturdays at the makerspace.",
                                     now=self.ago(19))
        self.decide(project, 18)  # the frame merges
        self.decide(project, 16.5)  # the mesh is approved

        mesh_pledge = ledger.pledge(self.session, project, self.users["dmitri"], mesh, "4",
                                    now=self.ago(16))
        ledger.record_receipt(self.session, project, self.users["ada"], glazing, "2",
                              pledge_seq=glazing_pledge.seq, received_on=self.day(15),
                              evidence_url="https://example.org/receipts/polycarbonate-2m2.pdf",
                              now=self.ago(15))
        ledger.record_receipt(self.session, project, self.users["elif"], bench, "6", "elif",
                              pledge_seq=bench_pledge.seq, received_on=self.day(14),
                              evidence_url="https://example.org/makerspace/bookings/2024-solar",
                              now=self.ago(14))
        ledger.record_receipt(self.session, project, self.users["ada"], mesh, "4",
                              pledge_seq=mesh_pledge.seq, received_on=self.day(13),
                              evidence_url="https://example.org/receipts/mesh-invoice.pdf",
                              now=self.ago(13))
        merged = self.session.get_one(Proposal, frame.id).result["merge_commit"]
        ledger.record_consumption(self.session, project, self.users["chiara"], glazing, "1.5",
                                  "Glazed the first collector.", commit=merged,
                                  used_on=self.day(12), now=self.ago(12))
        self.work(project, "bruno", 12, "5", "routine", "Cut and glued the frame; glazed the "
                  "collector with Chiara.")
        self.work(project, "elif", 12, "2", "care", "Cleaned the workshop after the glazing "
                  "day: swarf, offcuts, the floor.")
        self.work(project, "elif", 11, "1.5", "care", "Cooked lunch for the build day.")
        self.work(project, "dmitri", 11, "3", "routine", "Measured temperatures in the "
                  "cabinet every hour over a sunny day.")

        clone.start_branch("fan-12v")
        self.push(project, clone, "dmitri", "fan-12v", data.SOLAR_FAN)
        fan = self.propose(project, "dmitri", "merge", "Optional 12 V fan for humid days",
                           "My measurements: on humid days the cabinet stays below 40 °C and "
                           "apples take two days. A small fan would help.",
                           {"branch": "fan-12v"}, 9.9)
        self.stance(fan, "elif", "object", 9, "A fan needs a panel and a battery we have not "
                    "budgeted, and the passive design already dries 2 kg a sunny day. Let us "
                    "measure a whole humid week before we add electronics.")
        self.stance(fan, "bruno", "support", 8.5)
        self.decide(project, 6)  # blocked by Elif's objection

        clone.start_branch("tray-mesh")
        self.push(project, clone, "chiara", "tray-mesh", data.SOLAR_TRAYS)
        trays = self.propose(project, "chiara", "merge", "Trays from stainless mesh",
                             "Five trays in hardwood frames, with a drawing. Uses the mesh "
                             "the project approved.", {"branch": "tray-mesh"}, 0.2)
        self.stance(trays, "ada", "support", 0.1)

        # Still open: what the next build needs.
        thermometers = self.need(
            project, "dmitri", 3, title="Digital thermometer with probe", kind="equipment",
            quantity="2", unit="piece", unit_cost="12.00", currency="EUR",
            description="One in the cabinet, one at the top vent, to log a humid week.")
        ledger.pledge(self.session, project, self.users["bruno"], thermometers, "1",
                      "I have a spare one at home.", now=self.ago(2.5))
        self.need(project, "chiara", 2, title="Hardwood strip 20 x 20 mm", kind="material",
                  quantity="12", unit="m", unit_cost="1.80", currency="EUR",
                  description="Frames for the five trays (trays/README.md).")
        self.propose_from_outside(project, clone, "gus", data.SOLAR_OUTSIDE, "main")

        self.credit(project, "ada", "chiara", "design", self.url(project, "/tree/main/design"),
                    "The collector design and the FreeCAD model.", 20)
        self.credit(project, "ada", "elif", "eventOrganizing",
                    "https://example.org/makerspace/events/solar-dryer-build-day",
                    "Organised the build day at the makerspace.", 12)
        self.credit(project, "bruno", "dmitri", "research",
                    self.url(project, f"/proposals/{fan.number}"),
                    "A day of hourly temperature measurements.", 11)
        self.session.commit()
        return project

    def seed_library(self) -> Project:
        """Software under direct push: members push the default branch.
        A policy change passed, a decision passed, one blocked, a merge open."""
        project = self.create("farah", data.SEED_LIBRARY, 28, ["gus", "elif", "bruno"],
                              push="direct",
                              approval_threshold=Threshold(Decimal("250"), "EUR"))
        clone = self.clone(project)
        clone.start_branch("main")
        for pusher, changes in data.SEED_MAIN[:1]:
            self.push(project, clone, pusher, "main", changes)

        window = self.propose(project, "farah", "policy", "Five days to review",
                              "Most of us look in once a week, on the library's open day; "
                              "three days is too short for that.",
                              {"review_window": 5 * 86400}, 25)
        self.stance(window, "gus", "support", 24)
        self.stance(window, "elif", "support", 23)
        self.decide(project, 21.5)  # the policy changes: five-day windows from now on

        for pusher, changes in data.SEED_MAIN[1:2]:
            self.push(project, clone, pusher, "main", changes)
        swap = self.propose(project, "elif", "decision", "Seed swap on the first Saturday "
                            "of March", "At the library, 10:00 to 14:00. Bring saved seed in "
                            "labelled envelopes; we bring tea.", {}, 15)
        self.stance(swap, "farah", "support", 14)
        self.stance(swap, "gus", "support", 13)
        accounts_only = self.propose(project, "gus", "decision", "Require an account to borrow "
                                     "seeds", "One login per borrower would let us send "
                                     "reminders to bring seed back.", {}, 14.5)
        self.stance(accounts_only, "farah", "object", 13, "Half of our borrowers come to the "
                    "desk without a phone or an email address. An account requirement would "
                    "shut them out; keep the paper loan card and add reminders for those who "
                    "want them.")
        self.stance(accounts_only, "bruno", "support", 12)
        self.decide(project, 8)  # the swap day passes, the account rule is blocked

        # The journal in the order things happened.
        self.work(project, "gus", 26, "5", "routine", "Typed in the 2023 paper catalogue.")
        self.work(project, "elif", 20, "2.5", "creative", "Designed the envelope label.")
        envelopes = self.need(project, "farah", 18, title="Glassine seed envelopes",
                              kind="material", quantity="500", unit="piece", unit_cost="0.06",
                              currency="EUR", needed_by=self.day(-30),
                              description="95 x 150 mm, for the returns after the harvest.")
        booklet = self.need(project, "farah", 17, title="Printing the catalogue booklet",
                            kind="money", quantity="90", unit="EUR",
                            description="200 copies, A5, black and white.")
        self.need(project, "gus", 16, title="Raspberry Pi 4 for the catalogue kiosk",
                  kind="equipment", quantity="1", unit="piece", unit_cost="75.00",
                  currency="EUR", description="So borrowers can search the catalogue at "
                  "the desk.")
        envelope_pledge = ledger.pledge(self.session, project, self.users["gus"], envelopes,
                                        "500", now=self.ago(16))
        self.work(project, "farah", 15.9, "2", "coordination", "Ran the swap-day planning "
                  "call.")
        money_pledge = ledger.pledge(self.session, project, self.users["bruno"], booklet, "40",
                                     "From the squash sale.", now=self.ago(15))
        ledger.pledge(self.session, project, self.users["farah"], booklet, "30", now=self.ago(15))
        ledger.record_receipt(self.session, project, self.users["farah"], envelopes, "500",
                              pledge_seq=envelope_pledge.seq, received_on=self.day(10),
                              evidence_url="https://example.org/receipts/glassine-500.jpg",
                              now=self.ago(10))
        ledger.record_receipt(self.session, project, self.users["farah"], booklet, "40",
                              pledge_seq=money_pledge.seq, received_on=self.day(9),
                              evidence_url="https://example.org/bank/transfer-0412.pdf",
                              now=self.ago(9))
        ledger.record_consumption(self.session, project, self.users["elif"], envelopes, "120",
                                  "Packed the tomato and bean returns.", used_on=self.day(5),
                                  now=self.ago(5))
        self.work(project, "elif", 5, "3", "care", "Sorted, dried and cleaned the returned "
                  "seed jars.")
        self.work(project, "bruno", 1.5, "2", "creative", "Laid out the Spanish labels.")

        for pusher, changes in data.SEED_MAIN[2:]:
            self.push(project, clone, pusher, "main", changes)
        clone.start_branch("labels-es")
        self.push(project, clone, "bruno", "labels-es", data.SEED_SPANISH)
        spanish = self.propose(project, "bruno", "merge", "Spanish envelope labels",
                               "Many of our borrowers read Spanish first.",
                               {"branch": "labels-es"}, 0.1)
        self.stance(spanish, "elif", "support", 0.05)

        self.credit(project, "farah", "bruno", "translation",
                    self.url(project, "/tree/labels-es/labels"), "Spanish labels.", 1)
        self.credit(project, "farah", "gus", "data",
                    self.url(project, "/blob/main/catalogue/varieties.csv"),
                    "Typed in the paper catalogue.", 26)
        self.session.commit()
        return project

    def load(self) -> Summary:
        self.register_people()
        loaded = [self.solar_dryer(), self.seed_library()]
        summary = Summary(people=[p.username for p in data.PEOPLE],
                          projects=[p.slug for p in loaded])
        for status, count in self.session.execute(
                sa.select(Proposal.status, sa.func.count()).group_by(Proposal.status)):
            summary.proposals[status] = count
        return summary

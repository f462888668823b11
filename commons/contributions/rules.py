"""Pure rules of the contributor records: who a commit identity is (the
repository's .mailmap, then a person's email addresses), what a commit
counts for, and how one person's record is put together and ordered.

No Flask and no database here; services hand in plain values."""

import re
from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal

# The All Contributors kinds (https://allcontributors.org/docs/en/emoji-key),
# with their names there, in that list's order. "code" comes from git and
# the proposals, but a member may still credit it (pair work, a patch sent
# by mail).
KINDS: dict[str, str] = {
    "audio": "Audio", "a11y": "Accessibility", "bug": "Bug reports", "blog": "Blog posts",
    "business": "Business development", "code": "Code", "content": "Content",
    "data": "Data", "doc": "Documentation", "design": "Design", "example": "Examples",
    "eventOrganizing": "Event organizing", "financial": "Financial",
    "fundingFinding": "Funding finding", "ideas": "Ideas and planning",
    "infra": "Infrastructure", "maintenance": "Maintenance", "mentoring": "Mentoring",
    "platform": "Packaging", "plugin": "Plugin", "projectManagement": "Project management",
    "promotion": "Promotion", "question": "Answering questions", "research": "Research",
    "review": "Reviewed pull requests", "security": "Security", "tool": "Tools",
    "translation": "Translation", "test": "Tests", "tutorial": "Tutorials", "talk": "Talks",
    "userTesting": "User testing", "video": "Videos",
}

PERIODS = {"all": None, "90d": 90}
SORTS = ("name", "commits", "lines", "proposals", "stances", "hours", "confirmed", "inputs",
         "kinds")
_ENTRY = re.compile(r"([^<>]*)<([^<>]*)>")


class RuleError(ValueError):
    def __init__(self, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.field = field


# ---------------------------------------------------------------- identities

@dataclass
class _Mapped:
    name: str | None = None
    email: str | None = None


@dataclass
class Mailmap:
    """A parsed .mailmap, as git reads one (gitmailmap(5)): emails match
    case-insensitively, and an entry naming the commit name as well as the
    commit email wins over one naming only the email."""

    by_email: dict[str, _Mapped] = field(default_factory=dict)
    by_name_email: dict[tuple[str, str], _Mapped] = field(default_factory=dict)

    @property
    def targets(self) -> set[str]:
        """The addresses it maps commits to."""
        return {mapped.email.lower()[:255] for mapped in
                [*self.by_email.values(), *self.by_name_email.values()] if mapped.email}

    @property
    def moves(self) -> set[tuple[str, str]]:
        """(commit address, address it maps to) for every line that moves
        commits from one address to another."""
        return {(source, mapped.email.lower()) for source, mapped in self._entries()
                if mapped.email and mapped.email.lower() != source}

    def _entries(self) -> list[tuple[str, _Mapped]]:
        return [*self.by_email.items(),
                *((key[1], mapped) for key, mapped in self.by_name_email.items())]

    def resolve(self, name: str, email: str) -> tuple[str, str]:
        """The canonical (name, email) of a commit identity."""
        key = email.strip().lower()
        mapped = self.by_name_email.get((name.strip().lower(), key)) or self.by_email.get(key)
        if mapped is None:
            return name, key
        return (mapped.name or name, (mapped.email or key).lower())


def parse_mailmap(text: str) -> Mailmap:
    """Read .mailmap lines: ``Proper <commit@x>``, ``<proper@x> <commit@x>``,
    ``Proper <proper@x> <commit@x>``, ``Proper <proper@x> Commit <commit@x>``.
    Comments start with #; lines git would not understand are skipped."""
    mailmap = Mailmap()
    for line in text.splitlines():
        if line.startswith("#"):  # only in the first column, as git reads it
            continue
        pairs = [(name.strip(), email.strip()) for name, email in _ENTRY.findall(line)[:2]]
        if not pairs or not pairs[0][1] and len(pairs) == 1:
            continue
        (new_name, new_email), old = pairs[0], pairs[1] if len(pairs) == 2 else None
        if old is None:
            # "Proper <commit@x>": the email is the key; only the name changes.
            target = mailmap.by_email.setdefault(new_email.lower(), _Mapped())
            target.name = new_name or target.name
            continue
        old_name, old_email = old
        if not old_email:
            continue
        if old_name:
            target = mailmap.by_name_email.setdefault((old_name.lower(), old_email.lower()),
                                                      _Mapped())
        else:
            target = mailmap.by_email.setdefault(old_email.lower(), _Mapped())
        target.name = new_name or target.name
        target.email = new_email or target.email
    return mailmap


def trusted_mailmap(mailmap: Mailmap, owners: Mapping[str, int],
                    approved: Collection[tuple[str, str]] = ()) -> Mailmap:
    """The part of *mailmap* that may move commits between people's records.

    Anyone who can change the default branch can write a .mailmap, so a
    line moving commits from one address to another is followed only when
    the account the commits would go to holds the commit address too
    (*owners*: address -> account; holding an address is how an account
    confirms it), or when the line (commit address, new address) is in
    *approved*: it reached the default branch by a passed merge proposal on
    which the people it moves were affected parties. Any other line changes
    the name shown and nothing else."""
    approved = {(source.lower(), target.lower()) for source, target in approved}

    def keep(source: str, mapped: _Mapped) -> _Mapped:
        target = (mapped.email or "").lower()
        if not target or target == source or (source, target) in approved:
            return mapped
        owner = owners.get(source)
        if owner is not None and owner == owners.get(target):
            return mapped
        return _Mapped(name=mapped.name)

    return Mailmap(
        by_email={source: keep(source, mapped) for source, mapped in mailmap.by_email.items()},
        by_name_email={key: keep(key[1], mapped)
                       for key, mapped in mailmap.by_name_email.items()})


_ADDRESS = re.compile(r"[^\s<>@()\[\],;\"']+@[^\s<>@()\[\],;\"']+")
# Bidirectional controls and other invisible format characters can make a
# name read as something it is not; control characters have no place in one.
_HIDDEN = re.compile("[\u0000-\u001f\u007f-\u009f\u200b-\u200f\u202a-\u202e\u2060-\u2069\ufeff]")


def display_name(name: str) -> str:
    """A commit identity's name as shown: an address used as a name is
    masked like any address, and hidden characters are dropped."""
    name = _HIDDEN.sub("", name).strip()
    return _ADDRESS.sub(lambda match: mask_email(match.group()), name) or "(no name)"


def mask_email(email: str) -> str:
    """Enough of an address to tell two identities apart, not to write to
    it: "a…@example.org"."""
    local, at, domain = email.partition("@")
    if not at:
        return "…"
    return f"{local[:1]}…@{domain}"


# ---------------------------------------------------------------- commits

@dataclass(frozen=True)
class CommitCredit:
    """What one commit counts for one identity."""

    name: str
    email: str
    day: date
    at: datetime
    authored: int
    co_authored: int
    lines_added: int
    lines_removed: int


def credits(author_name: str, author_email: str, authored_at: datetime, parent_count: int,
            co_authors: Iterable[Mapping[str, object]], lines_added: int, lines_removed: int,
            owners: dict[str, int] | None = None) -> list[CommitCredit]:
    """The author and each co-author named in a Co-authored-by: trailer
    share the commit's lines. A merge commit credits nobody: what it
    brings was credited on its own commits, and who merged shows in the
    proposals. A co-author who is the author, or an earlier co-author, by
    address or by account (*owners*: address -> account), is not credited
    again."""
    owners = owners or {}
    if parent_count > 1:
        return []
    day = authored_at.date()
    email = author_email.lower()
    result = [CommitCredit(author_name, email, day, authored_at, 1, 0, lines_added, lines_removed)]
    seen = {email, owners.get(email)} - {None}
    for co in co_authors:
        co_email = str(co.get("email", "")).lower()
        if not co_email or co_email in seen or owners.get(co_email) in seen:
            continue
        seen |= {co_email, owners.get(co_email)} - {None}
        result.append(CommitCredit(str(co.get("name", "")), co_email, day, authored_at, 0, 1,
                                   lines_added, lines_removed))
    return result


@dataclass
class GitTally:
    commits: int = 0
    co_authored: int = 0
    lines_added: int = 0
    lines_removed: int = 0
    first_at: datetime | None = None
    last_at: datetime | None = None

    def add(self, commits: int, co_authored: int, added: int, removed: int,
            first_at: datetime | None, last_at: datetime | None) -> None:
        self.commits += commits
        self.co_authored += co_authored
        self.lines_added += added
        self.lines_removed += removed
        if first_at is not None and (self.first_at is None or first_at < self.first_at):
            self.first_at = first_at
        if last_at is not None and (self.last_at is None or last_at > self.last_at):
            self.last_at = last_at


def tally_credits(commit_credits: Iterable[CommitCredit], by_day: bool
                  ) -> dict[tuple[date | str, ...], GitTally]:
    """Sum credits per (email, name), or per (day, email, name)."""
    tallies: dict[tuple[date | str, ...], GitTally] = {}
    for credit in commit_credits:
        key = (credit.day, credit.email, credit.name) if by_day else (credit.email, credit.name)
        tallies.setdefault(key, GitTally()).add(credit.authored, credit.co_authored,
                                               credit.lines_added, credit.lines_removed,
                                               credit.at, credit.at)
    return tallies


# ---------------------------------------------------------------- records

def period_start(period: str, today: date) -> date | None:
    """The first day a period covers; None for all time."""
    if period not in PERIODS:
        raise RuleError("period is all or 90d.", "period")
    days = PERIODS[period]
    return None if days is None else today - timedelta(days=days - 1)


@dataclass
class Record:
    """One person's contributions to one project, every dimension apart.
    *username* is empty for a commit identity with no account."""

    key: str
    name: str
    username: str | None = None
    masked_email: str | None = None
    git: GitTally = field(default_factory=GitTally)
    proposals_opened: int = 0
    merges_proposed: int = 0
    merges_merged: int = 0
    stances: int = 0
    objections: int = 0
    reviews: int = 0
    hours: dict[str, Decimal] = field(default_factory=dict)
    # The part of *hours* another member confirmed (issue 20), per category.
    confirmed_hours: dict[str, Decimal] = field(default_factory=dict)
    pledges: int = 0
    pledged: dict[str, Decimal] = field(default_factory=dict)
    pledged_value: dict[str, Decimal] = field(default_factory=dict)
    deliveries: int = 0
    delivered: dict[str, Decimal] = field(default_factory=dict)
    delivered_value: dict[str, Decimal] = field(default_factory=dict)
    kinds: dict[str, int] = field(default_factory=dict)

    @property
    def total_hours(self) -> Decimal:
        return sum(self.hours.values(), Decimal(0))

    @property
    def total_confirmed(self) -> Decimal:
        """Hours another member of the project confirmed."""
        return sum(self.confirmed_hours.values(), Decimal(0))

    @property
    def total_unconfirmed(self) -> Decimal:
        """Hours nobody confirmed yet: the worker's word alone."""
        return self.total_hours - self.total_confirmed

    @property
    def lines(self) -> int:
        return self.git.lines_added + self.git.lines_removed

    def add_hours(self, category: str, hours: Decimal) -> None:
        self.hours[category] = self.hours.get(category, Decimal(0)) + hours

    def add_input(self, what: str, unit: str, quantity: Decimal, unit_cost: Decimal | None,
                  currency: str | None) -> None:
        """Count a pledge (*what* "pledged") or a delivery ("delivered"), per
        unit and, where the need has an estimate, its value per currency."""
        amounts, values = getattr(self, what), getattr(self, f"{what}_value")
        amounts[unit] = amounts.get(unit, Decimal(0)) + quantity
        if unit_cost is not None and currency:
            values[currency] = values.get(currency, Decimal(0)) + quantity * unit_cost

    def sort_value(self, sort: str) -> str | int | Decimal:
        values: dict[str, str | int | Decimal] = {
            "name": self.name.casefold(),
            "commits": self.git.commits + self.git.co_authored,
            "lines": self.lines,
            "proposals": self.proposals_opened,
            "stances": self.stances,
            "hours": self.total_hours,
            "confirmed": self.total_confirmed,
            "inputs": self.pledges + self.deliveries,
            "kinds": sum(self.kinds.values()),
        }
        return values[sort]

    @property
    def is_empty(self) -> bool:
        return not (self.git.commits or self.git.co_authored or self.proposals_opened
                    or self.stances or self.total_hours or self.pledges or self.deliveries
                    or self.kinds)


def ordered(records: Iterable[Record], sort: str, descending: bool) -> list[Record]:
    """Records ordered by one dimension; ties by name, so the order is
    stable between requests."""
    if sort not in SORTS:
        raise RuleError(f"sort is one of: {', '.join(SORTS)}.", "sort")
    by_name = sorted(records, key=lambda record: (record.name.casefold(), record.key))
    return sorted(by_name, key=lambda record: record.sort_value(sort), reverse=descending)


def amounts_text(amounts: dict[str, Decimal]) -> str:
    """"5 kg, 2 piece" — each unit on its own; units never add up."""
    return ", ".join(f"{_plain(value)} {unit}" for unit, value in sorted(amounts.items()))


def _plain(value: Decimal) -> str:
    """Without trailing zeros: 1.50 h reads 1.5, 20 kg reads 20."""
    return format(value.normalize(), "f")


def contributors_markdown(project_name: str, records: Iterable[Record], base_url: str,
                          categories: dict[str, str]) -> str:
    """CONTRIBUTORS.md: everyone with what they gave, in words; no ranking
    (alphabetical), no score."""
    lines = [f"# Contributors to {_markdown_text(project_name)}", "",
             "Generated by commons from the project's repository, decisions and inputs "
             "ledger. Everyone who contributed, alphabetically; each line says what "
             "they gave.", ""]
    for record in ordered(records, "name", False):
        parts = []
        if record.git.commits or record.git.co_authored:
            commits = f"{record.git.commits} commit{'s' * (record.git.commits != 1)}"
            if record.git.co_authored:
                commits += f" and {record.git.co_authored} co-authored"
            parts.append(commits)
        if record.proposals_opened:
            parts.append(f"{record.proposals_opened} proposal"
                         f"{'s' * (record.proposals_opened != 1)} opened")
        if record.stances:
            parts.append(f"{record.stances} stance{'s' * (record.stances != 1)} taken")
        for category, hours in sorted(record.hours.items()):
            parts.append(f"{_plain(hours)} h of {categories.get(category, category).lower()}")
        if record.pledged:
            parts.append(f"pledged {amounts_text(record.pledged)}")
        if record.delivered:
            parts.append(f"delivered {amounts_text(record.delivered)}")
        for kind, count in sorted(record.kinds.items()):
            parts.append(KINDS.get(kind, kind).lower() + (f" ×{count}" if count > 1 else ""))
        who = _markdown_text(record.name)
        if record.username:
            who = f"[{who}]({base_url}/users/{record.username})"
        lines.append(f"- {who}: {'; '.join(parts) or 'contributed'}")
    return "\n".join(lines) + "\n"


def _markdown_text(text: str) -> str:
    """A name as literal Markdown text: no links, emphasis or HTML from it."""
    return re.sub(r"([\\`*_{}\[\]()#+\-.!<>|~])", r"\\\1", text)

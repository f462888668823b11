"""The one path by which moved refs become push records: git's reflogs,
read back and compared with the pushes table.

Every ref write (a push through receive-pack, a decision's merge or licence
commit, a proposal's pinned head) runs with ``core.logAllRefUpdates=always``
and the mover's identity in git's committer environment
(``commons.git.repositories.mover_env``), so git itself writes who moved what
in the same ref transaction, before it reports success. A deleted ref loses
its reflog, so the ``reference-transaction`` hook keeps a copy of it and
journals the deletion (``commons-deleted-refs`` in the repository) before
git deletes.

``reconcile`` records each group of entries (one push) that has no record
yet, exactly once (a unique key per group), indexes the commits, and tells
the other domains the refs moved. It runs after each push and each decision,
periodically for every project, and when a worker starts; whatever died in
between (the web worker, the database, the host) it catches up on the next
run."""

import hashlib
import logging
import re
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from commons.accounts.models import User
from commons.git import runner
from commons.git.models import Push, PushedRef, ReflogWatermark
from commons.git.pushes import finish_push, lock_for_indexing
from commons.git.repositories import MOVER_DOMAIN, keep_reflogs
from commons.projects.models import Project

log = logging.getLogger(__name__)

# The refs whose moves are pushes: branches, tags, and the heads pinned by
# proposals from outside. refs/commons/ (incoming pushes, pins) is the
# platform's bookkeeping.
WATCHED = ("refs/heads/", "refs/tags/", "refs/proposals/")
DELETIONS = "commons-deleted-refs"
ZEROS = "0" * 40
_MOVER = re.compile(r"^(\d+|platform)\.([0-9a-f]{8,40})@" + re.escape(MOVER_DOMAIN) + "$")
_ENTRY = re.compile(r"^([0-9a-f]{40,64}) ([0-9a-f]{40,64}) (.*) <([^<>]*)> (\d+) [-+]\d{4}(?:\t|$)")


@dataclass(frozen=True)
class Move:
    """One reflog entry (or journalled deletion) of a watched ref."""

    ref: str
    old: str
    new: str
    time: int      # git's timestamp, seconds since the epoch
    key: str       # the push it belongs to
    user_id: int | None
    known_mover: bool  # written by commons (False: someone on the server)
    seq: int = 0   # its place in the ref's reflog: orders moves in the same second


@dataclass
class MoveGroup:
    key: str
    user_id: int | None
    known_mover: bool
    time: int
    seq: int
    moves: list[Move] = field(default_factory=list)


def parse_entry(ref: str, line: str, seq: int = 0) -> Move | None:
    """A reflog line of *ref*, or None when it is not one."""
    match = _ENTRY.match(line)
    if match is None:
        return None
    old, new, _name, email, stamp = match.groups()
    return _move(ref, old, new, email, int(stamp), line, seq)


def _move(ref: str, old: str, new: str, email: str, time: int, line: str,
          seq: int = 0) -> Move:
    mover = _MOVER.match(email.strip().lower())
    if mover is None:
        # Moved on the server without commons (an administrator's push, a
        # restore): its own record, keyed by the entry itself.
        key = "x" + hashlib.sha1(f"{ref}\n{line}".encode()).hexdigest()[:39]
        return Move(ref, old, new, time, key, None, False, seq)
    who, nonce = mover.groups()
    return Move(ref, old, new, time, nonce, None if who == "platform" else int(who), True, seq)


def read_moves(path: Path, since: int | None) -> list[Move]:
    """Every reflog entry of a watched ref stamped at *since* or later."""
    logs = path / "logs"
    moves = []
    for top in WATCHED:
        base = logs / top
        if not base.is_dir():
            continue
        for file in sorted(base.rglob("*")):
            if not file.is_file():
                continue
            ref = file.relative_to(logs).as_posix()
            try:
                text = file.read_text("utf-8", "replace")
            except OSError:
                continue  # deleted meanwhile: its deletion is journalled
            for seq, line in enumerate(text.splitlines()):
                move = parse_entry(ref, line, seq)
                if move is not None and (since is None or move.time >= since):
                    moves.append(move)
    return moves


def read_journal(path: Path, since: int | None) -> tuple[list[Move], list[Move]]:
    """What the reference-transaction hook kept before each deletion: the
    deleted refs' reflog entries ("R<TAB>ref<TAB>entry"), and the deletions
    ("D<TAB>old new ref<TAB>email<TAB>seconds"), stamped at *since* or later."""
    try:
        text = (path / DELETIONS).read_text("utf-8", "replace")
    except FileNotFoundError:
        return [], []
    saved, deletions = [], []
    for seq, line in enumerate(text.splitlines()):
        kind, _, rest = line.partition("\t")
        if kind == "R":
            ref, _, entry = rest.partition("\t")
            move = parse_entry(ref, entry, seq)
            if move is not None and ref.startswith(WATCHED) and (since is None or
                                                                 move.time >= since):
                saved.append(move)
            continue
        parts = rest.split("\t")
        if kind != "D" or len(parts) != 3 or not parts[2].isdigit():
            continue
        old, new, ref = (parts[0].split(" ") + ["", "", ""])[:3]
        if not ref.startswith(WATCHED) or set(new) != {"0"}:
            continue
        time = int(parts[2])
        if since is None or time >= since:
            deletions.append(_move(ref, old, new, parts[1], time, rest, 1 << 30))
    return saved, deletions


def deletion_landed(path: Path, move: Move) -> bool | None:
    """Whether a journalled deletion happened: the ref is gone, or was made
    anew after it. None while that cannot be told (git may still be at it,
    or it was refused and the ref lives on)."""
    if runner.run(path, "rev-parse", "--verify", "--quiet", move.ref, ok=None).returncode != 0:
        return True
    try:
        first = (path / "logs" / move.ref).read_text("utf-8", "replace").splitlines()[:1]
    except OSError:
        return None
    entry = parse_entry(move.ref, first[0]) if first else None
    if entry is not None and set(entry.old) == {"0"} and entry.time >= move.time:
        return True
    return None


def group_moves(moves: list[Move]) -> list[MoveGroup]:
    """The moves of each push together, oldest push first."""
    groups: dict[str, MoveGroup] = {}
    seen: set[tuple[str, str, str, int, str]] = set()
    for move in moves:
        if (same := (move.ref, move.old, move.new, move.time, move.key)) in seen:
            continue  # a reflog entry kept by the hook and still in the reflog
        seen.add(same)
        group = groups.setdefault(move.key, MoveGroup(move.key, move.user_id, move.known_mover,
                                                      move.time, move.seq))
        group.time, group.seq = min(group.time, move.time), min(group.seq, move.seq)
        group.moves.append(move)
    # In the same second, a ref's reflog says which move came first.
    return sorted(groups.values(), key=lambda g: (g.time, g.seq, g.key))


@dataclass
class Reconciled:
    recorded: int = 0     # push records made by this run
    finished: int = 0     # pushes indexed and announced by this run
    failed: int = 0       # pushes whose indexing failed (tried again next run)


def reconcile(session: Session, project_id: int, path: Path, now: datetime, *,
              slack: int, wall: float) -> Reconciled:
    """Record every push of project *project_id* that git's reflogs show and
    the pushes table lacks, then index and announce every push not yet
    indexed. Exactly once per push however often, or however concurrently,
    it runs. *wall* is the time as git stamps it (seconds); a deletion
    journalled within *slack* seconds whose fate git cannot tell yet waits
    for the next run. Commits."""
    result = Reconciled()
    if session.get(Project, project_id) is None or not path.is_dir():
        return result
    keep_reflogs(path)
    lock_for_indexing(session, project_id)  # one reconciler at a time per project
    mark = session.get(ReflogWatermark, project_id)
    since = mark.seen_through - slack if mark is not None else None
    moves = read_moves(path, since)
    saved, deletions = read_journal(path, since)
    moves += saved  # the reflogs of refs deleted since
    waiting: int | None = None
    for deletion in deletions:
        landed = deletion_landed(path, deletion)
        if landed:
            moves.append(deletion)
        elif wall - deletion.time < slack:
            waiting = deletion.time if waiting is None else min(waiting, deletion.time)
    groups = group_moves(moves)
    known = _known_keys(session, project_id, [group.key for group in groups])
    outside = {(m.ref, m.old, m.new) for g in groups if not g.known_mover for m in g.moves}
    already = _recorded_moves(session, project_id, outside)
    for group in groups:
        if group.key in known:
            continue
        if not group.known_mover and all((m.ref, m.old, m.new) in already for m in group.moves):
            continue  # recorded by hand already (the demo, tests' direct pushes)
        user = session.get(User, group.user_id) if group.user_id is not None else None
        push = Push(project_id=project_id, user=user, reflog_key=group.key,
                    pushed_at=datetime.fromtimestamp(group.time, UTC))
        push.ref_updates = [PushedRef(ref=m.ref, old_sha=m.old, new_sha=m.new)
                            for m in sorted(group.moves, key=lambda m: (m.ref, m.time))]
        session.add(push)
        result.recorded += 1
    if moves:
        through = max(move.time for move in moves)
        if waiting is not None:
            through = min(through, waiting - 1)
        if mark is None:
            session.add(ReflogWatermark(project_id=project_id, seen_through=through))
        elif through > mark.seen_through:
            mark.seen_through = through
    try:
        session.commit()  # the records stand before anything else is tried
    except IntegrityError:
        # Another reconciler recorded these meanwhile (it holds the lock
        # only where the database has row locks); it finishes them too.
        session.rollback()
        result.recorded = 0
        return result
    for push_id in session.scalars(sa.select(Push.id).where(
            Push.project_id == project_id, Push.indexed_at.is_(None)).order_by(Push.id)).all():
        try:
            if finish_push(session, push_id, path, now):
                result.finished += 1
        except Exception:
            session.rollback()
            result.failed += 1
            log.exception("push %s of project %s could not be indexed; the next "
                          "reconciliation tries again", push_id, project_id)
    return result


def _known_keys(session: Session, project_id: int, keys: list[str]) -> set[str]:
    known: set[str] = set()
    for start in range(0, len(keys), 500):
        known.update(session.scalars(sa.select(Push.reflog_key).where(
            Push.project_id == project_id, Push.reflog_key.in_(keys[start:start + 500]))))
    return known


def _recorded_moves(session: Session, project_id: int,
                    moves: set[tuple[str, str, str]]) -> set[tuple[str, str, str]]:
    """Which of *moves* (ref, old, new) a push record of the project has."""
    if not moves:
        return set()
    refs = sorted({ref for ref, _, _ in moves})
    rows = session.execute(sa.select(PushedRef.ref, PushedRef.old_sha, PushedRef.new_sha)
                           .join(Push).where(Push.project_id == project_id,
                                             PushedRef.ref.in_(refs)))
    return {(ref, old, new) for ref, old, new in rows} & moves

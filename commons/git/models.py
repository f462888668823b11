"""What git hosting records: accepted pushes, their ref updates, and each
commit indexed once per project."""

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from commons.accounts.models import User
from commons.extensions import db
from commons.types import UTCDateTime


class Push(db.Model):
    __tablename__ = "pushes"
    # One record per group of reflog entries (commons.git.reconcile), however
    # often or concurrently the reconciler runs. NULL for records made
    # without a reflog (the demo, tests); NULLs never collide.
    __table_args__ = (sa.UniqueConstraint("project_id", "reflog_key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    project_id: Mapped[int] = mapped_column(
        sa.ForeignKey("projects.id", ondelete="CASCADE"), index=True)
    user_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))
    pushed_at: Mapped[datetime] = mapped_column(UTCDateTime)
    # Set once the commits the push brought are indexed; empty while that
    # runs, or if it failed (the next push that builds on them indexes them).
    indexed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # The nonce the reflog entries of this push share (or a digest of the
    # entry, for a ref moved outside the platform).
    reflog_key: Mapped[str | None] = mapped_column(sa.String(64))

    user: Mapped[User | None] = relationship()
    ref_updates: Mapped[list["PushedRef"]] = relationship(
        back_populates="push", order_by="PushedRef.id", cascade="all, delete-orphan")
    commits: Mapped[list["PushCommit"]] = relationship(
        order_by="PushCommit.id", cascade="all, delete-orphan")


class ReflogWatermark(db.Model):
    """How far the reconciler has read a project's reflogs: git's own
    timestamp (seconds) of the newest entry recorded. It rereads from a
    little before it (COMMONS_GIT_RECONCILE_SLACK)."""

    __tablename__ = "reflog_watermarks"

    project_id: Mapped[int] = mapped_column(
        sa.ForeignKey("projects.id", ondelete="CASCADE"), primary_key=True)
    seen_through: Mapped[int] = mapped_column(sa.BigInteger)


class PushedRef(db.Model):
    """One ref a push moved: created (old is zeros), updated or deleted (new
    is zeros)."""

    __tablename__ = "pushed_refs"

    id: Mapped[int] = mapped_column(primary_key=True)
    push_id: Mapped[int] = mapped_column(sa.ForeignKey("pushes.id", ondelete="CASCADE"), index=True)
    ref: Mapped[str] = mapped_column(sa.Text)
    old_sha: Mapped[str] = mapped_column(sa.String(64))
    new_sha: Mapped[str] = mapped_column(sa.String(64))

    push: Mapped[Push] = relationship(back_populates="ref_updates")


class PushCommit(db.Model):
    """A commit a push brought that the project had not seen before."""

    __tablename__ = "push_commits"

    id: Mapped[int] = mapped_column(primary_key=True)
    push_id: Mapped[int] = mapped_column(sa.ForeignKey("pushes.id", ondelete="CASCADE"), index=True)
    sha: Mapped[str] = mapped_column(sa.String(64))


class Commit(db.Model):
    """A commit of a project's repository, indexed once, for the contributor
    records."""

    __tablename__ = "commits"
    __table_args__ = (sa.UniqueConstraint("project_id", "sha"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    project_id: Mapped[int] = mapped_column(
        sa.ForeignKey("projects.id", ondelete="CASCADE"), index=True)
    sha: Mapped[str] = mapped_column(sa.String(64))
    author_name: Mapped[str] = mapped_column(sa.String(255))
    author_email: Mapped[str] = mapped_column(sa.String(255), index=True)
    authored_at: Mapped[datetime] = mapped_column(UTCDateTime)
    committer_name: Mapped[str] = mapped_column(sa.String(255))
    committer_email: Mapped[str] = mapped_column(sa.String(255))
    committed_at: Mapped[datetime] = mapped_column(UTCDateTime)
    summary: Mapped[str] = mapped_column(sa.String(255))
    parent_count: Mapped[int] = mapped_column(sa.Integer)
    # [{"name": ..., "email": ...}] from Co-authored-by: trailers.
    co_authors: Mapped[list] = mapped_column(sa.JSON, default=list)
    files_changed: Mapped[int] = mapped_column(sa.Integer)
    lines_added: Mapped[int] = mapped_column(sa.Integer)
    lines_removed: Mapped[int] = mapped_column(sa.Integer)


class IndexedTip(db.Model):
    """A commit whose every ancestor is indexed: the boundary that keeps
    indexing proportional to what is new."""

    __tablename__ = "indexed_tips"
    __table_args__ = (sa.UniqueConstraint("project_id", "sha"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    project_id: Mapped[int] = mapped_column(
        sa.ForeignKey("projects.id", ondelete="CASCADE"), index=True)
    sha: Mapped[str] = mapped_column(sa.String(64))


class PathIndexLine(db.Model):
    """The first-parent line of a project's default branch as indexed for
    a path's history, from its root commit up to *tip*: *length* commits.
    One per project; a moved branch is appended to, a rewritten one
    indexed anew."""

    __tablename__ = "path_index_lines"
    # A line indexed anew never takes the id of the one it replaces, so a
    # job still writing the old one finds it gone (SQLite reuses row ids).
    __table_args__ = {"sqlite_autoincrement": True}

    id: Mapped[int] = mapped_column(primary_key=True)
    project_id: Mapped[int] = mapped_column(
        sa.ForeignKey("projects.id", ondelete="CASCADE"), unique=True)
    branch: Mapped[str] = mapped_column(sa.String(255))
    tip: Mapped[str | None] = mapped_column(sa.String(64))  # None: nothing indexed yet
    length: Mapped[int] = mapped_column(sa.Integer)


class PathIndexCommit(db.Model):
    """A commit of an indexed line, by its place on it (0: the root)."""

    __tablename__ = "path_index_commits"
    __table_args__ = (sa.Index("ix_path_index_commits_sha", "line_id", "sha", unique=True),)

    line_id: Mapped[int] = mapped_column(
        sa.ForeignKey("path_index_lines.id", ondelete="CASCADE"), primary_key=True)
    position: Mapped[int] = mapped_column(sa.Integer, primary_key=True, autoincrement=False)
    sha: Mapped[str] = mapped_column(sa.String(64))


class PathIndexChange(db.Model):
    """A path (a file, or a folder holding a changed file) that the commit
    at *position* changed against its first parent."""

    __tablename__ = "path_index_changes"

    line_id: Mapped[int] = mapped_column(
        sa.ForeignKey("path_index_lines.id", ondelete="CASCADE"), primary_key=True)
    path: Mapped[str] = mapped_column(sa.Text, primary_key=True)
    position: Mapped[int] = mapped_column(sa.Integer, primary_key=True, autoincrement=False)

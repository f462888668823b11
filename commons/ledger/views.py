"""The ledger's pages: a project's ledger and chart, each input's history,
the journal, and the platform-wide needs board."""

from flask import Blueprint

bp = Blueprint("ledger", __name__)

"""Search across everything: projects, proposals, needs, people and code
(``/search?q=``). rules.py cleans queries and highlights (pure),
backends.py asks SQLite's FTS5 or PostgreSQL's tsvector, code.py runs
``git grep``, services.py puts them together for the page and the API."""

from flask import Blueprint

bp = Blueprint("search", __name__)

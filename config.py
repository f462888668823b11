"""Defaults for commons. Every value can be overridden by an environment
variable with the prefix ``COMMONS_`` (``COMMONS_REPOS_DIR=/srv/repos``).

``SQLALCHEMY_DATABASE_URI`` and ``REPOS_DIR`` are filled in by
``create_app()`` when left unset: a SQLite file in the instance folder and
``repos/`` beside this file.
"""

# Lazy consensus: how long a proposal stays open, in seconds.
MIN_REVIEW_WINDOW = 86400
DEFAULT_REVIEW_WINDOW = 259200

# The public address, written into merge commits ("Decided-by: <url>") by
# `governance tick`, which has no request to learn it from.
BASE_URL = None

# Inputs estimated above this need a passed `input` proposal.
DEFAULT_APPROVAL_THRESHOLD = {"amount": "0", "currency": "EUR"}

# How many days back a person may log their own hours; older work is
# recorded as a correction of the ledger.
WORK_MAX_DAYS_BACK = 60

# Evidence files for receipts, stored by their sha256 (EVIDENCE_DIR defaults
# to evidence/ in the instance folder), and the largest one accepted.
EVIDENCE_DIR = None
EVIDENCE_MAX_BYTES = 5 * 1024 * 1024

# Flask-Limiter: "memory://" for one process, "redis://127.0.0.1:6379" to
# share the count between gunicorn workers and machines.
RATELIMIT_STORAGE_URI = "memory://"
RATELIMIT_HEADERS_ENABLED = True
LOGIN_RATE_LIMIT = "10 per minute"
REGISTER_RATE_LIMIT = "20 per hour"

# CSRF tokens live as long as the session, so a form typed slowly still posts.
WTF_CSRF_TIME_LIMIT = None

# Behind a reverse proxy, trust its X-Forwarded-* headers, e.g.
# COMMONS_PROXY_FIX='{"x_for": 1, "x_proto": 1, "x_host": 1}'.
PROXY_FIX = None

# Behind TLS in production, also set COMMONS_SESSION_COOKIE_SECURE=true and
# COMMONS_REMEMBER_COOKIE_SECURE=true.
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
REMEMBER_COOKIE_HTTPONLY = True
REMEMBER_COOKIE_SAMESITE = "Lax"

# Requests larger than this are refused (pushes go through the git routes,
# which stream and are not bound by it).
MAX_CONTENT_LENGTH = 1 * 1024 * 1024
MAX_FORM_MEMORY_SIZE = 500 * 1024

SQLALCHEMY_ENGINE_OPTIONS = {"pool_pre_ping": True}

"""Defaults for commons. Every value can be overridden by an environment
variable with the prefix ``COMMONS_`` (``COMMONS_REPOS_DIR=/srv/repos``).

``SQLALCHEMY_DATABASE_URI`` and ``REPOS_DIR`` are filled in by
``create_app()`` when left unset: a SQLite file in the instance folder and
``repos/`` beside this file.
"""

# Lazy consensus: how long a proposal stays open, in seconds.
MIN_REVIEW_WINDOW = 86400
DEFAULT_REVIEW_WINDOW = 259200

# The public address (e.g. "https://commons.example.org"). Every absolute URL
# is built from it (clone URLs, API links, feeds, merge commits' "Decided-by:"),
# never from a request's Host header, which the sender chooses. Unset: the
# `make run` address, http://127.0.0.1:5000 (see commons/urls.py).
BASE_URL = None

# Who commits what a decision changes (merge and licence commits): the
# platform. The author of such a commit is the proposal's author (see
# README, "Who a merge is credited to").
COMMITTER_NAME = "commons"
COMMITTER_EMAIL = "noreply@commons.invalid"

# Inputs estimated above this need a passed `input` proposal.
DEFAULT_APPROVAL_THRESHOLD = {"amount": "0", "currency": "EUR"}

# How many days back a person may log their own hours; older work is
# recorded as a correction of the ledger.
WORK_MAX_DAYS_BACK = 60

# Evidence files for receipts, stored by their sha256 (EVIDENCE_DIR defaults
# to evidence/ in the instance folder), and the largest one accepted.
EVIDENCE_DIR = None
EVIDENCE_MAX_BYTES = 5 * 1024 * 1024
# Each member may upload at most EVIDENCE_QUOTA_BYTES of evidence in any
# EVIDENCE_QUOTA_WINDOW seconds, across projects, named by a receipt or not.
EVIDENCE_QUOTA_BYTES = 100 * 1024 * 1024
EVIDENCE_QUOTA_WINDOW = 30 * 86400
# `ledger prune-evidence` removes files no receipt names once this many
# seconds have passed since their last upload.
EVIDENCE_GRACE = 86400

# Flask-Limiter: "memory://" for one process, "redis://127.0.0.1:6379" to
# share the count between gunicorn workers and machines.
RATELIMIT_STORAGE_URI = "memory://"
RATELIMIT_HEADERS_ENABLED = True
# Password checks (login form, token creation, git over HTTP with a
# password) allowed per client, and per account from all clients together.
LOGIN_RATE_LIMIT = "10 per minute"
ACCOUNT_LOGIN_RATE_LIMIT = "10 per minute"
REGISTER_RATE_LIMIT = "20 per hour"

# How passwords are hashed (werkzeug's generate_password_hash method):
# scrypt, deliberately slow. Only the test suite asks for a cheaper one.
PASSWORD_HASH_METHOD = "scrypt"

# How long a login lasts, in seconds, counted from logging in (using the
# site does not stretch it): 30 days.
PERMANENT_SESSION_LIFETIME = 30 * 24 * 3600

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

# Caps on what one git request may cost the server. A push's pack over
# GIT_MAX_PUSH_BYTES is refused by git itself (0: no cap); a request body is
# counted after gunzipping, since a small gzip body can inflate a
# thousandfold: a fetch's wants and haves stop at GIT_MAX_UPLOAD_REQUEST_BYTES,
# a gzipped push at GIT_MAX_INFLATED_BYTES (keep it above the push cap).
GIT_MAX_PUSH_BYTES = 1024 * 1024 * 1024
GIT_MAX_UPLOAD_REQUEST_BYTES = 10 * 1024 * 1024
GIT_MAX_INFLATED_BYTES = GIT_MAX_PUSH_BYTES + 16 * 1024 * 1024

# Pushes to refs/for/<branch> from people who are not members of the project
# (proposals from outside): git refuses a pack over OUTSIDE_PUSH_MAX_BYTES
# (GIT_MAX_PUSH_BYTES still applies), and each account may make at most
# OUTSIDE_PUSH_RATE_LIMIT of them (counted in RATELIMIT_STORAGE_URI).
OUTSIDE_PUSH_MAX_BYTES = 100 * 1024 * 1024
OUTSIDE_PUSH_RATE_LIMIT = "30 per hour"

# `git prune` keeps unreachable objects (commits force-pushed away) written
# within this many seconds, so a push racing it or a mistaken force-push can
# still be recovered.
GIT_PRUNE_GRACE = 14 * 86400

# A commit's .patch larger than this is refused with a note saying how to
# make it locally, instead of being streamed whole.
MAX_PATCH_BYTES = 20 * 1024 * 1024

# The longest line comment (or objection reason cited beside a line) a merge
# proposal takes, in characters; a longer one is refused with 422.
COMMENT_MAX_CHARS = 10000

SQLALCHEMY_ENGINE_OPTIONS = {"pool_pre_ping": True}

# Diffs on the Changes, compare and commit pages stop at DIFF_MAX_LINES
# rendered lines or DIFF_MAX_BYTES of patch text read from git, whichever
# comes first (the page says so and links the full .patch); a file changing
# more than DIFF_MAX_FILE_LINES lines is folded behind a link to it.
DIFF_MAX_LINES = 10_000
DIFF_MAX_BYTES = 4 * 1024 * 1024
DIFF_MAX_FILE_LINES = 2_000

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
# Code searches (git grep in up to SEARCH_CODE_PROJECTS repositories) per
# client; past it /search and the API still search everything but code.
SEARCH_CODE_RATE_LIMIT = "30 per minute"

# How passwords are hashed (werkzeug's generate_password_hash method):
# scrypt, deliberately slow. Only the test suite asks for a cheaper one.
PASSWORD_HASH_METHOD = "scrypt"

# How long a login lasts, in seconds, counted from logging in (using the
# site does not stretch it): 30 days.
PERMANENT_SESSION_LIFETIME = 30 * 24 * 3600

# How long the link mailed to confirm an address works, in seconds: 2 days.
# Only the latest link sent to an address works, once.
EMAIL_CONFIRM_MAX_AGE = 2 * 86400

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

# Push records come from git's own reflogs (README, "Clone and push"): the
# reconciler rereads each project's reflogs from this many seconds before the
# newest entry it recorded, so entries written out of order are not missed.
GIT_RECONCILE_SLACK = 3600
# What a crashed push leaves (git's objects/tmp_objdir-incoming-* quarantine,
# an unfinished refs/for/ push's incoming ref) is removed by the workers' sweep
# once nothing in it changed for this many seconds.
GIT_QUARANTINE_GRACE = 3600

# The browse pages read git objects through one long-lived `git cat-file`
# per repository in each web worker (commons/git/catfile.py): at most
# GIT_READERS of them per worker (the least recently used is closed first),
# each closed once unused for GIT_READER_IDLE seconds.
GIT_READERS = 32
GIT_READER_IDLE = 300

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

# The rendering cache (docs/DESIGN.md, "Rendering caches"): highlighted
# files, READMEs and diffs, kept by what cannot change (blob or commit ids,
# renderer and its version), shared by every worker. Unset: a folder,
# render-cache/, in the instance folder (one machine). In production
# "redis://host:6379/2", shared by every instance (give that Redis a
# maxmemory with allkeys-lru). "null": nothing is kept. A cache that fails
# is logged and the page rendered anyway. (Unset is "", not None: the
# environment's COMMONS_CACHE_URL=null is read as JSON, None, "no cache".)
CACHE_URL = ""
# The folder cache keeps at most this many entries (the oldest go first);
# an entry larger than CACHE_MAX_ITEM_BYTES (compressed) is not kept, so the
# folder holds at most their product (5 GB; entries are mostly 5 to 200 KB).
CACHE_MAX_ITEMS = 5000
CACHE_MAX_ITEM_BYTES = 1024 * 1024
# Seconds an entry lives (entries never go stale: this only frees space).
CACHE_TIMEOUT = 30 * 24 * 3600
# Several sites may share one Redis: each names its own keys.
CACHE_KEY_PREFIX = "commons:render:"
# A file larger than this is shown as plain text with line numbers on its
# first view (highlighting costs about 2 ms per KB), with a "Highlight"
# link; once highlighted (by that link) it is served highlighted from the
# cache. Files past 256 KB are always plain.
BLOB_HIGHLIGHT_BYTES = 32 * 1024
# Highlightings of such a file (?highlight=1, not yet cached) per client:
# each costs up to half a second of a worker (256 KB). Past it the page is
# the plain text, answered 429 with when to try again.
BLOB_HIGHLIGHT_RATE_LIMIT = "20 per minute"

# The job queue (README, "Jobs"): where work done off the request path waits.
# Unset: a SQLite file, jobs.sqlite3, in the instance folder (`make run`
# starts a worker beside the server). In production "redis://host:6379/1"
# (or "postgresql://user@host/db"), shared by every instance and worker.
# "immediate" runs each job in the process that enqueues it (tests).
QUEUE_URL = None
# Several sites may share one Redis: each names its own queue.
QUEUE_NAME = "commons"
# A failed job is tried again this many times, QUEUE_RETRY_DELAY seconds
# later, then twice as long each time; after that it is listed as failed
# (`flask --app commons jobs failed`, /admin/jobs).
QUEUE_RETRIES = 5
QUEUE_RETRY_DELAY = 10
# Jobs each worker process runs at once.
QUEUE_WORKER_THREADS = 4

# Webhooks (docs/DESIGN.md, "Webhooks"): each step of a delivery's POST
# (connect, send, read) may take WEBHOOK_TIMEOUT seconds; a failed delivery
# (network error, timeout, an answer other than 2xx) is tried again until
# WEBHOOK_ATTEMPTS attempts were made, WEBHOOK_RETRY_DELAY seconds after the
# first and twice as long after each next one. Hooks may not target private,
# loopback, link-local, multicast or reserved addresses unless
# WEBHOOK_ALLOW_PRIVATE is true (a site whose receivers are on its own network).
WEBHOOK_TIMEOUT = 5
WEBHOOK_ATTEMPTS = 5
WEBHOOK_RETRY_DELAY = 30
WEBHOOK_ALLOW_PRIVATE = False
# Settled deliveries (delivered or failed) older than this many days leave the
# log (the daily job webhooks.prune).
WEBHOOK_LOG_DAYS = 30

# ---------------------------------------------------------------- mail
# Mail goes out by SMTP (commons/mail/) from the worker, never from a page.
# Unset MAIL_SERVER (`make run`): each mail is written as a .eml file to
# MAIL_OUTBOX_DIR (default: outbox/ in the instance folder) and its subject
# logged, so nothing leaves the machine.
MAIL_SERVER = None
MAIL_PORT = 25
MAIL_USE_TLS = False  # STARTTLS on MAIL_PORT (usually 587)
MAIL_USE_SSL = False  # TLS from the first byte (usually 465)
MAIL_USERNAME = None
MAIL_PASSWORD = None
# Unset: "commons <noreply@HOST>", HOST from BASE_URL.
MAIL_DEFAULT_SENDER = None
# Seconds to wait for the SMTP server before the job fails and is retried.
MAIL_TIMEOUT = 10
MAIL_OUTBOX_DIR = None

# Usernames of the site's administrators, e.g. COMMONS_ADMINS='["alice"]':
# they see /admin/jobs.
ADMINS: list[str] = []

# ---------------------------------------------------------------- dependencies
# How long to wait for the database, in seconds (see commons/dependencies.py).
# Past these an instance answers 503 with Retry-After instead of hanging, and
# recovers by itself once the database is back (connections are pinged
# before use). CONNECT: establishing a connection; STATEMENT: one statement
# of a request (PostgreSQL cancels it; commands and workers run unbounded);
# POOL: waiting for a free connection of the pool; NETWORK: data sent to a
# server that has vanished (TCP user timeout and keepalives, PostgreSQL); BUSY: SQLite waiting for another writer.
DATABASE_CONNECT_TIMEOUT = 5
DATABASE_STATEMENT_TIMEOUT = 15
DATABASE_POOL_TIMEOUT = 10
DATABASE_NETWORK_TIMEOUT = 10
DATABASE_BUSY_TIMEOUT = 30
# What Retry-After says when the database cannot be reached.
UNAVAILABLE_RETRY_AFTER = 30

# Redis (RATELIMIT_STORAGE_URI) down: count in each process's memory until
# it is back (logged once each way), rather than refuse every request that
# is rate limited. RATELIMIT_STORAGE_TIMEOUT bounds each wait on Redis.
RATELIMIT_IN_MEMORY_FALLBACK_ENABLED = True
RATELIMIT_STORAGE_TIMEOUT = 2

# Operations (README, "In production"): /healthz, /readyz, /metrics, logs.
# The level of the app's own log lines ("commons.*" loggers), each written
# with the request's id to gunicorn's error log.
LOG_LEVEL = "INFO"
# Who may read /metrics: client addresses or networks, as a JSON list or
# separated by commas, e.g. COMMONS_METRICS_ALLOW='["127.0.0.1", "10.0.0.0/8"]'.
# Loopback only by default. Behind a proxy set PROXY_FIX too, or every request
# the proxy forwards comes from the proxy's address (and, on the same host,
# would pass). prometheus-client's own PROMETHEUS_MULTIPROC_DIR (not a
# COMMONS_ setting) turns on its multiprocess mode for several gunicorn workers.
METRICS_ALLOW = ["127.0.0.1", "::1"]

# ------------------------------------------- notice gates silence (issue 16)
# Affected people without an account (commit authors, copyright holders) get
# at most this many notice mails a day per address, across projects; past it
# their notice is recorded as undeliverable (docs/DESIGN.md, "Notice gates
# silence").
OUTSIDE_NOTICE_LIMIT = 5
# A notice mail's stance link works until the proposal's close plus this
# many seconds (after the close it answers that stances are closed).
NOTICE_LINK_MARGIN = 7 * 86400

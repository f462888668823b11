"""``flask --app commons demo``: fill an empty database with two believable
projects, their people, git history, proposals, ledger and credits."""

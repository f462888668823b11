"""Which of git's object checks a push may fail, and which legacy quirks it
may carry in.

Every push is checked (``receive.fsckObjects``). In that strict mode git
turns its warnings into errors too, so real histories written by old tools
(pallets/flask's 2010 trees, 2005-era identity lines) would be refused,
though git reads them, ``git fsck`` only warns about them and other forges
take them. The quirks below are accepted; every check that protects the
people who clone (paths that reach into ``.git``, hostile ``.gitmodules``,
malformed or unsorted trees, broken objects) still refuses the push, with
git's own ``remote:`` line naming the object and the message id.

The ids and their default severities are git's (``git help fsck``, "FSCK
MESSAGES"). An id named nowhere here keeps git's strict default.
"""

# Quirks of histories written by old tools, accepted on push: git and every
# client read them, and nothing they contain reaches outside the repository.
ACCEPTED: dict[str, str] = {
    "zeroPaddedFilemode": "trees written by early tools store '040000' for a folder; git reads "
                          "it as 40000 (WARN by default; pallets/flask has such trees)",
    "badFilemode": "modes such as 100664 from 2005-era git; git reads them as 100644 "
                   "(INFO by default: named so the decision is written down)",
    "badTimezone": "an author/committer offset such as '+05180' from old converters; only "
                   "the displayed offset is odd, the time itself (what the platform "
                   "indexes) is read from the seconds",
    "missingSpaceBeforeDate": "an identity line '<mail>1234567890 +0000' from old tools; git "
                              "parses the name, email and date all the same",
    "zeroPaddedDate": "a timestamp written with leading zeros; git reads the same number",
    "missingTaggerEntry": "annotated tags made before git recorded a tagger (2005) "
                          "(INFO by default: named so the decision is written down)",
}

# Warnings that git only warns about in `git fsck` but that strict mode (and
# the platform) keeps as errors, each for a reason that concerns clients or
# the platform itself. Listed so nobody "fixes" them into ACCEPTED.
REFUSED_WARNINGS: dict[str, str] = {
    "hasDotgit": "a '.git' entry (or '.GIT', 'git~1', HFS/NTFS spellings) writes into the "
                 "cloner's repository when checked out",
    "hasDot": "a '.' entry: git refuses to check it out, so the tree cannot be used",
    "hasDotdot": "a '..' entry reaches outside the working tree on checkout",
    "fullPathname": "an entry name containing '/' that is not a folder: a path injection",
    "emptyName": "an entry with no name: a malformed tree no checkout accepts",
    "nullSha1": "an entry pointing at the null id: the tree names an object nobody has",
    "nulInCommit": "a NUL byte in a commit message: the platform reads git's NUL-separated "
                   "output, and readers cut the message there",
}


def receive_options() -> list[str]:
    """``-c`` arguments for ``git receive-pack`` that let the accepted quirks in."""
    return _options("receive.fsck")


def fsck_options() -> list[str]:
    """``-c`` arguments for ``git fsck --strict`` that agree with what a push accepts."""
    return _options("fsck")


def _options(prefix: str) -> list[str]:
    options: list[str] = []
    for message_id in ACCEPTED:
        options += ["-c", f"{prefix}.{message_id}=ignore"]
    return options

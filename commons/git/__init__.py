"""Git: bare repositories on disk (smart HTTP and browsing build on this)."""

"""The inputs ledger: what a project needs, who pledged it, what arrived and
what was used, in a public, append-only, hash-chained journal."""

"""Pools: a stock offered for sharing (money or a resource in a ledger
unit), and the planning rounds in which the projects that need it state,
see and revise what they ask until the allocation lands as pledges."""

"""The run engine: the executor loop, the store, the ledger, the refund window, the clock."""

"""Batches of files on one machine: what to transcribe (sources) and what is done (ledger)."""

"""The event vocabulary of Policy Ledger: frozen, versioned payloads and their upcasters."""

"""The domain: country policies, amendments, rules and the temporal fold."""

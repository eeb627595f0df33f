"""Every model call Conductor makes goes through `gateway.complete`, so fallbacks, retries,
caching, cost accounting and secret hygiene live in one place."""

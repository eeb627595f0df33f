"""The daily summary: facts from SQL → bounded, fenced prompt → model → checked text, or a
deterministic template when no model can be used."""

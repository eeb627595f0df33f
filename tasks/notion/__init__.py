"""What talks to real Notion: the HTTP client, property parsers, schema mapping and the sync.

The local Notion-compatible sandbox used by the demo and the tests is not here: see `sandbox/`.
"""

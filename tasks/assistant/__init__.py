"""The assistant: ticket search (semantic or full-text), grounded chat and natural-language ticket
intake. The agent HTTP API that serves them is the top-level `api` package.

Modules: `embeddings` (ticket vectors, re-embedded only when their text changes), `search`
(cosine over those vectors, or the database's full-text search), `chat` (answers grounded in
retrieved tickets, the sprint report and the latest summary) and `task_intake` (text → validated
draft → Notion page → ingested).
"""

"""The assistant: ticket search (semantic or full-text), grounded chat, natural-language ticket
intake, and the agent HTTP API that serves them.

Modules: `embeddings` (ticket vectors, re-embedded only when their text changes), `search`
(cosine over those vectors, or the database's full-text search), `chat` (answers grounded in
retrieved tickets, the sprint report and the latest summary), `task_intake` (text → validated
draft → Notion page → ingested) and `api` (`create_app`).
"""

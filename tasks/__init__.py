"""Conductor's steps as plain functions: Notion sync, metrics, summaries, email, assistant.

Where `@task` lives (one rule for the whole repo): modules under `tasks/` hold plain functions
and declare no `@task` or `@flow`. Each flow module in `flows/` declares the `@task` wrappers
of the steps it runs — names, retries, caching and result policy — and each wrapper's body is
one call of a function here (plus opening what that function is handed). Logic lives here, so
it is tested without Prefect and `bench/pipeline.py` runs exactly the same work with no
orchestrator; helpers that only compute Prefect options (`tasks.caching`, `tasks.retries`,
`tasks.concurrency`) are plain functions too.
"""

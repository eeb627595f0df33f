"""Conductor's Prefect flows. Importing the package applies the process defaults Prefect and
LiteLLM need (state under CONDUCTOR_HOME, analytics off, local LiteLLM cost map).

Where `@task` lives (one rule for the whole repo): each flow module here declares the `@task`
wrappers of the steps it runs — task names, retries, caching and result policy — and the flow
itself; a wrapper's body calls one plain function from `tasks/`, which declares no `@task` or
`@flow`. Flows only wire those tasks together and create Prefect artifacts (markdown, tables);
what a step computes or writes is in `tasks/`.
"""

from models.settings import apply_process_defaults

apply_process_defaults()

"""Conductor's Prefect flows. Importing the package applies the process defaults Prefect and
LiteLLM need (state under CONDUCTOR_HOME, analytics off, local LiteLLM cost map)."""

from models.settings import apply_process_defaults

apply_process_defaults()

"""An OpenAI-compatible chat endpoint mocked with respx, for tests of the real LiteLLM path.

Only the model endpoint is mocked (it is the one thing that is truly remote); every other
request — the Prefect API, the Notion sandbox — passes through.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import httpx
import respx

API_BASE = "http://llm.test/v1"
API_KEY = "sk-test-0123456789abcdef-SECRET"
COMPLETIONS = f"{API_BASE}/chat/completions"


def chat_response(
    text: str, prompt_tokens: int = 100, completion_tokens: int = 20
) -> httpx.Response:
    """An OpenAI chat-completions body, as the real endpoint returns it."""
    return httpx.Response(
        200,
        json={
            "id": f"chatcmpl-{uuid.uuid4().hex[:8]}",
            "object": "chat.completion",
            "created": 1_790_000_000,
            "model": "gpt-4o-mini",
            "choices": [
                {
                    "index": 0,
                    "message": {"role": "assistant", "content": text},
                    "finish_reason": "stop",
                }
            ],
            "usage": {
                "prompt_tokens": prompt_tokens,
                "completion_tokens": completion_tokens,
                "total_tokens": prompt_tokens + completion_tokens,
            },
        },
    )


def error_response(status: int, message: str) -> httpx.Response:
    return httpx.Response(status, json={"error": {"message": message, "type": "error"}})


@contextmanager
def mocked_llm(*responses: httpx.Response | str | Any) -> Iterator[respx.Route]:
    """Mock the chat endpoint with these replies in order (text becomes a completion), or
    with one callable side effect; everything else passes through."""
    with respx.mock(assert_all_called=False) as router:
        route = router.post(COMPLETIONS)
        if len(responses) == 1 and callable(responses[0]):
            route.mock(side_effect=responses[0])
        else:
            route.mock(
                side_effect=[chat_response(r) if isinstance(r, str) else r for r in responses]
            )
        router.route().pass_through()
        yield route

"""The one door to language models: `complete()` over LiteLLM with fallbacks, retries and costs.

Why a gateway rather than calling LiteLLM everywhere: every caller gets the same rules —

- models are tried in order: `CONDUCTOR_LLM_MODEL`, then `CONDUCTOR_LLM_FALLBACK_MODELS`;
- transient failures (429, 5xx, timeouts, connection errors) are retried with backoff on the same
  model; auth, bad-request and not-found errors are not (retrying cannot fix them);
- every attempt is written as an `LlmCall` row (tokens, cost, latency, cache hit, error) when a
  session is given, so spend is visible per purpose;
- the API key never appears in a log line or a stored error.

LiteLLM is imported lazily (it takes seconds) and called synchronously: its sync path runs on
httpx, which is what tests mock.
"""

from __future__ import annotations

import logging
import re
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel
from sqlmodel import Session

from models.errors import ConductorError
from models.settings import Settings
from models.summaries import LlmCall
from tasks.llm.cache import configure_llm_cache

logger = logging.getLogger(__name__)

#: Model used to count tokens when none is configured (tiktoken's cl100k/o200k are bundled).
DEFAULT_TOKEN_MODEL = "gpt-4o-mini"
#: Tries per model for transient errors (first call included).
ATTEMPTS_PER_MODEL = 3
#: Seconds to wait before the 2nd, 3rd … attempt on the same model.
RETRY_DELAYS_S: tuple[float, ...] = (2.0, 8.0)

#: How the gateway waits between retries; tests replace it to keep the suite fast.
sleep: Callable[[float], None] = time.sleep

#: What a removed key is replaced with in logs and `LlmCall.error`.
REDACTED = "**********"
#: A masked key as providers echo it: optional visible characters, three or more asterisks,
#: optional visible characters (`sk-LEAKC***********_222`, `sk-proj-****abcd`, `****`).
_MASKED_KEY = re.compile(r"[\w\-]*\*{3,}[\w\-]*")
#: "Incorrect API key provided: <key>" (OpenAI and the providers that copy its errors); the key
#: runs to the next space, a sentence's final punctuation kept.
_KEY_PROVIDED = re.compile(r"(API key provided:\s*)\S+?(?=[.,;:]?(?:\s|$|['\"]))", re.IGNORECASE)


class LlmUnavailableError(ConductorError):
    """No model is configured, or every configured model failed; callers fall back."""


class LlmAuthError(LlmUnavailableError):
    """The endpoint rejected our credentials; the fix is CONDUCTOR_LLM_API_KEY."""


@dataclass(frozen=True)
class LlmResult:
    """A model's answer. `cost_usd` is 0.0 for cache hits and for models LiteLLM cannot price."""

    text: str
    model: str
    prompt_tokens: int
    completion_tokens: int
    cost_usd: float
    cached: bool


def configured_models(settings: Settings) -> list[str]:
    """The models `complete` tries, in order, without duplicates."""
    models = [settings.llm_model, *settings.llm_fallback_models] if settings.llm_model else []
    return list(dict.fromkeys(m for m in models if m))


def complete(
    messages: list[dict],
    *,
    purpose: str,
    settings: Settings,
    session: Session | None = None,
    response_format: type[BaseModel] | None = None,
    temperature: float = 0.2,
) -> LlmResult:
    """Ask the configured models, in order, until one answers.

    Raises `LlmAuthError` when every model failed and at least one failure was an auth error,
    `LlmUnavailableError` when no model is configured or every model failed otherwise. Each
    attempt is logged as an `LlmCall` (flushed, not committed: the caller owns the transaction).
    """
    models = configured_models(settings)
    if not models:
        raise LlmUnavailableError("no LLM configured: set CONDUCTOR_LLM_MODEL to use one")
    configure_llm_cache(settings)
    secret = settings.llm_api_key.get_secret_value() if settings.llm_api_key else None
    auth_failed = False
    last_error = "no attempt made"
    for model in models:
        for attempt in range(ATTEMPTS_PER_MODEL):
            if attempt:
                sleep(RETRY_DELAYS_S[min(attempt - 1, len(RETRY_DELAYS_S) - 1)])
            started = time.monotonic()
            try:
                response = _call_litellm(model, messages, settings, response_format, temperature)
            except Exception as exc:
                kind = classify_llm_error(exc)
                if kind == "bug":
                    raise
                error = _redact(f"{type(exc).__name__}: {_first_line(exc)}", secret)
                _record(session, purpose, model, started, error=error)
                last_error = f"{model}: {error}"
                if kind == "auth":
                    auth_failed = True
                    logger.warning(
                        "LLM authentication failed for %s: check CONDUCTOR_LLM_API_KEY "
                        "(and CONDUCTOR_LLM_API_BASE)",
                        model,
                    )
                    break
                if kind == "transient" and attempt + 1 < ATTEMPTS_PER_MODEL:
                    logger.info("LLM call to %s failed (%s); retrying", model, error)
                    continue
                logger.warning("LLM %s failed: %s", model, error)
                break
            result = _result_from(response, model)
            _record(
                session,
                purpose,
                model,
                started,
                result=result,
            )
            return result
    if auth_failed:
        raise LlmAuthError(
            "the LLM endpoint rejected the credentials: check CONDUCTOR_LLM_API_KEY "
            f"(last error: {last_error})"
        )
    raise LlmUnavailableError(f"every configured LLM failed (last error: {last_error})")


def count_tokens(text_or_messages: str | Sequence[dict], model: str | None = None) -> int:
    """Tokens `text_or_messages` costs on `model` (LiteLLM's tokenizer for it, else tiktoken's)."""
    import litellm

    model = model or DEFAULT_TOKEN_MODEL
    if isinstance(text_or_messages, str):
        return int(litellm.token_counter(model=model, text=text_or_messages))
    return int(litellm.token_counter(model=model, messages=list(text_or_messages)))


def _call_litellm(
    model: str,
    messages: list[dict],
    settings: Settings,
    response_format: type[BaseModel] | None,
    temperature: float,
) -> Any:
    import litellm

    kwargs: dict[str, Any] = {
        "model": model,
        "messages": messages,
        "temperature": temperature,
        "timeout": settings.llm_timeout_s,
        # Retries are ours (above), so the SDK must not add its own hidden ones.
        "max_retries": 0,
        "num_retries": 0,
    }
    if settings.llm_api_base:
        kwargs["api_base"] = str(settings.llm_api_base).rstrip("/")
    if settings.llm_api_key:
        kwargs["api_key"] = settings.llm_api_key.get_secret_value()
    if response_format is not None:
        kwargs["response_format"] = response_format
    return litellm.completion(**kwargs)


def classify_llm_error(exc: Exception) -> str:
    """`auth`, `transient` (worth retrying), `permanent` (try the next model) or `bug`."""
    import litellm

    if isinstance(exc, litellm.AuthenticationError | litellm.PermissionDeniedError):
        return "auth"
    if isinstance(exc, litellm.BadRequestError | litellm.NotFoundError):
        return "permanent"
    if isinstance(
        exc,
        litellm.RateLimitError
        | litellm.ServiceUnavailableError
        | litellm.InternalServerError
        | litellm.BadGatewayError
        | litellm.Timeout
        | litellm.APIConnectionError,
    ):
        return "transient"
    if isinstance(exc, litellm.APIError | litellm.exceptions.OpenAIError):
        return "permanent"
    return "bug"


def _result_from(response: Any, model: str) -> LlmResult:
    hidden = getattr(response, "_hidden_params", None) or {}
    cached = bool(hidden.get("cache_hit"))
    usage = getattr(response, "usage", None)
    text = response.choices[0].message.content or ""
    return LlmResult(
        text=text,
        model=model,
        prompt_tokens=int(getattr(usage, "prompt_tokens", 0) or 0),
        completion_tokens=int(getattr(usage, "completion_tokens", 0) or 0),
        cost_usd=0.0 if cached else _cost(response, model),
        cached=cached,
    )


def _cost(response: Any, model: str) -> float:
    """LiteLLM's price for the call; 0.0 for models missing from its cost map."""
    import litellm

    try:
        return float(litellm.completion_cost(completion_response=response, model=model) or 0.0)
    except Exception:  # unmapped models raise; a missing price must not fail a summary
        return 0.0


def _record(
    session: Session | None,
    purpose: str,
    model: str,
    started: float,
    *,
    result: LlmResult | None = None,
    error: str | None = None,
) -> None:
    if session is None:
        return
    session.add(
        LlmCall(
            purpose=purpose[:32],
            model=model,
            prompt_tokens=result.prompt_tokens if result else 0,
            completion_tokens=result.completion_tokens if result else 0,
            cost_usd=result.cost_usd if result else 0.0,
            latency_ms=int((time.monotonic() - started) * 1000),
            cache_hit=result.cached if result else False,
            error=error,
        )
    )
    session.flush()


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return (text.splitlines() or [type(exc).__name__])[0][:300]


def _redact(text: str, secret: str | None) -> str:
    """Remove the API key and any masked echo of a key from text we log or store.

    Providers do not echo a rejected key in full but masked, keeping its first and last
    characters (OpenAI: `Incorrect API key provided: sk-LEAKC***********_222.`); those
    characters narrow down a leaked key and tell which key it was, so the whole masked token
    goes, as does whatever follows "API key provided:" (a provider may echo it unmasked, or a
    fallback model's key that is not `secret`).
    """
    if secret and len(secret) >= 4:
        text = text.replace(secret, REDACTED)
    text = _KEY_PROVIDED.sub(lambda match: match.group(1) + REDACTED, text)
    return _MASKED_KEY.sub(REDACTED, text)

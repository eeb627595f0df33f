"""Every model call Conductor makes goes through `gateway.complete`, so fallbacks, retries,
caching, cost accounting and secret hygiene live in one place.

LiteLLM downloads its model cost map on import unless told to use the bundled one; every
module that imports `litellm` is in or imports this package, so the default is set here, once,
before any such import (an explicit setting of the user's is kept).
"""

import os

os.environ.setdefault("LITELLM_LOCAL_MODEL_COST_MAP", "True")

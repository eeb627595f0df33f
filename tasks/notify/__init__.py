"""Chat delivery (`CONDUCTOR_NOTIFY_URLS`, through Apprise): messages (`messages`), the URLs
(`targets`), posting each message once per URL (`delivery`)."""

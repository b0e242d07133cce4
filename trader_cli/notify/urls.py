"""``NOTIFY_URLS``: split into apprise URLs, and shown without the tokens they carry."""

from __future__ import annotations

import re

_SPLIT = re.compile(r"[\s,]+")
_SCHEME = re.compile(r"^([A-Za-z][\w+.-]*)://(.*)$", re.DOTALL)
_HOST = re.compile(r"^(?:localhost|[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+)(?::\d{1,5})?$")


def split_urls(text: str | None) -> list[str]:
    """The URLs of a ``NOTIFY_URLS`` value: separated by commas, spaces or newlines."""
    return [u for u in _SPLIT.split(text or "") if u]


def mask_url(url: str) -> str:
    """``url`` safe to print: the scheme and a real host name stay, every token goes.

    ``json://u:pw@127.0.0.1:8080/hook/TOKEN`` → ``json://***@127.0.0.1:8080/***``;
    ``tgram://BOT_TOKEN/CHAT_ID`` → ``tgram://***/***``.
    """
    m = _SCHEME.match(url.strip())
    if m is None:
        return "***"
    scheme, rest = m.groups()
    authority, slash, tail = rest.partition("/")
    authority, query_mark, _ = authority.partition("?")
    _userinfo, at, host = authority.rpartition("@")
    shown = f"{scheme}://{'***@' if at else ''}{host if _HOST.match(host) else '***'}"
    if (slash and tail) or query_mark:
        shown += "/***"
    return shown

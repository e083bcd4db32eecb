"""URL and domain blocklists (``url_blocklist``), read from files given as paths.

RefinedWeb (Penedo et al. 2023, Sec. 3.1) and FineWeb start with a URL filter built from
domain blocklists; here the lists are files the user provides (one domain or URL per line,
``#`` comments). A listed domain blocks its subdomains. The URL is read from
``doc.meta[url_key]``, or from ``doc.id`` when that is a URL (as in Common Crawl dumps).
Documents without a URL pass.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar
from urllib.parse import urlsplit

from pretrain_clean.pipeline.document import Document
from pretrain_clean.pipeline.stage import ModelPath, Stage, StageNotSetUp
from pretrain_clean.filters.model_files import load_word_list


def normalize_url(url: str) -> str:
    """Lower-case scheme and host, drop ``www.``, default ports and a trailing slash.

    >>> normalize_url("HTTP://WWW.Example.com:80/Path/")
    'http://example.com/Path'
    """
    parts = urlsplit(url.strip())
    host = (parts.hostname or "").lower().removeprefix("www.")
    port = f":{parts.port}" if parts.port and parts.port not in (80, 443) else ""
    out = f"{parts.scheme.lower()}://{host}{port}{parts.path}"
    if parts.query:
        out += f"?{parts.query}"
    return out.rstrip("/")


def host_suffixes(host: str) -> list[str]:
    """The host and each parent domain.

    >>> host_suffixes("a.b.example.com")
    ['a.b.example.com', 'b.example.com', 'example.com', 'com']
    """
    labels = host.lower().strip(".").split(".")
    return [".".join(labels[i:]) for i in range(len(labels))]


@dataclass
class UrlBlocklist(Stage):
    """Drop documents whose URL or domain is on a blocklist."""

    name: ClassVar[str] = "url_blocklist"

    domains_path: ModelPath | None = None
    """Blocked domains, one a line; a domain also blocks its subdomains (``www.`` ignored)."""
    urls_path: ModelPath | None = None
    """Blocked URLs, one a line."""
    url_key: str = "url"
    """``meta`` key holding the document's URL (else the id, when it is a URL)."""

    def setup(self) -> None:
        self._domains = frozenset(
            d.lower().removeprefix("www.") for d in load_word_list(self.domains_path)
        ) if self.domains_path else frozenset()
        self._urls = frozenset(normalize_url(u) for u in load_word_list(self.urls_path)) if self.urls_path else frozenset()

    def url_of(self, doc: Document) -> str | None:
        """The document's URL, if it has one."""
        url = doc.meta.get(self.url_key)
        if isinstance(url, str) and url:
            return url
        if doc.id.startswith(("http://", "https://")):
            return doc.id
        return None

    def apply(self, doc: Document) -> str | None:
        if getattr(self, "_domains", None) is None:
            raise StageNotSetUp(self)
        url = self.url_of(doc)
        if url is None:
            return None
        try:
            host = urlsplit(url).hostname or ""
            normalized = normalize_url(url)
        except ValueError:  # malformed URL (bad port, brackets): judged by domain only
            host, normalized = "", ""
        if self._domains and host and any(h in self._domains for h in host_suffixes(host.removeprefix("www."))):
            return "blocked_domain"
        if normalized and normalized in self._urls:
            return "blocked_url"
        return None

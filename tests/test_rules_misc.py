"""url_blocklist and special_characters: pass, fail with reason, edge cases (pii_mask: test_pii.py)."""
from __future__ import annotations

from pathlib import Path

import pytest

from pretrain_clean.filters.blocklist import UrlBlocklist
from pretrain_clean.filters.special_chars import SpecialCharacters, special_char_ratio
from pretrain_clean.pipeline.config import ConfigError, parse_config
from pretrain_clean.pipeline.document import Document
from conftest import ready


@pytest.fixture()
def blocklist(tmp_path: Path) -> UrlBlocklist:
    domains = tmp_path / "domains.txt"
    domains.write_text("# comment\nspam-farm.example\nWWW.Casino.example\n", encoding="utf-8")
    urls = tmp_path / "urls.txt"
    urls.write_text("https://news.example/copied/\n", encoding="utf-8")
    stage = UrlBlocklist(domains_path=str(domains), urls_path=str(urls))
    stage.setup()
    return stage


def test_blocklist_keeps_unlisted(blocklist: UrlBlocklist) -> None:
    assert blocklist.apply(Document("http://advocatesaz.org/tag/x/", "text")) is None
    assert blocklist.apply(Document("d", "text", meta={"url": "https://news.example/original"})) is None


def test_blocklist_drops_domains_subdomains_and_urls(blocklist: UrlBlocklist) -> None:
    assert blocklist.apply(Document("d", "t", meta={"url": "http://spam-farm.example/a"})) == "blocked_domain"
    assert blocklist.apply(Document("https://cdn.www.casino.example/x", "t")) == "blocked_domain"
    assert blocklist.apply(Document("d", "t", meta={"url": "HTTPS://www.News.example/copied"})) == "blocked_url"


def test_blocklist_edge_cases(blocklist: UrlBlocklist) -> None:
    assert blocklist.apply(Document("no-url", "")) is None
    assert blocklist.apply(Document("d", "t", meta={"url": "http://[bad"})) is None
    assert ready(UrlBlocklist()).apply(Document("http://spam-farm.example/", "t")) is None  # no lists


def test_blocklist_config_checks_paths() -> None:
    table = {"stages": [{"stage": "url_blocklist", "domains_path": "bundled:blocklists/nope.txt"}]}
    with pytest.raises(ConfigError, match="domains_path"):
        parse_config(table, Path.cwd())
    ok = {"stages": [{"stage": "url_blocklist", "domains_path": "bundled:blocklists/example_domains.txt"}]}
    stage = parse_config(ok, Path.cwd()).stages[0]
    stage.setup()
    assert stage.apply(Document("http://x.spam-farm.example/", "t")) == "blocked_domain"


def test_special_characters() -> None:
    stage = SpecialCharacters()
    assert stage.apply(Document("s", "A normal sentence, with punctuation.")) is None
    assert stage.apply(Document("s", "新华社北京电，会议今天举行。")) is None
    assert stage.apply(Document("s", "=== >>> *** click here <<< ===")) == "too_many_special_chars"
    assert stage.apply(Document("s", "")) is None
    assert special_char_ratio("!!!") == 1.0

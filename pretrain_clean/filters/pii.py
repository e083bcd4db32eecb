"""PII masking (``pii_mask``): replace e-mail addresses, phone numbers, IP addresses,
Chinese resident ID numbers and QQ/WeChat accounts with placeholders.

Yi (Young et al. 2024, Sec. 2.1) and YAYI 2 (Luo et al. 2023, Sec. 2.2) remove or anonymize
personal information with regular expressions; like the BigScience ROOTS and StarCoder
pipelines we replace rather than drop, so the document stays usable. The stage never drops;
it records how many spans it replaced per kind in ``doc.meta["pii"]``.

Precision comes first: a mask that hits a year list or a population figure damages the text
and protects no one. So each kind has a shape and a check:

* e-mail: an address is masked whole or not at all (an address glued to other address
  characters, ``email..email@x.com``, is left); domains need a letter TLD or an IPv4 literal.
* IP: IPv4 and IPv6, public addresses only by default (datatrove's ``PIIFormatter``:
  ``ipaddress``'s ``is_global``), never inside a longer dotted number (versions). A
  compressed IPv6 (``2606:4700::1111``) also must not be in reserved space (``abc::def``,
  ``3::16``, ``std::`` are C++ or verses, not addresses).
* ID: 18-digit PRC resident ID numbers (GB 11643-1999) with a province code, a real birth
  date and, by default, a valid ISO 7064 MOD 11-2 check digit; 15-digit first-generation
  numbers (before 1999: no check digit, a 2-digit year) only right after an ID word
  ("身份证号", "证件号码", "ID card"), where the checks left cannot tell them from a number.
* account: a QQ number or WeChat ID right after "QQ", "微信" or "WeChat".
* phone: Chinese mobiles (1[3-9]x, 11 digits) and landlines (0 + area code, then a
  separator); North American numbers (NXX-XXX-XXXX or NXX.XXX.XXXX, or an area code in
  brackets); ``+``, a country code and 8-15 digits; any other grouped number of 6-15 digits,
  or run of 7-15 digits, only right after a word such as "Tel", "phone", "电话" or "手机". Runs of years
  (``1897 1898 1899``), space-grouped thousands (``12 345 678``) and dotted versions or DOIs
  are never phones. Precision measured on real pages: docs/rules.md, "PII masking".
"""
from __future__ import annotations

import datetime
import ipaddress
import re
import string
from dataclasses import dataclass
from typing import ClassVar

from pretrain_clean.filters.ascii_fast import ascii_stand_in, non_ascii
from pretrain_clean.pipeline.document import Document
from pretrain_clean.pipeline.stage import Stage

_CJK = "\u2e80-\u9fff\uf900-\ufaff\uac00-\ud7af"
"""Han, kana, hangul and CJK punctuation: they may touch an address or a number directly."""
_ATEXT = r"A-Za-z0-9!#$%&'*+/=?^_`{|}~\-"
"""Characters of an unquoted e-mail local part (RFC 5322 atext)."""
_OCTET = r"(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)"
_IPV4 = rf"{_OCTET}(?:\.{_OCTET}){{3}}"

EMAIL_RE = re.compile(
    # not glued to a letter (CJK may touch), an address character, or "x." / ".." / "x@"
    # before it; a lone "@" may (a fediverse handle, @user@host.social, as datatrove masks it)
    rf"(?<![^\W{_CJK}])(?<![{_ATEXT}\\])(?<![{_ATEXT}.@\\][.@])(?<![^\W{_CJK}][.@])"
    rf"[{_ATEXT}]+(?:\.[{_ATEXT}]+)*@"
    rf"(?:(?:[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?\.)+[A-Za-z]{{2,63}}|{_IPV4}(?![\d.]|\.\d)|\[{_IPV4}\])"
    r"(?![A-Za-z0-9@-]|\.[A-Za-z0-9-])"
)
"""Whole e-mail addresses (datatrove's local part and domain, letter TLD or IPv4 literal)."""
IPV6_RE = re.compile(r"(?<![0-9A-Fa-f:])(?:[0-9A-Fa-f]{1,4}:){7}[0-9A-Fa-f]{1,4}(?![0-9A-Fa-f:])")
"""Full (uncompressed) IPv6 addresses, as data-juicer's ``clean_ip_mapper`` matches them."""
_H16 = "[0-9A-Fa-f]{1,4}"
COMPRESSED_IPV6_RE = re.compile(rf"(?<![0-9A-Fa-f:])(?:{_H16}(?::{_H16}){{0,6}})?::(?:{_H16}(?::{_H16}){{0,6}})?"
                                r"(?![0-9A-Fa-f:.])")
"""IPv6 addresses with ``::`` (a run of zero groups left out); :func:`ipaddress.ip_address`
then checks the group count."""
_SEP = r"(?:[^\S\n]?[-./][^\S\n]?|[^\S\n])"
"""One separator between digit groups: a space, or one of ``-./`` with optional spaces."""
_NOT_BEFORE = r"(?<![A-Za-z0-9_./+\-])"
_NOT_AFTER = r"(?![A-Za-z0-9_/]|[-.]\d)"
_PATTERNS = {
    "id": r"[1-9]\d{5}(?:19|20)\d{2}(?:0[1-9]|1[0-2])(?:0[1-9]|[12]\d|3[01])\d{3}[\dXx]",
    "mobile": r"(?:(?:\+|00)86[-\s]?)?1[3-9]\d(?:[-\s]?\d{4}){2}",
    "landline": r"(?:(?:\+|00)86[-\s]?\(?0?[1-9]\d{1,2}\)?[-\s]?|\(0[1-9]\d{1,2}\)\s?|0[1-9]\d{1,2}-)"
                r"[2-9]\d{2,3}[-\s]?\d{4}(?:-\d{1,4})?",
    "nanp": r"(?:\+?1[-.\s]?)?(?:\([2-9]\d{2}\)\s?\d{3}[-.\s]|[2-9]\d{2}-\d{3}-|[2-9]\d{2}\.\d{3}\.)\d{4}",
    "intl": rf"\+[1-9]\d{{0,2}}(?:{_SEP}?\(\d{{1,4}}\))?(?:{_SEP}?\d{{1,5}}){{1,6}}",
}
NUMBERS_RE = re.compile(
    "(?=[\\d+(])(?:"
    + "|".join([f"{_NOT_BEFORE}(?P<{k}>{p}){_NOT_AFTER}" for k, p in _PATTERNS.items()]
               + [rf"(?<!\d)(?<!\d\.)(?P<ip>{_IPV4})(?!\d|\.\d)"])
    + ")"
)
"""ID numbers, phone shapes and IPv4 addresses in one pass, tried only where a digit, '+' or
'(' starts; the first alternative that fits wins (an 18-digit ID before a phone). IPv4 has
datatrove's looser edges (``.3.3.3.0``, ``/188.46.244.216my-page``) but never sits inside a
longer dotted number."""
CONTEXT_PHONE_RE = re.compile(
    # the first-character class lets the engine skip most positions at once (speed)
    r"(?=[TtPpFfMmHhCc电電手传傳热熱联☎📞])(?:(?<![A-Za-z])(?i:tel|tél|phone|telephone|téléphone|telefon|teléfono|telefone|telefono|fax|"
    r"mobile|mobil|hotline|call)\b\.?|电话|電話|手机|手機|传真|傳真|热线|熱線|联系方式|☎|📞)"
    r"[^\S\n]?(?:\([^()\d\n]{1,12}\))?[^\S\n]?[:：]?[^\S\n]{0,3}"
    rf"(?P<number>\+?\(?\d{{2,5}}\)?(?:{_SEP}\(?\d{{2,5}}\)?){{1,4}}|\+?\d{{7,15}})(?![A-Za-z0-9_-]|\.\d)"
)
"""A grouped number or a run of 7-15 digits right after a phone word: ``Tel. 030 / 12 34 56``,
``电话：075588886666``."""

CONTEXT_ID_RE = re.compile(
    r"(?:身份证|身份證|证件|證件|公民身份|(?<![A-Za-z])(?i:id[ -]?card))(?:号码|號碼|号|號|(?i: number| no\.?))?"
    r"[^\S\n]?[:：]?[^\S\n]{0,3}(?P<id>[1-9]\d{14})(?![0-9A-Za-z])"
)
"""A 15-digit first-generation PRC ID number right after an ID word (``身份证号：...``)."""
_ID_WORDS = ("身份", "證件", "证件", "id card", "id-card", "idcard")
"""What every :data:`CONTEXT_ID_RE` match holds (lower-cased), to skip the regex elsewhere."""

ACCOUNT_RE = re.compile(
    r"(?=[QqWw扣微])(?:(?<![A-Za-z])(?i:qq|wechat|weixin)(?:号码|号)?|扣扣(?:号码|号)?|微信(?:号码|号)?)"
    r"[^\S\n]?[:：]?[^\S\n]{0,3}"
    r"(?P<account>[1-9]\d{4,11}|[A-Za-z][-_A-Za-z0-9]{5,19})(?![A-Za-z0-9_-])"
)
"""A QQ number (5-12 digits) or WeChat ID (6-20 characters, a letter first) right after "QQ",
"扣扣", "微信" or "WeChat": the personal contact handles of Chinese web text. ``QQ群`` (a
group) does not match."""

_CONTEXT_WORDS = ("tel", "tél", "phone", "telephone", "téléphone", "telefon", "teléfono", "telefone", "telefono",
                  "fax", "mobile", "mobil", "hotline", "call")
"""The words of :data:`CONTEXT_PHONE_RE` (its ignore-case group): a match starts with one
of them with no ASCII letter before it and no word character after it."""
_ASCII_CONTEXT_WORDS = tuple(w for w in _CONTEXT_WORDS if w.isascii())
_CONTEXT_MARKS = ("电话", "電話", "手机", "手機", "传真", "傳真", "热线", "熱線", "联系方式", "☎", "📞")
"""Its other starts, matched as they are."""
_ACCOUNT_KEYS = ("qq", "wechat", "weixin", "扣扣", "微信")
"""What every :data:`ACCOUNT_RE` match holds, lower-cased."""


def context_phone_possible(text: str, lowered: str) -> bool:
    """False only where :data:`CONTEXT_PHONE_RE` cannot match ``text`` (``lowered`` is
    ``text.lower()``): none of its words is there, as a word. The regex itself tries most
    positions of a text (its words start with common letters); this costs a few ``find``.

    An ignore-case letter of those words matches only characters that lower-case to it, but
    for ``i`` (İ, ı: every code point is checked in tests/test_cascade_speed.py); a text with
    one of these (İ is also the one character whose lower case is longer) is not ruled out.

    >>> [context_phone_possible(t, t.lower()) for t in ("Hotel, TEL: 1", "the hotel telling", "mobİle 1")]
    [True, False, True]
    """
    if "\u0130" in text or "\u0131" in text:
        return True
    # words are found in an ASCII text (fast to search); the edges are read in ``text``
    view = ascii_stand_in(lowered)
    for word in _CONTEXT_WORDS if view is None else _ASCII_CONTEXT_WORDS:
        haystack = lowered if view is None else view
        start = haystack.find(word)
        while start >= 0:
            end = start + len(word)
            if (not start or text[start - 1] not in _ASCII_LETTERS) and \
                    not (end < len(text) and (text[end].isalnum() or text[end] == "_")):
                return True
            start = haystack.find(word, start + 1)
    if text.isascii():
        return False
    others = non_ascii(lowered)
    return any(m in others for m in _CONTEXT_MARKS)


_ASCII_LETTERS = frozenset(string.ascii_letters)


PROVINCES = frozenset("11 12 13 14 15 21 22 23 31 32 33 34 35 36 37 41 42 43 44 45 46 "
                      "50 51 52 53 54 61 62 63 64 65 71 81 82 83 91".split())
"""First two digits of a PRC resident ID (GB/T 2260 provinces; 71 Taiwan, 81-83 HK/Macau/TW residents)."""
_PHONE_KINDS = frozenset(("mobile", "landline", "nanp", "intl"))
_GROUP_RE = re.compile(r"\d+")
_PHONE_MARK_RE = re.compile(r"[-.()/]")
"""A separator thousands never have; with one, 3-digit groups are a phone's (``(02) 345-678``)."""


def id_checksum_ok(number: str) -> bool:
    """ISO 7064 MOD 11-2 check digit of an 18-digit PRC ID number.

    >>> id_checksum_ok("11010519491231002X"), id_checksum_ok("110105194912310021")
    (True, False)
    """
    weights = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
    total = sum(int(d) * w for d, w in zip(number[:17], weights))
    return "10X98765432"[total % 11] == number[17].upper()


def plausible_id(number: str, require_checksum: bool = True) -> bool:
    """An 18-digit PRC ID with a province code, a real birth date and (optionally) its check digit.

    >>> plausible_id("11010519491231002X"), plausible_id("110105194902300021", False)
    (True, False)
    """
    if number[:2] not in PROVINCES:
        return False
    try:
        datetime.date(int(number[6:10]), int(number[10:12]), int(number[12:14]))
    except ValueError:  # 30 February and the like
        return False
    return not require_checksum or id_checksum_ok(number)


def plausible_id15(number: str) -> bool:
    """A 15-digit first-generation PRC ID (before 1999): a province code and a real birth
    date 19YYMMDD in digits 7-12; it has no check digit.

    >>> plausible_id15("110105491231002"), plausible_id15("110105490230002"), plausible_id15("990105491231002")
    (True, False, False)
    """
    if number[:2] not in PROVINCES:
        return False
    try:
        datetime.date(1900 + int(number[6:8]), int(number[8:10]), int(number[10:12]))
    except ValueError:
        return False
    return True


def compressed_ipv6_ok(span: str, public_only: bool) -> bool:
    """A compressed IPv6 address outside reserved space (and global when ``public_only``):
    ``2606:4700:4700::1111`` yes, ``abc::def`` (reserved space, though ``is_global``) no.

    >>> [compressed_ipv6_ok(s, True) for s in ("2606:4700:4700::1111", "2001:db8::1", "abc::def", "::1")]
    [True, False, False, False]
    """
    try:
        address = ipaddress.IPv6Address(span)
    except ValueError:
        return False
    return not address.is_reserved and (address.is_global or not public_only)


def plausible_phone(span: str) -> bool:
    """False for digit groups shaped like a phone that are not one: runs of years, space-
    grouped thousands, fewer than 6 digits (8 after a ``+``) or more than 15 (E.164), one
    repeated digit.

    >>> [plausible_phone(s) for s in ("1897 1898 1899", "12 345 678", "030 12 34 56", "+1 555 123 4567")]
    [False, False, True, True]
    """
    groups = _GROUP_RE.findall(span)
    digits = "".join(groups)
    if not (8 if span.startswith("+") else 6) <= len(digits) <= 15 or len(set(digits[-8:])) == 1:
        return False
    body = groups[1:] if span.startswith("+") else groups
    if len(body) >= 2 and all(len(g) == 4 and 1000 <= int(g) <= 2100 for g in body):
        return False  # 1897 1898 1899
    if len(groups) >= 3 and len(groups[0]) <= 3 and all(len(g) == 3 for g in groups[1:]) \
            and not _PHONE_MARK_RE.search(span):
        return False  # 12 345 678
    return True


def public_ip(span: str) -> bool:
    """True for a global (public) IP address, as datatrove's ``public_ip_validator``.

    >>> public_ip("8.8.8.8"), public_ip("192.168.1.2"), public_ip("999.1.1.1")
    (True, False, False)
    """
    try:
        return ipaddress.ip_address(span).is_global
    except ValueError:
        return False


@dataclass
class PiiMask(Stage):
    """Replace PII spans with placeholders; never drops a document."""

    name: ClassVar[str] = "pii_mask"

    mask_emails: bool = True
    """Mask e-mail addresses."""
    mask_phones: bool = True
    """Mask phone numbers."""
    mask_ips: bool = True
    """Mask IP addresses."""
    mask_id_numbers: bool = True
    """Mask PRC resident ID numbers."""
    mask_accounts: bool = True
    """QQ numbers and WeChat IDs right after "QQ", "微信", "WeChat"."""
    id_require_checksum: bool = True
    """Mask only ID numbers whose ISO 7064 MOD 11-2 check digit is valid (off: any with a real date)."""
    ip_public_only: bool = True
    """Mask only public (global) IP addresses, as datatrove; private/loopback/reserved stay."""
    email_placeholder: str = "<EMAIL>"
    """What replaces an e-mail address."""
    phone_placeholder: str = "<PHONE>"
    """What replaces a phone number."""
    ip_placeholder: str = "<IP>"
    """What replaces an IP address."""
    id_placeholder: str = "<ID>"
    """What replaces an ID number."""
    account_placeholder: str = "<ACCOUNT>"
    """What replaces a QQ number or WeChat ID."""
    annotate: bool = True
    """Write counts per kind to ``doc.meta["pii"]`` when anything was replaced."""

    def _accept(self, kind: str, span: str) -> bool:
        if kind == "id":
            return self.mask_id_numbers and plausible_id(span, self.id_require_checksum)
        if kind == "ip":
            return self.mask_ips and (not self.ip_public_only or public_ip(span))
        return self.mask_phones and plausible_phone(span)

    def spans(self, text: str) -> list[tuple[str, int, int]]:
        """``(kind, start, end)`` of each span to mask, in text order, without overlaps (an
        earlier pass wins: e-mail, IPv6, numbers, 15-digit IDs and numbers after an ID or a
        phone word, accounts)."""
        found: list[tuple[str, int, int]] = []
        if self.mask_emails and "@" in text:
            found += [("email", m.start(), m.end()) for m in EMAIL_RE.finditer(text)]
        if self.mask_ips and text.count(":") >= 7:
            found += [("ip", m.start(), m.end()) for m in IPV6_RE.finditer(text) if self._accept("ip", m.group())]
        if self.mask_ips and "::" in text:
            found += [("ip", m.start(), m.end()) for m in COMPRESSED_IPV6_RE.finditer(text)
                      if compressed_ipv6_ok(m.group(), self.ip_public_only)]
        if self.mask_id_numbers or self.mask_ips or self.mask_phones:
            for m in NUMBERS_RE.finditer(text):
                kind = m.lastgroup or ""
                if self._accept(kind, m.group()):
                    found.append(("phone" if kind in _PHONE_KINDS else kind, m.start(), m.end()))
        lowered = text.lower() if self.mask_phones or self.mask_accounts or self.mask_id_numbers else ""
        if self.mask_id_numbers and any(w in lowered for w in _ID_WORDS):
            found += [("id", m.start("id"), m.end("id")) for m in CONTEXT_ID_RE.finditer(text)
                      if plausible_id15(m.group("id"))]
        if self.mask_phones and context_phone_possible(text, lowered):
            found += [("phone", m.start("number"), m.end("number")) for m in CONTEXT_PHONE_RE.finditer(text)
                      if plausible_phone(m.group("number"))]
        if self.mask_accounts and (any(k in lowered for k in _ACCOUNT_KEYS) or "\u0131" in text or "\u0130" in text):
            found += [("account", m.start("account"), m.end("account")) for m in ACCOUNT_RE.finditer(text)]
        if len(found) < 2:
            return found
        kept: list[tuple[str, int, int]] = []
        for kind, start, end in found:
            if not any(start < e and s < end for _, s, e in kept):
                kept.append((kind, start, end))
        return sorted(kept, key=lambda f: f[1])

    def mask(self, text: str) -> tuple[str, dict[str, int]]:
        """``text`` with PII replaced, and how many spans of each kind were replaced."""
        placeholders = {"email": self.email_placeholder, "phone": self.phone_placeholder,
                        "ip": self.ip_placeholder, "id": self.id_placeholder,
                        "account": self.account_placeholder}
        counts: dict[str, int] = {}
        out: list[str] = []
        pos = 0
        for kind, start, end in self.spans(text):
            out += [text[pos:start], placeholders[kind]]
            counts[kind] = counts.get(kind, 0) + 1
            pos = end
        if not counts:
            return text, counts
        out.append(text[pos:])
        return "".join(out), counts

    def apply(self, doc: Document) -> str | None:
        text, counts = self.mask(doc.text)
        if counts:
            doc.text = text
            if self.annotate:
                doc.meta["pii"] = counts
        return None


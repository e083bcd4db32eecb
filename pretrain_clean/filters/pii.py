"""PII masking (``pii_mask``): replace e-mail addresses, phone numbers (Chinese mobile
numbers included), IP addresses and ID-card-like numbers with placeholders.

Yi (Young et al. 2024, Sec. 2.1) and YAYI 2 (Luo et al. 2023, Sec. 2.2) remove or anonymize
personal information with regular expressions; like the BigScience ROOTS and StarCoder
pipelines we replace rather than drop, so the document stays usable. The stage never drops;
it records how many spans it replaced per kind in ``doc.meta["pii"]``.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from typing import ClassVar

from pretrain_clean.pipeline.document import Document
from pretrain_clean.pipeline.stage import Stage

EMAIL_RE = re.compile(r"(?<![\w.+-])[\w.+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}(?![\w-])")
CN_ID_RE = re.compile(
    r"(?<![\dA-Za-z])[1-9]\d{5}(?:18|19|20)\d{2}(?:0[1-9]|1[0-2])(?:0[1-9]|[12]\d|3[01])\d{3}[\dXx](?![\dA-Za-z])"
)
"""18-digit PRC resident ID numbers: region, birth date YYYYMMDD, sequence, check digit."""
CN_MOBILE_RE = re.compile(r"(?<![\d+])(?:(?:\+|00)86[-\s]?)?1[3-9]\d(?:[-\s]?\d{4}){2}(?!\d)")
PHONE_RE = re.compile(
    r"(?<![\w+])(?:\+\d{1,3}[-.\s]?)?(?:\(\d{2,4}\)\s?|\d{2,4}[-.\s])\d{3,4}[-.\s]\d{3,4}(?![\w-])"
)
"""Grouped phone numbers: +1 (555) 123-4567, 010-8888-6666, 0755 1234 5678 (separators required)."""
IPV4_RE = re.compile(r"(?<![\d.])(?:(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)\.){3}(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(?![\d.]|\.\d)")
IPV6_RE = re.compile(r"(?<![\w:])(?:[0-9A-Fa-f]{1,4}:){7}[0-9A-Fa-f]{1,4}(?![\w:])")
NUMBERS_RE = re.compile(
    "(?=[\\d+(])(?:"
    + "|".join(f"(?P<{kind}>{rx.pattern})" for kind, rx in
               (("id", CN_ID_RE), ("ip", IPV4_RE), ("mobile", CN_MOBILE_RE), ("phone", PHONE_RE)))
    + ")"
)
"""ID numbers, IPv4 addresses and phone numbers in one pass; tried only where a digit, '+'
or '(' starts (IPv6 and e-mail addresses have their own passes, gated by ':' and '@')."""


def id_checksum_ok(number: str) -> bool:
    """ISO 7064 MOD 11-2 check digit of an 18-digit PRC ID number.

    >>> id_checksum_ok("11010519491231002X"), id_checksum_ok("110105194912310021")
    (True, False)
    """
    weights = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
    total = sum(int(d) * w for d, w in zip(number[:17], weights))
    return "10X98765432"[total % 11] == number[17].upper()


@dataclass
class PiiMask(Stage):
    """Replace PII spans with placeholders; never drops a document."""

    name: ClassVar[str] = "pii_mask"

    mask_emails: bool = True
    mask_phones: bool = True
    mask_ips: bool = True
    mask_id_numbers: bool = True
    id_require_checksum: bool = False
    """Mask only ID-like numbers whose check digit is valid (fewer false positives)."""
    email_placeholder: str = "<EMAIL>"
    phone_placeholder: str = "<PHONE>"
    ip_placeholder: str = "<IP>"
    id_placeholder: str = "<ID>"
    annotate: bool = True
    """Write counts per kind to ``doc.meta["pii"]`` when anything was replaced."""

    def mask(self, text: str) -> tuple[str, dict[str, int]]:
        """``text`` with PII replaced, and how many spans of each kind were replaced."""
        counts: dict[str, int] = {}

        def sub(kind: str, pattern: re.Pattern[str], placeholder: str, text: str, check=None) -> str:
            def repl(m: re.Match[str]) -> str:
                if check is not None and not check(m.group(0)):
                    return m.group(0)
                counts[kind] = counts.get(kind, 0) + 1
                return placeholder

            return pattern.sub(repl, text)

        if self.mask_emails and "@" in text:
            text = sub("email", EMAIL_RE, self.email_placeholder, text)
        if self.mask_ips and ":" in text:
            text = sub("ip", IPV6_RE, self.ip_placeholder, text)
        enabled = {"id": self.mask_id_numbers, "ip": self.mask_ips,
                   "mobile": self.mask_phones, "phone": self.mask_phones}
        if any(enabled.values()):
            placeholders = {"id": self.id_placeholder, "ip": self.ip_placeholder,
                            "mobile": self.phone_placeholder, "phone": self.phone_placeholder}

            def repl(m: re.Match[str]) -> str:
                kind = m.lastgroup or ""
                span = m.group(0)
                if not enabled[kind] or (kind == "id" and self.id_require_checksum and not id_checksum_ok(span)):
                    return span
                key = "phone" if kind == "mobile" else kind
                counts[key] = counts.get(key, 0) + 1
                return placeholders[kind]

            text = NUMBERS_RE.sub(repl, text)
        return text, counts

    def apply(self, doc: Document) -> str | None:
        text, counts = self.mask(doc.text)
        if counts:
            doc.text = text
            if self.annotate:
                doc.meta["pii"] = counts
        return None

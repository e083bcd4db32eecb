"""Words, lines, paragraphs and n-gram statistics, computed once per document.

Every rule reads these through ``doc.cached(...)`` so a document is split once, whatever
the number of rules. Splitting is regex based (no spaCy):

* English and other space-delimited text: :func:`tokenize` mimics the token boundaries of
  spaCy's blank English tokenizer (what datatrove's Gopher/FineWeb filters count), closely
  enough that keep/drop decisions match datatrove (see tests/test_datatrove_parity.py):
  punctuation split off words, ``n't``/``'s``-style clitics split, numbers like ``3,700``
  and initialisms like ``U.S.`` kept whole, URLs and e-mails kept whole.
* Chinese (Han) characters are one token each, so "word" counts of Chinese text are
  character counts and n-grams are character n-grams; Latin runs inside Chinese text stay
  words.

Language: :func:`is_chinese` trusts ``doc.meta["language"]`` when a language-ID stage set
it, and otherwise looks at the share of Han characters among letters.
"""
from __future__ import annotations

import re
from collections import Counter
from typing import Sequence

from datatrove.utils.text import PUNCTUATION_SET, TERMINAL_PUNCTUATION

from pipeline.document import Document

HAN = "\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\U00020000-\U0002fa1f"
HAN_RE = re.compile(f"[{HAN}]")
_NON_HAN_LETTER_RE = re.compile(f"[^\\W\\d_{HAN}]")
CHINESE_MIN_HAN_RATIO = 0.3
"""A document is Chinese when Han characters are at least this share of its letters."""

_W = f"[^\\W{HAN}]"  # a word character that is not a Han character
_L = f"[^\\W\\d_{HAN}]"  # a letter that is not a Han character
_CLITIC = r"['’](?:[sSmMdD]|re|RE|ve|VE|ll|LL)"
_ABBREV = (
    "Mr|Mrs|Ms|Dr|Prof|Rev|Gen|Gov|Sen|Rep|Adm|Messrs|St|Mt|Jr|Sr|vs|Inc|Ltd|Co|co|Corp|Bros"
    "|Jan|Feb|Mar|Apr|Jun|Jul|Aug|Sep|Sept|Oct|Nov|Dec|Ala|Ariz|Ark|Calif|Colo|Conn|Del|Fla|Ga"
    "|Ill|Ind|Kan|Kans|Ky|La|Mass|Md|Mich|Minn|Miss|Mo|Mont|Neb|Nebr|Nev|Okla|Ore|Pa|Tenn|Va"
    "|Wash|Wis|[A-Za-z]"
)
_NT_STEMS = "(?i:do|does|did|is|are|was|were|has|have|had|could|would|should|must|need|might|ca|wo|ai|sha)"
_UNITS = "km|cm|mm|dm|m|kg|mg|g|lb|oz|ft|yd|in|mph|kmh|ha|nm|MB|KB|GB|TB|mb|kb|gb|tb|hPa|Pa|%"
_GLUE = (  # inner characters spaCy does not split between word characters
    r"(?:['’](?!(?:[sSmMdD]|re|ve|ll)(?!\w))"
    r"|(?<![a-z])\.(?!\.)|(?<!\.)\.(?![A-Z.])"
    r"|(?<![^\W\d_]),|,(?![^\W\d_])"
    r"|[:<>=/](?![^\W\d_])"
    r"|(?<!\d)[-~](?=\d)"
    r"|(?<!\d)[+*^]|[+*^](?![\d-])"
    rf"|[^\s\w.,:<>=/+*^~'’…\-–—©®°{HAN}\u2190-\u2bff\U0001F000-\U0001FAFF])"
)
_WORD = rf"(?:(?<!\S)[/\\|^@~-]+)?{_W}+(?:{_GLUE}+{_W}+)*(?:[/\\|^@=~-]+(?!\S))?"
TOKEN_RE = re.compile(
    rf"""
    (?:https?://|www\.)\S+?(?=[.,;:!?)\]}}"'’”]*(?:\s|$))       # URL, trailing punctuation split
    |[\w.+-]+@{_W}[\w-]*(?:\.[\w-]+)+                             # e-mail
    |\.\.+|…|-{{2,}}|—{{2,}}                                     # ellipsis, dashes
    |\):(?!\w)|(?<!\w)(?:8\)|:\)|:\(|;\)|:-\)|:P|:D|<3)(?!\w)      # emoticons spaCy keeps
    |(?:{_L}\.){{2,}}(?:{_L}\b)?                                   # initialisms: U.S., e.g., a.b
    |(?<!\S)and/or(?!\w)
    |(?<![\w.])(?:{_ABBREV})\.(?!\w)                               # Mr. Jan. C. v.
    |(?<![\w'’]){_NT_STEMS}(?=[nN]['’]?[tT](?!\w))                 # do|n't, do|nt
    |[nN]['’][tT](?!\w)
    |(?<![\w'’])(?i:can)(?=not(?!\w))|(?<![\w'’])go(?=nna(?!\w))|(?<![\w'’])got(?=ta(?!\w))
    |(?<=\w){_CLITIC}(?!\w)                                        # Smith|'s, I|'m
    |(?:(?<!\S)\+)?\d+(?:[.,:/]\d+)*(?=(?:{_UNITS})(?!\w))         # 16|mm, 5|%
    |(?<![\w:.])(?:1[0-2]|[1-9])(?=(?:[ap]m|[ap]\.m\.)(?!\w))     # 9|pm
    |(?:(?<!\S)\+)?\d+(?:[.,:/]\d+)*(?![\w@]|{_GLUE}{_W})          # numbers: 3,700 10:30 1/2
    |\d{_W}*(?:{_GLUE}+{_W}+)*                                     # 5th 10:30am 501(c)(3
    |{_WORD}                                                       # words, with glued inner marks
    |[{HAN}]                                                       # one Han character
    |\S                                                            # any other character alone
    """,
    re.X,
)


def tokenize(text: str) -> list[str]:
    """Split ``text`` into words and punctuation tokens (spaCy-English-like, Han per char).

    >>> tokenize("Mr. Smith's dog didn't bark, 3,700 times... U.S. 中文 well-known")
    ['Mr.', 'Smith', "'s", 'dog', 'did', "n't", 'bark', ',', '3,700', 'times', '...', 'U.S.', '中', '文', 'well', '-', 'known']
    """
    return TOKEN_RE.findall(text)


def is_chinese_text(text: str) -> bool:
    """True when Han characters make up at least 30% of the letters of ``text``.

    >>> is_chinese_text("新华社北京电 Xinhua"), is_chinese_text("Hello 你")
    (True, False)
    """
    if HAN_RE.search(text) is None:
        return False
    han = len(HAN_RE.findall(text))
    other = len(_NON_HAN_LETTER_RE.findall(text))
    return han >= CHINESE_MIN_HAN_RATIO * (han + other)


def is_chinese(doc: Document) -> bool:
    """Chinese by ``meta["language"]`` (set by language ID) or else by Han-character share."""
    lang = doc.meta.get("language")
    if isinstance(lang, str) and lang:
        return lang.lower().startswith(("zh", "cmn", "yue", "wuu"))
    return doc.cached("is_chinese", lambda d: is_chinese_text(d.text))


def lines(doc: Document) -> list[str]:
    """``text.splitlines()``, cached."""
    return doc.cached("lines", lambda d: d.text.splitlines())


def line_tokens(doc: Document) -> list[list[str]]:
    """Tokens of each line of :func:`lines` (tokens never cross a line break)."""
    return doc.cached("line_tokens", lambda d: [TOKEN_RE.findall(line) for line in lines(d)])


def words(doc: Document) -> list[str]:
    """All tokens of the document, punctuation tokens included (as datatrove counts)."""

    def compute(d: Document) -> list[str]:
        out: list[str] = []
        for toks in line_tokens(d):
            out += toks
        return out

    return doc.cached("words", compute)


def is_symbol_word(word: str) -> bool:
    """True when every character is punctuation (datatrove's PUNCTUATION_SET).

    >>> is_symbol_word("..."), is_symbol_word("a.")
    (True, False)
    """
    return all(ch in PUNCTUATION_SET for ch in word)


def non_symbol_words(doc: Document) -> list[str]:
    """Words with at least one non-punctuation character."""
    return doc.cached("non_symbol_words", lambda d: [w for w in words(d) if not is_symbol_word(w)])


def paragraphs(doc: Document) -> list[str]:
    """Paragraphs: the stripped text split on runs of two or more newlines (Gopher)."""
    return doc.cached("paragraphs", lambda d: re.split(r"\n{2,}", d.text.strip()))


def word_ids(doc: Document) -> tuple[list[int], list[int]]:
    """Words as small integer ids plus their lengths, for fast n-gram counting."""

    def compute(d: Document) -> tuple[list[int], list[int]]:
        vocab: dict[str, int] = {}
        ids = [vocab.setdefault(w, len(vocab)) for w in words(d)]
        return ids, [len(w) for w in words(d)]

    return doc.cached("word_ids", compute)


def find_duplicates(items: Sequence[str]) -> tuple[int, int]:
    """Number of repeated items and their characters, first occurrences excluded.

    >>> find_duplicates(["a", "bb", "a", "bb", "c"])
    (2, 3)
    """
    seen: set[str] = set()
    dup_items = dup_chars = 0
    for item in items:
        if item in seen:
            dup_items += 1
            dup_chars += len(item)
        else:
            seen.add(item)
    return dup_items, dup_chars


def _ngrams(ids: list[int], n: int) -> list[tuple[int, ...]]:
    return list(zip(*(ids[k:] for k in range(n))))


def top_ngram_chars(ids: list[int], lengths: list[int], n: int) -> int:
    """Characters covered by the most frequent word n-gram (joined with spaces) times its count.

    Ties go to the n-gram seen first, as ``Counter.most_common`` does.

    >>> top_ngram_chars([0, 1, 0, 1, 2], [3, 2, 3, 2, 1], 2)  # "aaa bb" twice
    12
    """
    grams = _ngrams(ids, n)
    if not grams:
        return 0
    gram, count = Counter(grams).most_common(1)[0]
    start = grams.index(gram)
    return (sum(lengths[start : start + n]) + n - 1) * count


def dup_ngram_chars(ids: list[int], lengths: list[int], n: int) -> int:
    """Characters in repeated word n-grams, overlaps counted once (Gopher, datatrove's loop).

    Scans left to right; a repeat of an n-gram seen at a visited position adds its
    characters and jumps past it. Positions whose n-gram occurs once are skipped in bulk.

    >>> dup_ngram_chars([0, 1, 2, 0, 1, 2, 3], [1, 1, 1, 1, 1, 1, 1], 3)
    3
    """
    grams = _ngrams(ids, n)
    counts = Counter(grams)
    if len(counts) == len(grams):
        return 0
    seen: set[tuple[int, ...]] = set()
    repeated = 0
    nxt = 0
    for pos, gram in enumerate(grams):
        if pos < nxt or counts[gram] == 1:
            continue
        if gram in seen:
            repeated += sum(lengths[pos : pos + n])
            nxt = pos + n
        else:
            seen.add(gram)
    return repeated


def ends_with_terminal(line: str) -> bool:
    """True when ``line`` ends in a terminal punctuation mark (datatrove's list, all scripts)."""
    return bool(line) and line[-1] in TERMINAL_PUNCTUATION

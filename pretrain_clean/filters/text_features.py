"""Words, lines, paragraphs and n-gram statistics, computed once per document.

Every rule reads these through ``doc.cached(...)`` so a document is split once, whatever
the number of rules. Splitting is regex based (no spaCy):

* English and other space-delimited text: :func:`tokenize` mimics the token boundaries of
  spaCy's blank English tokenizer (what datatrove's Gopher/FineWeb filters count), closely
  enough that keep/drop decisions match datatrove (see tests/test_datatrove_parity.py):
  punctuation split off words, ``n't``/``'s``-style clitics split, numbers like ``3,700``
  and initialisms like ``U.S.`` kept whole, URLs and e-mails kept whole.
* Chinese (Han) text: with the ``"char"`` unit every Han character is a token, so "word"
  counts of Chinese text are character counts and n-grams are character n-grams; with
  ``"jieba"`` runs of Han characters are cut into words (:mod:`filters.segment`). Latin
  runs inside Chinese text stay words either way.
* Characters of an n-gram in a text with Han characters are counted as written: a joining
  character only where whitespace separates two tokens (datatrove joins every n-gram with
  spaces, which inflates Chinese n-grams by up to 80%). Texts without Han characters keep
  datatrove's count, so English decisions stay identical to datatrove's.

Language: :func:`is_chinese` trusts ``doc.meta["language"]`` when a language-ID stage set
it, and otherwise looks at the share of Han characters among letters.
"""
from __future__ import annotations

import re
from collections import Counter
from typing import NamedTuple, Sequence

from pretrain_clean.filters.punctuation import PUNCTUATION_SET

from pretrain_clean import native
from pretrain_clean.filters import cjk
from pretrain_clean.filters.cjk import HAN, HAN_RE
from pretrain_clean.filters.ngrams import NgramStats, ngram_stats
from pretrain_clean.filters.segment import segmenter
from pretrain_clean.pipeline.document import Document

_PUNCT = frozenset(PUNCTUATION_SET)
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
_WORD = rf"(?:(?<!\S)[/\\|^@~\x00-\x08\x0e-\x1b\x7f-]+)?{_W}+(?:{_GLUE}+{_W}+)*(?:[/\\|^@=~-]+(?!\S))?"
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
_HAN_SPLIT_RE = re.compile(f"([{HAN}]+)")
_MARK_RUN_RE = re.compile(r"([^\w\s])\1")


_SLOW_WORDS = frozenset(
    w for base in ("dont doesnt didnt isnt arent wasnt werent hasnt havent hadnt couldnt wouldnt "
                   "shouldnt mustnt neednt mightnt cant wont aint shant cannot gonna gotta").split()
    for w in (base, base.capitalize(), base.upper())
)
"""Letter-only words that spaCy splits (exceptions); they take the regex path."""
_ABBREV_SET = frozenset(_ABBREV.replace("|[A-Za-z]", "").split("|"))
_END_PUNCT = frozenset(",.;:!?)]}\"'”’")


CHUNK_CACHE_SIZE = 65_536
"""Most distinct whitespace-delimited chunks whose tokens a process keeps (then it starts
over): tens of MB at most. spaCy's tokenizer caches the same way, per space-delimited
substring; web text reuses a small head of word forms for most of its chunks."""


def tokenize(text: str) -> list[str]:
    """Split ``text`` into words and punctuation tokens (spaCy-English-like, Han per char).

    Tokens never cross whitespace, so each whitespace-delimited chunk is split on its own
    (:func:`tokenize_chunk`) and its tokens are cached (:data:`CHUNK_CACHE_SIZE`) by
    ``_chunks.ChunkCache`` (C): a chunk seen before costs a hash and a compare.

    >>> tokenize("Mr. Smith's dog didn't bark, 3,700 times... U.S. 中文 well-known")
    ['Mr.', 'Smith', "'s", 'dog', 'did', "n't", 'bark', ',', '3,700', 'times', '...', 'U.S.', '中', '文', 'well', '-', 'known']
    >>> tokenize("(cannot) stop.")
    ['(', 'can', 'not', ')', 'stop', '.']
    """
    return _CHUNKS.tokens(text)


def tokenize_chunk(chunk: str) -> tuple[str, ...]:
    """The tokens of one whitespace-free ``chunk`` (see :func:`tokenize`).

    Plain ASCII words, with or without one trailing mark, skip the regex (most chunks).

    >>> tokenize_chunk("didn't"), tokenize_chunk("bark,"), tokenize_chunk("Mr.")
    (('did', "n't"), ('bark', ','), ('Mr.',))
    """
    if chunk.isascii():
        if chunk.isalpha():
            return tuple(TOKEN_RE.findall(chunk)) if chunk in _SLOW_WORDS else (chunk,)
        stem = chunk[:-1]
        last = chunk[-1]
        if last in _END_PUNCT and stem.isalpha() and stem not in _SLOW_WORDS:
            if last == "." and (len(stem) == 1 or stem in _ABBREV_SET):
                return (chunk,)
            return (stem, last)
    return tuple(TOKEN_RE.findall(chunk))


def count_words(tokens: Sequence[str]) -> tuple[int, int, int]:
    """Words with a non-punctuation character, their characters, and words with a letter:
    summed per document from its chunks' counts (``ChunkCache.tokens_counted``), once per chunk.

    >>> count_words(("Mr.", "...", "3,700", "dog"))
    (3, 11, 2)
    """
    content = [t for t in tokens if not _PUNCT.issuperset(t)]
    return len(content), sum(map(len, content)), sum(1 for t in tokens if any(ch.isalpha() for ch in t))


ChunkCache = native.load("filters._chunks", 2).ChunkCache
_CHUNKS = ChunkCache(tokenize_chunk, CHUNK_CACHE_SIZE, count_words)


def tokenize_cjk(text: str, unit: str = "char") -> tuple[list[str], list[int]]:
    """Tokens of a text with Han characters, and the characters joining each token to the
    next as written (``gaps[i]`` between token ``i`` and ``i + 1``).

    Han runs are cut by the ``unit``'s segmenter (one token per character for ``"char"``);
    the text between them is split by :func:`tokenize`, and a run of one repeated mark is
    one token (:func:`merge_mark_runs`). These are :func:`tokenize`'s tokens except around
    URLs or e-mail addresses glued to Han characters. A gap is 0 between tokens written
    together and 1 where whitespace separates them (datatrove joins every pair with a
    space; this is the text as written).

    >>> tokenize_cjk("工作人员，very good!!")
    (['工', '作', '人', '员', '，', 'very', 'good', '!!'], [0, 0, 0, 0, 0, 1, 0])
    >>> tokenize_cjk("工作人员说 3.5G网络", "jieba")
    (['工作人员', '说', '3.5G', '网络'], [0, 1, 0])
    """
    cut = segmenter(unit)
    tokens: list[str] = []
    gaps: list[int] = []
    for chunk in text.split():
        if tokens:
            gaps.append(1)
        if HAN_RE.search(chunk) is None:
            found = tokenize(chunk)
        else:
            found = []
            for i, part in enumerate(_HAN_SPLIT_RE.split(chunk)):
                if i % 2:
                    found += cut(part)
                elif len(part) == 1:  # mostly one Chinese punctuation mark
                    found.append(part)
                elif part:
                    found += tokenize(part)
        if _MARK_RUN_RE.search(chunk):
            found = merge_mark_runs(found)
        gaps += [0] * (len(found) - 1)
        tokens += found
    return tokens, gaps


def merge_mark_runs(tokens: list[str]) -> list[str]:
    """Join runs of one repeated mark into one token, as spaCy keeps "...." whole: Chinese
    writers type an ellipsis as "。。。。。。" or "......" and stress with "！！！".

    >>> merge_mark_runs(["好", "。", "。", "。", "！", "！", "a", "a"])
    ['好', '。。。', '！！', 'a', 'a']
    """
    out: list[str] = []
    for tok in tokens:
        if out and len(tok) == 1 and not tok.isalnum() and out[-1][0] == tok and out[-1] == tok * len(out[-1]):
            out[-1] += tok
        else:
            out.append(tok)
    return out


def visible_length(text: str) -> int:
    r"""Characters that are not whitespace (``str.isspace``), at C speed.

    >>> visible_length(" 中文 ab\n\u3000c ")
    5
    """
    return len("".join(text.split()))


def is_chinese_text(text: str) -> bool:
    """True when Han characters make up at least 30% of the letters of ``text``.

    >>> is_chinese_text("新华社北京电 Xinhua"), is_chinese_text("Hello 你")
    (True, False)
    """
    if not cjk.has_han(text):
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


def words(doc: Document, unit: str = "char") -> list[str]:
    """All tokens of the document, punctuation tokens included (as datatrove counts).

    Tokens never cross whitespace, so these are also the tokens of each line in turn.
    ``unit`` is the word unit of Han text (:mod:`filters.segment`); it changes nothing for
    a text without Han characters.
    """
    if unit == "char" or not has_han(doc):
        return _counted_words(doc)[0]
    return _cjk_tokens(doc, unit)[0]


def has_han(doc: Document) -> bool:
    """True when the text has a Han character, cached."""
    return doc.cached("has_han", lambda d: cjk.has_han(d.text))


def _cjk_tokens(doc: Document, unit: str) -> tuple[list[str], list[int]]:
    return doc.cached(f"cjk_tokens:{unit}", lambda d: tokenize_cjk(d.text, unit))


def is_symbol_word(word: str) -> bool:
    """True when every character is punctuation (datatrove's PUNCTUATION_SET).

    >>> is_symbol_word("..."), is_symbol_word("a.")
    (True, False)
    """
    return _PUNCT.issuperset(word)


def _counted_words(doc: Document) -> tuple[list[str], tuple[int, int, int]]:
    """:func:`tokenize`'s tokens and :func:`count_words` over them, in one pass, cached."""
    return doc.cached("words", lambda d: _CHUNKS.tokens_counted(d.text))


def non_symbol_words(doc: Document) -> tuple[int, int]:
    """Number and total length of words with a non-punctuation character, cached."""
    n, chars, _ = _counted_words(doc)[1]
    return n, chars


def alpha_word_count(doc: Document) -> int:
    """Number of words with at least one letter, cached."""
    return _counted_words(doc)[1][2]


def word_counts(doc: Document, unit: str = "char") -> Counter[str]:
    """How often each token occurs, cached (per-word checks then run once per distinct word)."""
    if unit == "char" or not has_han(doc):
        return doc.cached("word_counts", lambda d: Counter(words(d)))
    return doc.cached(f"word_counts:{unit}", lambda d: Counter(words(d, unit)))


def word_tokens(doc: Document, unit: str = "char") -> tuple[list[str], list[int] | None]:
    """Tokens for n-gram counting and the joining characters between consecutive tokens as
    written (None: one space each, a text without Han characters)."""
    if has_han(doc):
        return _cjk_tokens(doc, unit)
    return words(doc), None


def find_duplicates(items: Sequence[str]) -> tuple[int, int]:
    """Number of repeated items and their characters, first occurrences excluded.

    >>> find_duplicates(["a", "bb", "a", "bb", "c"])
    (2, 3)
    """
    if len(set(items)) == len(items):  # most documents: nothing repeats, at C speed
        return 0, 0
    seen: set[str] = set()
    dup_items = dup_chars = 0
    for item in items:
        if item in seen:
            dup_items += 1
            dup_chars += len(item)
        else:
            seen.add(item)
    return dup_items, dup_chars


def doc_ngram_stats(doc: Document, max_n: int = 10, unit: str = "char") -> NgramStats:
    """:func:`ngram_stats` of the document's words (Han words per ``unit``), cached."""

    def compute(d: Document) -> NgramStats:
        tokens, gaps = word_tokens(d, unit)
        return ngram_stats(tokens, max_n, gaps)

    return doc.cached(f"ngram_stats{max_n}:{unit}", compute)

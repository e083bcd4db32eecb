"""normalize: each step on real-looking input, options, and the only drop (empty result)."""
from __future__ import annotations

import pytest

from pretrain_clean.filters.normalize import Normalize, clean_whitespace, nfkc_keep_punct
from pretrain_clean.pipeline.document import Document


def norm(text: str, **kwargs: object) -> tuple[str | None, str]:
    stage = Normalize(**kwargs)
    stage.setup()
    doc = Document("n", text)
    return stage.apply(doc), doc.text


def test_plain_text_is_unchanged() -> None:
    text = "A plain English paragraph.\n\nAnother one, with a list:\n- item"
    assert norm(text) == (None, text)


def test_mojibake_is_repaired() -> None:
    assert norm("The cafÃ© said donâ€™t wait")[1] == "The café said don’t wait"
    assert norm("The cafÃ© said", fix_mojibake=False)[1] == "The cafÃ© said"


def test_html_entities_and_leftover_tags() -> None:
    reason, text = norm("Fish &amp; chips &lt;3 <b>today</b><br/>only<script>var x = 1;</script> a < b > c")
    assert reason is None
    assert text == "Fish & chips <3 todayonly a < b > c"
    assert norm("<p>kept</p>", strip_html_tags=False)[1] == "<p>kept</p>"


def test_nfkc_folds_fullwidth_forms_but_keeps_chinese_punctuation() -> None:
    text = "新华社消息，ＡＩ大会在北京举行！参会人数达１２００人。"
    assert norm(text)[1] == "新华社消息，AI大会在北京举行！参会人数达1200人。"
    assert norm(text, keep_fullwidth_punct_chinese=False)[1] == "新华社消息,AI大会在北京举行!参会人数达1200人。"
    # English text gets ordinary NFKC
    assert norm("ﬁne ＡＢＣ，ok")[1] == "fine ABC,ok"
    assert norm("ＡＢＣ", unicode_form=None)[1] == "ＡＢＣ"


def test_invisible_and_control_characters_are_removed() -> None:
    assert norm("zero\u200bwidth\ufeff soft\u00adhyphen\x07 bell")[1] == "zerowidth softhyphen bell"


def test_whitespace_and_newlines() -> None:
    assert norm("a\r\nb\u3000\u3000c\t d  \n\n\n\n\ne  ")[1] == "a\nb c d\n\ne"
    assert clean_whitespace("x\n\n\n\ny", max_blank_lines=0) == "x\ny"


def test_traditional_to_simplified_is_optional() -> None:
    text = "這是一個關於經濟發展的報導。"
    assert norm(text)[1] == text
    assert norm(text, traditional_to_simplified=True)[1] == "这是一个关于经济发展的报导。"
    # only Chinese documents are converted
    english = "Taipei 臺北 is mentioned once in this English sentence about travel plans."
    assert norm(english, traditional_to_simplified=True)[1] == english


@pytest.mark.parametrize("text", ["", "   ", "\u200b\u200b", "<br/><p></p>", "\n\t\n"])
def test_empty_after_normalization_is_the_only_drop(text: str) -> None:
    assert norm(text)[0] == "empty_after_normalization"


def test_one_line_and_symbols_pass() -> None:
    assert norm("!!! ### ***") == (None, "!!! ### ***")
    assert norm("Mixed 中英文 text，一行。")[0] is None


def test_nfkc_keep_punct_helper() -> None:
    assert nfkc_keep_punct("（注）：１") == "（注）：1"


def test_fullwidth_symbols_fold_in_chinese_text() -> None:
    # only punctuation Chinese is written with stays full-width; symbols fold, and a full-width
    # stop between ASCII letters or digits is a dot, so a full-width e-mail address or number
    # is plain again (real review: ...回复。ＣＨＵＮＬＩＮＧ２１９＠ＳＯＨＵ．ＣＯＭ)
    text = "请回复。ＣＨＵＮＬＩＮＧ２１９＠ＳＯＨＵ．ＣＯＭ，涨幅１２．５％～２０％！｢好｣､对"
    assert norm(text)[1] == "请回复。CHUNLING219@SOHU.COM，涨幅12.5%～20%！「好」、对"
    # as a sentence end (real reviews use it for 。) it stays
    assert norm("让人惊醒．唉！了解是不是太少了．")[1] == "让人惊醒．唉！了解是不是太少了．"


def test_c1_controls_repaired_only_as_part_of_a_windows_1252_line() -> None:
    # a line that is windows-1252 read as Latin-1 is repaired by ftfy's encoding fix
    assert norm("don\x92t")[1] == "don’t"
    assert norm("Wait\x85 what")[1] == "Wait... what"  # … then NFKC
    # a lone C1 control elsewhere is removed, not mapped to a windows-1252 character
    assert norm("中文\x84测试")[1] == "中文测试"
    assert norm("中文\x84测试 cafÃ©")[1] == "中文测试 café"  # also when ftfy repairs mojibake
    assert norm("中文\x85测试")[1] == "中文\n测试"  # NEL is a line break (Unicode, str.splitlines)
    assert norm("don\x92t", fix_mojibake=False)[1] == "dont"


@pytest.mark.parametrize("mojibake", ["", " cafÃ©"])
def test_format_characters_are_removed_with_or_without_mojibake(mojibake: str) -> None:
    # U+FFFC object replacement, U+FFF9-FFFB annotation marks, U+206A-206F deprecated format
    # characters: ftfy's remove_control_chars list, removed on every text (ftfy runs only on
    # texts with mojibake hints)
    tail = mojibake.replace("cafÃ©", "café")
    assert norm(f"a\ufffcb\u206ac\ufff9d\u206fe{mojibake}")[1] == f"abcde{tail}"
    assert norm(f"a\x0bb\x1cc{mojibake}")[1] == f"a\nb\nc{tail}"  # line breaks, not removed


def test_zero_width_joiner_kept_only_where_it_joins() -> None:
    emoji = "coder 👩\u200d💻 family 👨\u200d👩\u200d👧"
    assert norm(emoji)[1] == emoji
    devanagari = "क्\u200dष and فارسی\u200cها"
    assert norm(devanagari)[1] == devanagari
    # next to Latin, digits, spaces or Han it joins nothing: removed (免费 obfuscated)
    assert norm("免\u200d费 free\u200cdom 12\u200d3 \u200dx")[1] == "免费 freedom 123 x"


def test_ftfy_tests_of_datatrove() -> None:
    """datatrove tests/pipeline/filters/test_formatters.py, TestFTFYFormatter (all 5 agree)."""
    assert "\u00e2" not in norm("l\u00e2\u0080\u0099intelligence")[1]  # test_fixes_mojibake_encoding
    assert norm("l\u00e2\u0080\u0099intelligence")[1] == "l’intelligence"
    assert "\x00" not in norm("hello\x00world")[1]  # test_removes_control_chars (+ run pipeline)
    text = "Hello, this is a normal sentence."
    assert norm(text)[1] == text  # test_preserves_normal_text
    assert ">" in norm("price &gt; 10")[1]  # test_unescape_html_entities

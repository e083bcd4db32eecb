"""pii_mask: what is masked, what is not (precision on real shapes), options, edge cases.

Peer test cases (datatrove, data-juicer) are in test_pii_peers.py.
"""
from __future__ import annotations

import pytest

from pretrain_clean.filters.pii import PiiMask, id_checksum_ok, plausible_id, plausible_phone, public_ip
from pretrain_clean.pipeline.document import Document


def masked(text: str, **kwargs: object) -> str:
    return PiiMask(**kwargs).mask(text)[0]


def test_masks_each_kind_and_never_drops() -> None:
    doc = Document("p", "请联系 13812345678 或 +86 139-1234-5678，邮箱 li.lei@example.com.cn。"
                        " Call (555) 123-4567, server 8.8.8.8, ID 11010519491231002X.")
    assert PiiMask().apply(doc) is None
    assert doc.text == "请联系 <PHONE> 或 <PHONE>，邮箱 <EMAIL>。 Call <PHONE>, server <IP>, ID <ID>."
    assert doc.meta["pii"] == {"email": 1, "id": 1, "ip": 1, "phone": 3}


@pytest.mark.parametrize("text", [
    # runs of years: 255 of 259 "phone" masks on the real sample before (issue 11)
    "Born 1897 1898 1899 in Vienna", "seasons 1999 2000 2001 2002", "call 2019 2020",
    # space-grouped thousands
    "Population 12 345 678", "Einwohner: 3 645 000", "Tel 12 345 678",
    # versions, DOIs, dates, ISBNs, prices, scores, ranges
    "version 10.1234.5678", "v1.2.3.4.5", "doi:10.1038/nphys1170", "https://doi.org/10.1234/5678.9012",
    "2008-06-09 11:40", "9/16/2001", "ISBN 978-3-16-148410-0", "3,700 units at 12.50", "won 2-1", "1999-2003",
    # ten or eleven bare digits that are not a Chinese mobile; an order number after a phone word
    "order 3456789012 shipped", "15000000000 yuan", "电话 订单 174208675",
    # no Chinese mobile starts 12, no Chinese local number starts 0 or 1
    "编号12812345678", "代码 010-12345678",
    # private IPs (datatrove's default) and numbers shaped like one but invalid
    "router 192.168.1.1, host 10.0.0.254, loopback 127.0.0.1", "999.999.999.999",
    # a QQ group, QQ's products, a 4-digit number, no account word right before
    "加QQ群：123456789", "QQ音乐 2019", "QQ 1234", "QQ空间 8888888", "微信支付 200元",
    # ID-shaped: wrong check digit, impossible date, unknown province
    "身份证 110105194912310021", "身份证 110105194902300023", "身份证 990105194912310023",
])
def test_not_pii_is_left_alone(text: str) -> None:
    doc = Document("p", text)
    assert PiiMask().apply(doc) is None
    assert doc.text == text and "pii" not in doc.meta


@pytest.mark.parametrize(("text", "expected"), [
    ("手机：138 1234 5678", "手机：<PHONE>"),
    ("手机13812345678", "手机<PHONE>"),
    ("电话：010-88886666转123", "电话：<PHONE>转123"),
    ("(0755)88886666", "<PHONE>"),
    ("+86 10 8888 6666", "<PHONE>"),
    ("客服 400-711-6699。", "客服 <PHONE>。"),
    ("Tel. 020 7393 1500 E-mail", "Tel. <PHONE> E-mail"),
    ("Tel: +32 (0)2 790 75 75", "Tel: <PHONE>"),
    ("Telefon +49 (0)40 / 49 07 11 06", "Telefon <PHONE>"),
    ("call 555-1234 now", "call <PHONE> now"),
    ("电话：075588886666。", "电话：<PHONE>。"),  # a bare run right after a phone word
    ("Fax 0307393150", "Fax <PHONE>"),
    ("555.123.4567 or +1 415 555 0100", "<PHONE> or <PHONE>"),
    ("+44 20 7946 0958", "<PHONE>"),
    ("ID 11010519491231002X.", "ID <ID>."),
    ("身份证号码：440304199001010011", "身份证号码：<ID>"),
    ("mail me at a.b+c@mail.example.org.", "mail me at <EMAIL>."),
    ("邮箱123@qq.com", "邮箱<EMAIL>"),
    ("Via @b2c@wien.rocks, there", "Via @<EMAIL>, there"),  # fediverse handle, as datatrove
    ("email@123.123.123.123 and email@[8.8.8.8]", "<EMAIL> and <EMAIL>"),
    ("2001:4860:4860:0000:0000:0000:0000:8888", "<IP>"),
    ("要的请加QQ：63410093，谢谢", "要的请加QQ：<ACCOUNT>，谢谢"),
    ("联系我呗qq42950063", "联系我呗qq<ACCOUNT>"),
    ("微信号：abc_12345 谢谢", "微信号：<ACCOUNT> 谢谢"),
    ("WeChat: Lily_2020!", "WeChat: <ACCOUNT>!"),
])
def test_pii_is_masked(text: str, expected: str) -> None:
    assert masked(text) == expected


@pytest.mark.parametrize("text", [
    # the separator between digit groups is what tells a phone from a bare number: each of
    # these would be masked if a phone pattern made its separator optional
    "account 2125551234 closed", "ref 0755888866669", "code 01088886666",
    "num 4157393150", "+1415", "+86 1",
    # after a phone word: 22 digits are no phone number (E.164: at most 15)
    "Tel 0307393150012345678",
])
def test_bare_digit_runs_are_not_phones(text: str) -> None:
    assert masked(text) == text


def test_email_is_masked_whole_or_not_at_all() -> None:
    for text in ("email..email@example.com", "email@example@example.com", "niè.x@example.com",
                 "a@b@c.com", "email@example..com", "email@-example.com", "x@example"):
        assert masked(text) == text, text
    # a Chinese character may touch an address; a Latin letter may not
    assert masked("联系li@example.com") == "联系<EMAIL>"
    assert masked("éli@example.com") == "éli@example.com"
    # an address inside an IP-literal is one e-mail, never e-mail@<IP> or <PHONE>
    assert masked("email@8.8.8.8") == "<EMAIL>"


def test_email_tld_has_two_letters_or_more() -> None:
    assert masked("a@b.c") == "a@b.c"
    assert masked("a@b.co") == "<EMAIL>"
    assert masked("a@b.c0m") == "a@b.c0m"


def test_id_check_digit_and_birth_date() -> None:
    assert id_checksum_ok("11010519491231002X") and not id_checksum_ok("110105194912310021")
    # every weight of GB 11643-1999 counts: this number has no zero among its first 17 digits
    assert id_checksum_ok("441523198712254326")
    assert [id_checksum_ok("441523198712254326"[:17] + d) for d in "0123456789X"].count(True) == 1
    assert not plausible_id("110105194912310021")  # the check digit is required by default
    assert id_checksum_ok("11010519491231002x")  # lower-case x
    assert plausible_id("11010519491231002X")
    assert not plausible_id("110105194902300023", require_checksum=False)  # 30 February
    assert plausible_id("110105200002290023", require_checksum=False)  # 2000 is a leap year
    assert not plausible_id("110105190002290026", require_checksum=False)  # 1900 is not
    # without the check-digit requirement, any real date in a province's range is masked
    assert masked("身份证 110105194912310021", id_require_checksum=False) == "身份证 <ID>"
    assert masked("身份证 110105194912310021") == "身份证 110105194912310021"


@pytest.mark.parametrize(("span", "ok"), [
    ("12 34 5", False), ("12 34 56", True),  # 6 digits: the least without a '+'
    ("+1 234 567", False), ("+1 234 5678", True),  # 8 with one
    ("+123 4567 8901 2345", True), ("+123 4567 8901 23456", False),  # E.164: at most 15
    ("2100 2100", False), ("2101 2100", True),  # years run from 1000 to 2100
    ("1000 1001", False), ("0999 1000", True),
    ("999 345 678", False), ("999-345-678", True),  # thousands have spaces only
    ("0000 8888 8888", False), ("0000 8888 8887", True),  # last 8 digits one repeated digit
    # the 8-digit minimum after a '+' counts the country code; shapes chosen so no other rule decides
    ("+1 23 4567", False), ("+1 23 45678", True), ("12 345", False), ("12 3456", True),
    ("+44 1999 2000 2001", False), ("+44 1999 2000", False),  # runs of years after a country code
    ("1234 567 890", True), ("12 3456 789", True),  # not thousands: a 4-digit group
])
def test_plausible_phone_at_its_limits(span: str, ok: bool) -> None:
    assert plausible_phone(span) is ok


def test_options_and_edge_cases() -> None:
    assert PiiMask().mask("") == ("", {})
    assert masked("a@b.com", mask_emails=False) == "a@b.com"
    assert masked("call 555-1234", mask_phones=False) == "call 555-1234"
    assert masked("8.8.8.8", mask_ips=False) == "8.8.8.8"
    assert masked("ID 11010519491231002X", mask_id_numbers=False) == "ID 11010519491231002X"
    assert masked("QQ 63410093", mask_accounts=False) == "QQ 63410093"
    assert masked("QQ 63410093", account_placeholder="[qq]") == "QQ [qq]"
    assert masked("host 10.0.0.254", ip_public_only=False) == "host <IP>"
    assert masked("a@b.com 8.8.8.8", email_placeholder="", ip_placeholder="[ip]") == " [ip]"
    doc = Document("p", "a@b.com")
    PiiMask(annotate=False).apply(doc)
    assert doc.text == "<EMAIL>" and "pii" not in doc.meta


def test_public_ip_is_false_for_what_is_not_an_address() -> None:
    assert public_ip("999.1.1.1") is False
    assert public_ip("2001:4860:4860::8888") is True and public_ip("fe80::1") is False


@pytest.mark.parametrize(("text", "expected"), [
    ("DNS 2606:4700:4700::1111 and [2a00:1450:4001:82a::200e]:443", "DNS <IP> and [<IP>]:443"),
    ("身份证号：110105491231002，", "身份证号：<ID>，"),
    ("身份证号码 110105491231002", "身份证号码 <ID>"),
    ("公民身份号码:110105491231002", "公民身份号码:<ID>"),
    ("身份證號碼：110105491231002", "身份證號碼：<ID>"),
    ("证件号码：110105491231002", "证件号码：<ID>"),
    ("ID card number: 110105491231002.", "ID card number: <ID>."),
    ("身份证号：11010519491231002X", "身份证号：<ID>"),  # 18 digits, as before
])
def test_compressed_ipv6_and_15_digit_ids_after_an_id_word_are_masked(text: str, expected: str) -> None:
    assert masked(text) == expected


@pytest.mark.parametrize("text", [
    # reserved space: C++ scopes, verses, short hex words; documentation, link-local, loopback
    "std::vector<int> and abc::def", "John 3::16", "d:: e::", "cafe::beef", "2001:db8::1", "fe80::1", "::1 and ::",
    # a 15-digit number without an ID word; after one: wrong date, unknown province, 16 digits
    "订单号 110105491231002", "身份证号：110105490230002", "身份证号：990105491231002",
    "身份证号：1101054912310021", "video card 110105491231002", "UUID card110105491231002",
])
def test_what_looks_like_them_is_left(text: str) -> None:
    assert masked(text) == text


@pytest.mark.parametrize(("text", "public_only", "expected"), [
    ("2001:db8::1", False, "<IP>"), ("fe80::1", False, "<IP>"), ("::1", False, "::1"), ("abc::def", False, "abc::def"),
    ("2606:4700::1111", True, "<IP>"), ("2606:4700::1111", False, "<IP>"),
])
def test_compressed_ipv6_with_ip_public_only(text: str, public_only: bool, expected: str) -> None:
    assert masked(text, ip_public_only=public_only) == expected


def test_15_digit_ids_follow_the_id_switch() -> None:
    assert masked("身份证号：110105491231002", mask_id_numbers=False) == "身份证号：110105491231002"
    assert PiiMask().mask("身份证号：110105491231002")[1] == {"id": 1}

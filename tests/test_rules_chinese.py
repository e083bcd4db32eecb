"""chinese_quality: real Chinese news pages pass every rule of the cascade; each rule fails
its own case with its reason; edge cases (empty, one line, symbols, mixed zh/en)."""
from __future__ import annotations

import json
from pathlib import Path

import pytest

from pretrain_clean.filters.chinese import ChineseQuality, longest_run_fraction
from pretrain_clean.pipeline.config import load_stage_modules
from pretrain_clean.pipeline.document import Document
from pretrain_clean.pipeline.stage import REGISTRY

ROOT = Path(__file__).resolve().parent.parent
NEWS = (
    "新华社北京3月5日电 记者从国家统计局了解到，今年前两个月，全国规模以上工业增加值同比增长百分之七。\n"
    "分行业看，制造业增长较快，其中高技术制造业的增速明显高于全部规模以上工业。\n"
    "专家表示，随着一系列稳增长政策落地见效，工业生产有望继续保持平稳运行，但也需要关注外部环境的变化。\n"
    "统计局有关负责人说，下一步将加强监测分析，为宏观调控提供更加及时准确的数据支撑。"
)


NO_STOP_WORDS = (
    "北京时间昨天上午，中国选手获得冠军，观众欢呼。比赛结束后，教练接受采访。上海队今天下午赢得决赛，球迷庆祝。"
    "记者现场报道，体育馆座无虚席。广州市民昨晚观看烟花表演，气氛热烈。天津港口今年吞吐量创新高，工人忙碌。"
)


@pytest.fixture(scope="module")
def stage() -> ChineseQuality:
    s = ChineseQuality()
    s.setup()
    return s


def zh(text: str) -> Document:
    return Document("z", text, meta={"language": "zh"})


@pytest.fixture(scope="module")
def news_pages() -> list[tuple[str, str]]:
    trafilatura = pytest.importorskip("trafilatura")
    pages = []
    for name in ("banyuetan.org.1000200033136171577956287380194268_1.html", "xinhuanet.com.c_1125597921.html"):
        raw = (ROOT / "data/sample/web_html" / name).read_bytes().decode("utf-8", "replace")
        pages.append((name, trafilatura.extract(raw)))
    with open(ROOT / "data/sample/web_en/demos_data_demo-dataset-deduplication.jsonl", encoding="utf-8") as handle:
        texts = [json.loads(line)["text"] for line in handle if line.strip()]
    pages += [(f"demo-{i}", t) for i, t in enumerate(texts) if "为来自发展中国家" in t]
    return pages


def test_chinese_news_passes_the_whole_rule_cascade(news_pages: list[tuple[str, str]]) -> None:
    load_stage_modules()
    names = ["normalize", "gopher_repetition", "gopher_quality", "c4_quality", "c4_lines",
             "fineweb_quality", "chinese_quality", "special_characters", "pii_mask"]
    stages = [REGISTRY[n]() for n in names]
    for s in stages:
        s.setup()
    results = {}
    for name, text in news_pages[:2] + [("synthetic", NEWS)]:
        doc = Document(name, text)
        results[name] = next((f"{s.name}.{r}" for s in stages if (r := s.apply(doc))), None)
    assert results == {name: None for name in results}


def test_passes_news(stage: ChineseQuality) -> None:
    assert stage.apply(zh(NEWS)) is None


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("新华社北京电，会议今天举行。", "too_few_chars"),
        (NEWS + "\n" + "ABCDEFGHIJ 1234567890 " * 40, "too_few_han_chars"),
        ("北京 上海 广州 深圳 天津 重庆 南京 杭州 成都 武汉 西安 苏州 " * 8, "too_little_punctuation"),
        ("新，" * 60 + "。", "too_much_punctuation"),
        (NEWS + "锟斤拷" * 10, "garbled_text"),
        ("這是一個關於經濟發展的報導，記者採訪了許多專家。" * 3 + NEWS, "mixed_traditional_simplified"),
        (NEWS + "\n" + "哈" * 80, "repeated_characters"),
        ("\n".join(line.rstrip("。") for line in NEWS.split("\n")) + "\n更多新闻\n返回首页\n联系我们\n网站地图", "few_terminated_lines"),
        (NEWS + "\n首页\n新闻\n体育\n财经\n娱乐\n科技\n汽车\n房产\n教育\n旅游\n健康", "too_many_short_lines"),
        (NEWS + "\n" + NEWS.split("\n")[2] + "\n" + NEWS.split("\n")[2], "duplicate_line_chars"),
        (NO_STOP_WORDS, "too_few_stop_words"),
        ("房间很干净，服务很周到，早餐也不错。" * 6 + NEWS.replace("\n", ""), "repeated_sentences"),
        (NEWS + "\nThe report was published in English by Xinhua News Agency and many other agencies "
         "in the world, as reported by Reuters, AP and AFP on Monday afternoon local time in Beijing "
         "and broadcast worldwide with commentary and analysis by experts.", "too_many_non_chinese_chars"),
        ("\n".join(f"{NEWS.replace(chr(10), '')[i:i + 10]}。\n|" for i in range(0, 150, 10)),
         "short_average_line"),
    ],
)
def test_drops_with_reason(stage: ChineseQuality, text: str, reason: str) -> None:
    assert stage.apply(zh(text)) == reason


def test_edge_cases(stage: ChineseQuality) -> None:
    assert stage.apply(zh("")) == "too_few_chars"
    assert stage.apply(zh("！！！？？？……" * 30)) == "too_few_han_chars"
    one_line = NEWS.replace("\n", "")
    assert stage.apply(zh(one_line)) is None
    mixed = NEWS + "\nThe report was also published in English by Xinhua News Agency."
    assert stage.apply(Document("m", mixed)) is None  # detected as Chinese by Han share
    assert stage.apply(Document("e", "An English page is not judged here.")) is None


def test_traditional_only_text_is_not_mixed(stage: ChineseQuality) -> None:
    from opencc import OpenCC

    traditional = OpenCC("s2t").convert(NEWS)
    assert traditional != NEWS
    assert stage.apply(zh(traditional)) is None


def test_longest_run_fraction() -> None:
    assert longest_run_fraction("", 5) == 0.0
    assert longest_run_fraction("好好好好好", 5) == 1.0
    assert longest_run_fraction("好好好好", 5) == 0.0

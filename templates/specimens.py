"""Specimen licences for the three channels, built from shared/examples/application-*.json.

Used by the previews in docs/, the benchmark and the tests. Their USCCs carry valid check
characters (GB 32100-2015) but were never issued.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Final

from templates.content import LanguageVariant, LicenceContent, LocalizedText, Money, PersonName

__all__ = ["SPECIMENS", "SPECIMEN_BASE_URL"]

SPECIMEN_BASE_URL: Final = "https://bizreg.example.cn"

_DONGGUAN_AMR: Final = LocalizedText(
    zh="东莞市市场监督管理局",
    en="Dongguan Administration for Market Regulation",
)
# As registration.settings names the authority: the longest name a licence prints today.
_DONGGUAN_AMR_FR: Final = "Administration de la régulation des marchés de Dongguan"

YINZHENGTONG: Final = LicenceContent(
    uscc="91441900MA5FQ3KN54",
    version=1,
    variant=LanguageVariant.ZH_EN,
    name=LocalizedText(zh="东莞市蓝海贸易有限公司", en="Dongguan Lanhai Trading Co., Ltd."),
    company_type=LocalizedText(
        zh="有限责任公司（自然人独资）",
        en="Limited liability company (wholly owned by a natural person)",
    ),
    legal_representative=PersonName("张伟"),
    registered_capital=Money(Decimal("500000.00"), "CNY"),
    date_of_establishment=date(2025, 11, 29),
    business_term_years=20,
    domicile="广东省东莞市南城街道鸿福路88号",
    business_scope=("日用百货销售", "软件开发"),
    business_scope_en=("Sale of daily necessities", "Software development"),
    registration_authority=_DONGGUAN_AMR,
    issue_date=date(2025, 11, 29),
)

HONG_KONG: Final = LicenceContent(
    uscc="91441900MA5GT7XB8R",
    version=1,
    variant=LanguageVariant.ZH_EN,
    name=LocalizedText(zh="東莞市港灣諮詢有限公司", en="Dongguan Harbour Consulting Co., Ltd."),
    company_type=LocalizedText(
        zh="有限责任公司（台港澳自然人独资）",
        en=(
            "Limited liability company "
            "(wholly owned by a Taiwan, Hong Kong or Macao natural person)"
        ),
    ),
    legal_representative=PersonName("陳大文", latin="CHAN Tai Man"),
    registered_capital=Money(Decimal("1000000.00"), "HKD"),
    date_of_establishment=date(2025, 11, 29),
    business_term_years=None,
    domicile="广东省东莞市松山湖高新技术产业开发区工业西路6号",
    business_scope=("信息咨询服务（不含许可类信息咨询服务）", "软件开发"),
    business_scope_en=(
        "Information consulting services (excluding licensed information consulting)",
        "Software development",
    ),
    registration_authority=_DONGGUAN_AMR,
    issue_date=date(2025, 11, 29),
)

PARIS: Final = LicenceContent(
    uscc="91441900MA5HUP2D2X",
    version=2,
    variant=LanguageVariant.ZH_EN_FR,
    name=LocalizedText(
        zh="东莞市塞纳食品科技有限公司",
        en="Dongguan Seine Food Technology Co., Ltd.",
        fr="Dongguan Seine Food Technology SARL",
    ),
    company_type=LocalizedText(
        zh="有限责任公司（外商投资、非独资）",
        en="Limited liability company (foreign-invested, not wholly owned)",
        fr="Société à responsabilité limitée (à capitaux étrangers, non exclusivement)",
    ),
    legal_representative=PersonName("Claire DUBOIS"),
    registered_capital=Money(Decimal("2000000.00"), "EUR"),
    date_of_establishment=date(2025, 11, 1),
    business_term_years=30,
    domicile="广东省东莞市东城街道东纵大道1号",
    business_scope=("食品销售", "技术服务、技术开发、技术咨询、技术交流、技术转让、技术推广"),
    business_scope_en=(
        "Food sales",
        "Technical services, development, consulting, exchange, transfer and promotion",
    ),
    business_scope_fr=(
        "Vente de denrées alimentaires",
        "Services, développement, conseil, échanges, transfert et promotion techniques",
    ),
    registration_authority=LocalizedText(
        zh=_DONGGUAN_AMR.zh,
        en=_DONGGUAN_AMR.en,
        fr=_DONGGUAN_AMR_FR,
    ),
    issue_date=date(2025, 11, 29),
)

SPECIMENS: Final = {"yinzhengtong": YINZHENGTONG, "hong_kong": HONG_KONG, "paris": PARIS}

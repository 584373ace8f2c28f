"""Company-name rules: parsing, refusals with itemised reasons, and the identity/similarity keys
the database stores in unique columns."""

from __future__ import annotations

import json
import unicodedata
from importlib import resources
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from registration.domain.names import (
    NAME_KEY_VERSION,
    ExistingName,
    ParsedName,
    check_name,
    name_key,
    normalise_name,
    parse_name,
    trade_name_key,
)

DONGGUAN = "441900"
EXAMPLES = {
    # the three contract example names: region | trade name | industry | form
    "东莞市蓝海贸易有限公司": ("东莞市", "蓝海", "贸易", "有限公司"),
    "东莞市港湾咨询有限公司": ("东莞市", "港湾", "咨询", "有限公司"),
    "东莞市塞纳食品科技有限公司": ("东莞市", "塞纳", "食品科技", "有限公司"),
}


def _codes(name: str, existing: list[ExistingName] | None = None, **kwargs: Any) -> list[str]:
    return [r.code for r in check_name(name, existing or [], **kwargs).reasons]


def _data(filename: str) -> Any:
    text = resources.files("registration.domain.data").joinpath(filename).read_text("utf-8")
    return json.loads(text)


# ---------------------------------------------------------------------------------------------
# The example names
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(("name", "parts"), EXAMPLES.items())
def test_example_names_parse(name: str, parts: tuple[str, str, str, str]) -> None:
    parsed = parse_name(name)
    assert parsed is not None
    assert (
        parsed.region,
        parsed.trade_name,
        parsed.industry,
        parsed.organisational_form,
    ) == parts
    assert parsed.region_code == DONGGUAN
    assert parsed.form_category == "limited_liability_company"


@pytest.mark.parametrize("name", EXAMPLES)
def test_example_names_are_available_on_an_empty_registry(name: str) -> None:
    check = check_name(name, [], region_code=DONGGUAN)
    assert check.available, check.reasons
    assert check.reasons == []
    assert check.similar == []
    assert check.parsed is not None


def test_example_names_do_not_conflict_with_each_other() -> None:
    registered = [ExistingName(n) for n in EXAMPLES]
    for name in EXAMPLES:
        others = [e for e in registered if e.name != name]
        assert check_name(name, others, region_code=DONGGUAN).available


def test_keys_are_stable() -> None:
    # The database stores these keys in unique columns. If this test has to change, bump
    # NAME_KEY_VERSION and migrate the stored keys.
    assert NAME_KEY_VERSION == 1
    assert [name_key(n) for n in EXAMPLES] == ["蓝海贸易", "港湾咨询", "塞纳食品科技"]
    assert [trade_name_key(n) for n in EXAMPLES] == ["蓝海", "港湾", "塞纳"]
    assert name_key("东莞市蓝海贸易有限公司南城分公司") == "蓝海贸易/南城"
    assert name_key("东莞市ＡＢＣ贸易有限公司") == "abc贸易"


# ---------------------------------------------------------------------------------------------
# Identical names: the key
# ---------------------------------------------------------------------------------------------


def test_traditional_name_collides_with_its_simplified_twin() -> None:
    # A Hong Kong applicant typing Traditional characters.
    assert name_key("東莞市港灣諮詢有限公司") == name_key("东莞市港湾咨询有限公司")
    check = check_name("東莞市港灣諮詢有限公司", [ExistingName("东莞市港湾咨询有限公司")])
    assert not check.available
    assert [r.code for r in check.reasons] == ["identical_name"]
    assert check.similar == ["东莞市港湾咨询有限公司"]
    assert check.parsed is not None
    assert check.parsed.trade_name == "港湾"


def test_simplified_name_collides_with_a_registered_traditional_one() -> None:
    assert _codes("东莞市港湾咨询有限公司", [ExistingName("東莞市港灣諮詢有限公司")]) == [
        "identical_name"
    ]


def test_hong_kong_variant_characters_are_folded() -> None:
    # 衞 is the Hong Kong form of 衛 (卫), which OpenCC's t2s alone leaves unchanged.
    assert name_key("东莞市衞康贸易有限公司") == name_key("东莞市卫康贸易有限公司")
    assert name_key("东莞市衛康贸易有限公司") == name_key("东莞市卫康贸易有限公司")


def test_full_width_letters_collide_with_half_width() -> None:
    assert name_key("东莞市ＡＢＣ贸易有限公司") == name_key("东莞市ABC贸易有限公司")
    assert name_key("东莞市abc贸易有限公司") == name_key("东莞市ABC贸易有限公司")
    assert trade_name_key("东莞市ＡＢＣ贸易有限公司") == "abc"
    codes = _codes("东莞市ＡＢＣ贸易有限公司", [ExistingName("东莞市ABC贸易有限公司")])
    assert "identical_name" in codes
    assert "invalid_characters" in codes  # Latin letters are not allowed in the Chinese name


def test_punctuation_and_whitespace_do_not_matter() -> None:
    plain = name_key("东莞市港湾咨询有限公司")
    for variant in [
        "东莞市 港湾 咨询 有限公司",
        "东莞市港湾·咨询有限公司",
        "东莞市「港湾」咨询有限公司",
    ]:
        assert name_key(variant) == plain
    check = check_name("东莞市港湾·咨询有限公司", [ExistingName("东莞市港湾咨询有限公司")])
    assert [r.code for r in check.reasons] == ["invalid_characters", "identical_name"]
    assert check.reasons[0].term == "·"


def test_full_width_brackets_and_spaces_are_normalised() -> None:
    assert name_key("港湾（东莞）咨询有限公司") == "港湾咨询"
    assert name_key("东莞市　港湾咨询有限公司") == "港湾咨询"  # ideographic space


@pytest.mark.parametrize(
    "variant",
    [
        "东莞港湾咨询有限公司",
        "广东省东莞市港湾咨询有限公司",
        "广东港湾咨询有限公司",
        "港湾(东莞)咨询有限公司",
        "港湾（东莞市）咨询有限公司",
        "港湾东莞咨询有限公司",
        "东莞市港湾咨询有限责任公司",
        "东莞市港湾咨询股份有限公司",
    ],
)
def test_region_placement_and_form_do_not_make_a_new_name(variant: str) -> None:
    assert name_key(variant) == "港湾咨询"
    assert _codes(variant, [ExistingName("东莞市港湾咨询有限公司")], region_code=DONGGUAN) == [
        "identical_name"
    ]


def test_reserved_names_block_too() -> None:
    check = check_name(
        "东莞市港湾咨询有限公司", [ExistingName("东莞市港湾咨询有限公司", "reserved")]
    )
    assert not check.available
    assert "reserved" in check.reasons[0].message


# ---------------------------------------------------------------------------------------------
# Confusingly similar names: the trade-name key
# ---------------------------------------------------------------------------------------------


def test_same_trade_name_with_another_industry_is_similar() -> None:
    check = check_name("东莞市港湾贸易有限公司", [ExistingName("东莞市港湾咨询有限公司")])
    assert [r.code for r in check.reasons] == ["similar_name"]
    assert check.similar == ["东莞市港湾咨询有限公司"]
    assert check.key == "港湾贸易"
    assert check.trade_key == "港湾"


def test_traditional_trade_name_is_similar() -> None:
    assert _codes("東莞市港灣貿易有限公司", [ExistingName("东莞市港湾咨询有限公司")]) == [
        "similar_name"
    ]


def test_other_trade_names_are_not_similar() -> None:
    existing = [ExistingName("东莞市港湾咨询有限公司"), ExistingName("东莞市蓝海贸易有限公司")]
    check = check_name("东莞市港口咨询有限公司", existing)
    assert check.available
    assert check.similar == []


def test_each_conflict_is_listed() -> None:
    existing = [
        ExistingName("东莞市港湾咨询有限公司"),
        ExistingName("东莞市港湾贸易有限公司", "reserved"),
        ExistingName("东莞市蓝海贸易有限公司"),
    ]
    check = check_name("东莞市港湾咨询有限公司", existing)
    assert [(r.code, r.term) for r in check.reasons] == [
        ("identical_name", "东莞市港湾咨询有限公司"),
        ("similar_name", "东莞市港湾贸易有限公司"),
    ]
    assert check.similar == ["东莞市港湾咨询有限公司", "东莞市港湾贸易有限公司"]


def test_industry_terms_are_taken_greedily_but_leave_a_trade_name() -> None:
    parsed = parse_name("东莞市港湾贸易咨询有限公司")
    assert parsed is not None
    assert (parsed.trade_name, parsed.industry) == ("港湾", "贸易咨询")
    assert _codes("东莞市港湾贸易咨询有限公司", [ExistingName("东莞市港湾咨询有限公司")]) == [
        "similar_name"
    ]
    parsed = parse_name("东莞市新能源科技有限公司")
    assert parsed is not None
    assert (parsed.trade_name, parsed.industry) == ("新能源", "科技")


# ---------------------------------------------------------------------------------------------
# Structure
# ---------------------------------------------------------------------------------------------


def test_short_trade_name() -> None:
    check = check_name("东莞市蓝贸易有限公司", [])
    assert [(r.code, r.term) for r in check.reasons] == [("trade_name_too_short", "蓝")]
    assert _codes("东莞市贸易有限公司") == ["trade_name_too_short"]


def test_latin_letters_do_not_count_towards_the_trade_name() -> None:
    assert _codes("东莞市A蓝贸易有限公司") == ["invalid_characters", "trade_name_too_short"]


def test_missing_organisational_form() -> None:
    assert _codes("东莞市蓝海贸易") == ["missing_organisational_form"]
    assert _codes("东莞市蓝海贸易公司") == ["missing_organisational_form"]


def test_missing_region() -> None:
    assert _codes("蓝海贸易有限公司") == ["missing_region"]


def test_missing_industry() -> None:
    parsed = parse_name("东莞市蓝海有限公司")
    assert parsed is not None
    assert (parsed.trade_name, parsed.industry) == ("蓝海", None)
    assert _codes("东莞市蓝海有限公司") == ["missing_industry"]


def test_every_missing_part_is_listed_at_once() -> None:
    assert _codes("蓝") == [
        "missing_region",
        "trade_name_too_short",
        "missing_industry",
        "missing_organisational_form",
    ]


def test_empty_name() -> None:
    for name in ["", "   ", "（）"]:
        check = check_name(name, [ExistingName("东莞市港湾咨询有限公司")])
        assert not check.available
        assert [r.code for r in check.reasons] == ["empty_name"]
        assert check.parsed is None
        assert check.key == check.trade_key == ""


def test_region_outside_the_authority() -> None:
    assert _codes("广州市蓝海贸易有限公司", region_code=DONGGUAN) == ["region_mismatch"]
    assert _codes("广州市蓝海贸易有限公司") == []  # no authority given: not judged
    assert _codes("广东省蓝海贸易有限公司", region_code=DONGGUAN) == []  # enclosing province
    assert _codes("广东省东莞市蓝海贸易有限公司", region_code=DONGGUAN) == []


def test_region_as_trade_name() -> None:
    assert _codes("东莞市北京贸易有限公司") == ["region_as_trade_name"]


def test_partnership_form_with_brackets() -> None:
    parsed = parse_name("东莞市蓝海投资合伙企业（有限合伙）")
    assert parsed is not None
    assert parsed.organisational_form == "合伙企业(有限合伙)"
    assert parsed.form_category == "partnership"
    assert _codes("东莞市蓝海投资合伙企业（有限合伙）") == []


def test_branch_names() -> None:
    parsed = parse_name("东莞市蓝海贸易有限公司南城分公司")
    assert parsed == ParsedName(
        normalised="东莞市蓝海贸易有限公司南城分公司",
        region="东莞市",
        region_code=DONGGUAN,
        trade_name="蓝海",
        industry="贸易",
        organisational_form="分公司",
        form_category="branch",
        branch_of="东莞市蓝海贸易有限公司",
        branch_designation="南城",
    )
    # A branch carries its company's trade name; that is not a similar name.
    parent = [ExistingName("东莞市蓝海贸易有限公司")]
    assert check_name("东莞市蓝海贸易有限公司南城分公司", parent).available
    branch = [ExistingName("东莞市蓝海贸易有限公司南城分公司")]
    assert _codes("东莞市蓝海贸易有限公司南城分公司", branch) == ["identical_name"]
    assert check_name("东莞市蓝海贸易有限公司虎门分公司", branch).available
    assert trade_name_key("东莞市蓝海贸易有限公司南城分公司") != trade_name_key(parent[0].name)


def test_branch_without_its_company_name() -> None:
    assert _codes("东莞市蓝海贸易分公司") == ["branch_without_company_name"]


# ---------------------------------------------------------------------------------------------
# Prohibited and restricted words
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "code", "term"),
    [
        ("东莞市中国蓝海贸易有限公司", "restricted_word", "中国"),
        ("东莞市中华蓝海贸易有限公司", "restricted_word", "中华"),
        ("东莞市全国蓝海贸易有限公司", "restricted_word", "全国"),
        ("东莞市国家蓝海贸易有限公司", "restricted_word", "国家"),
        ("东莞市蓝海国际贸易有限公司", "restricted_word", "国际"),
        ("东莞市蓝海银行有限公司", "restricted_word", "银行"),
        ("東莞市藍海國際貿易有限公司", "restricted_word", "国际"),  # Traditional input
        ("东莞市共产党贸易有限公司", "prohibited_word", "共产党"),
        ("东莞市红军贸易有限公司", "prohibited_word", "军"),
        ("东莞市蓝警贸易有限公司", "prohibited_word", "警"),
        ("东莞市公安蓝海贸易有限公司", "prohibited_word", "公安"),
        ("东莞市美国蓝海贸易有限公司", "prohibited_word", "美国"),
        ("东莞市蓝海赌博贸易有限公司", "prohibited_word", "赌博"),
    ],
)
def test_refused_words(name: str, code: str, term: str) -> None:
    check = check_name(name, [])
    assert not check.available
    words = [r for r in check.reasons if r.code.endswith("_word")]
    assert [(r.code, r.term) for r in words] == [(code, term)]
    assert (
        "企业名称" in words[0].message or "条例" in words[0].message or "办法" in words[0].message
    )


def test_a_word_inside_a_longer_refused_word_is_reported_once() -> None:
    assert [r.term for r in check_name("东莞市共产党贸易有限公司", []).reasons] == ["共产党"]


@pytest.mark.parametrize(
    "name",
    [
        "东莞市党参贸易有限公司",  # 党参, codonopsis root
        "东莞市冠军贸易有限公司",  # 冠军, champion
        "东莞市蓝海中央空调工程有限公司",  # 中央空调, central air conditioning
        "东莞市蓝海报警设备有限公司",  # 报警, alarm
    ],
)
def test_harmless_phrases_containing_a_refused_word(name: str) -> None:
    check = check_name(name, [])
    assert check.available, check.reasons


def test_foreign_state_followed_by_guoji_is_reported_as_guoji() -> None:
    # 完美国际: the 美国 there belongs to 完美 + 国际; 国际 is what needs approval.
    assert [r.term for r in check_name("东莞市完美国际贸易有限公司", []).reasons] == ["国际"]


# ---------------------------------------------------------------------------------------------
# Properties of the keys
# ---------------------------------------------------------------------------------------------

trade_chars = st.sampled_from("蓝海港湾塞纳金星光明华美天地龙凤宏达信诚")
industries = st.sampled_from(["贸易", "咨询", "食品科技", "信息技术", "物流", "电子"])
regions = st.sampled_from(["东莞市", "东莞", "广东省东莞市"])
forms = st.sampled_from(["有限公司", "有限责任公司", "股份有限公司"])


def _full_width(text: str) -> str:
    return "".join(chr(ord(c) + 0xFEE0) if "!" <= c <= "~" else c for c in text)


@given(st.text(trade_chars, min_size=2, max_size=5), industries, regions, forms, regions, forms)
def test_key_ignores_region_spelling_and_form(
    trade: str, industry: str, region: str, form: str, region2: str, form2: str
) -> None:
    assert name_key(region + trade + industry + form) == name_key(
        region2 + trade + industry + form2
    )
    assert name_key(region + trade + industry + form) == trade + industry
    assert trade_name_key(region + trade + industry + form) == trade


@given(
    st.text(trade_chars, min_size=2, max_size=5),
    st.text("ABCxyz019", min_size=0, max_size=3),
    industries,
    st.lists(st.sampled_from([" ", "\u3000", "·", "、", "-"]), max_size=3),
)
def test_key_ignores_width_case_punctuation_and_spaces(
    trade: str, latin: str, industry: str, noise: list[str]
) -> None:
    name = f"东莞市{trade}{latin}{industry}有限公司"
    noisy = f"东莞市{''.join(noise)}{trade}{_full_width(latin.swapcase())}{industry}有限公司"
    assert name_key(noisy) == name_key(name)
    assert normalise_name(noisy) == normalise_name(name)


@given(st.text(min_size=0, max_size=20))
def test_check_name_never_crashes(name: str) -> None:
    check = check_name(name, [ExistingName("东莞市港湾咨询有限公司")])
    assert check.available == (check.reasons == [])
    assert check.key == name_key(name)
    assert check.trade_key == trade_name_key(name)


# ---------------------------------------------------------------------------------------------
# Data files
# ---------------------------------------------------------------------------------------------


def test_regions_data() -> None:
    names = {n: r["code"] for r in _data("regions.json")["regions"] for n in r["names"]}
    for name in ["东莞市", "东莞", "广东省东莞市"]:
        assert names[name] == DONGGUAN
    assert names["广东"] == names["广东省"] == "440000"
    assert all(len(code) == 6 and code.isdigit() for code in names.values())


def test_industry_data() -> None:
    terms = _data("industries.json")["terms"]
    assert len(terms) == len(set(terms))
    for term in ["贸易", "咨询", "科技", "食品科技", "信息技术", "软件", "餐饮", "实业", "投资"]:
        assert term in terms
    for term in ["电子", "服装", "物流", "文化传媒", "建筑工程", "商贸"]:
        assert term in terms


def test_form_data() -> None:
    forms = [f["form"] for f in _data("organisational_forms.json")["forms"]]
    for form in ["有限公司", "有限责任公司", "股份有限公司", "分公司"]:
        assert form in forms


def test_restricted_word_data() -> None:
    entries = _data("restricted_words.json")["words"]
    assert {e["kind"] for e in entries} == {"prohibited", "restricted"}
    assert all(e["reason"] for e in entries)
    kinds = {e["word"]: e["kind"] for e in entries}
    for word in ["中国", "中华", "全国", "国家", "国际"]:
        assert kinds[word] == "restricted"
    for word in ["党", "军", "警", "共产党"]:
        assert kinds[word] == "prohibited"
    for entry in entries:
        assert all(entry["word"] in phrase for phrase in entry.get("except_in", []))


def test_data_is_stored_normalised() -> None:
    # Keys are computed from folded data; data written un-normalised would still work, but a
    # reviewer reading the files should see what the code compares.
    for filename, values in [
        ("industries.json", _data("industries.json")["terms"]),
        ("restricted_words.json", [e["word"] for e in _data("restricted_words.json")["words"]]),
    ]:
        for value in values:
            assert unicodedata.normalize("NFKC", value) == value, (filename, value)

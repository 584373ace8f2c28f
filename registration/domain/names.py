"""Chinese company names: parse, check against the naming rules, and compare with existing names.

A company name is region + trade name + industry + organisational form (企业名称登记管理规定,
State Council decree 734 of 2020, art. 6), e.g. 东莞市|蓝海|贸易|有限公司. The region may also
follow the trade name, bare or in brackets: 蓝海(东莞)贸易有限公司 (企业名称登记管理规定实施办法
2023, art. 10). A branch is its company's name plus a designation and 分公司.

Two keys make comparison and uniqueness cheap; the database stores both in unique columns:

``name_key(name)``
    NFKC (full-width → half-width), Hong Kong variants and Traditional → Simplified (OpenCC
    t2s), whitespace and punctuation removed, Latin letters case-folded, then the region and
    the organisational form removed. So 東莞市港灣諮詢有限公司, 东莞港湾咨询有限责任公司 and
    港湾(东莞)咨询有限公司 all have the key 港湾咨询. Names with the same key are *identical*:
    the law treats names differing only in region placement or form as the same name.
``trade_name_key(name)``
    The trade name alone, normalised the same way (港湾). Two names of the same region with
    the same trade-name key are *confusingly similar* (e.g. 蓝海贸易 and 蓝海咨询) unless
    identical. Homophones and near-spellings are not judged here; an officer does that.
    A branch's trade-name key is its full key, because a branch necessarily carries its
    company's trade name and must not be reported as similar to it.

Both keys depend on the data files in `data/` (forms, regions, industries, variants) and on
OpenCC's dictionaries. Any change that can alter a key must bump `NAME_KEY_VERSION`, and stored
keys must be recomputed in a migration.
"""

from __future__ import annotations

import json
import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Any, Final, Literal

from opencc import OpenCC

__all__ = [
    "NAME_KEY_VERSION",
    "ExistingName",
    "NameCheck",
    "ParsedName",
    "Reason",
    "check_name",
    "name_key",
    "normalise_name",
    "parse_name",
    "trade_name_key",
]

# Bump when a change to this module, the data files or the OpenCC dictionaries can change a key.
NAME_KEY_VERSION: Final = 1

# A branch designation is joined to its company's key with this character, which normalisation
# removes from every name, so keys of branches can never collide with keys of companies.
_BRANCH_SEPARATOR: Final = "/"
_BRANCH_FORM: Final = "分公司"

# Art. 4 of the 2020 rules: names use standard Chinese characters. U+3007 〇 counts as one.
_HAN_RE: Final = re.compile("[\u3007\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\U00020000-\U0003134f]")
_MIN_TRADE_NAME_LENGTH: Final = 2  # art. 8 of the 2020 rules: a trade name of 2+ characters


# --------------------------------------------------------------------------------------------
# Data
# --------------------------------------------------------------------------------------------


def _load(filename: str) -> Any:
    text = resources.files("registration.domain.data").joinpath(filename).read_text("utf-8")
    return json.loads(text)


@cache
def _converter() -> OpenCC:
    return OpenCC("t2s")


@cache
def _variants() -> dict[str, str]:
    table: dict[str, str] = _load("variants.json")["variants"]
    return table


def _fold(text: str) -> str:
    """NFKC, Hong Kong variants and Traditional → Simplified, whitespace removed."""
    text = unicodedata.normalize("NFKC", text)
    text = "".join(_variants().get(c, c) for c in text)
    text = str(_converter().convert(text))
    return re.sub(r"\s+", "", text)


@dataclass(frozen=True)
class _Form:
    form: str
    category: str


@dataclass(frozen=True)
class _Word:
    word: str
    kind: Literal["prohibited", "restricted"]
    reason: str
    except_in: tuple[str, ...]


@dataclass(frozen=True)
class _Data:
    forms: tuple[_Form, ...]  # longest first
    regions: dict[str, str]  # folded name -> GB/T 2260 code
    region_names: tuple[str, ...]  # longest first
    industries: frozenset[str]
    industry_lengths: tuple[int, ...]  # distinct lengths, longest first
    words: tuple[_Word, ...]  # longest first


@cache
def _data() -> _Data:
    forms = sorted(
        (
            _Form(_fold(f["form"]), f["category"])
            for f in _load("organisational_forms.json")["forms"]
        ),
        key=lambda f: -len(f.form),
    )
    regions = {
        _fold(name): entry["code"]
        for entry in _load("regions.json")["regions"]
        for name in entry["names"]
    }
    industries = frozenset(_fold(t) for t in _load("industries.json")["terms"])
    words = sorted(
        (
            _Word(
                _fold(w["word"]),
                w["kind"],
                w["reason"],
                tuple(_fold(e) for e in w.get("except_in", [])),
            )
            for w in _load("restricted_words.json")["words"]
        ),
        key=lambda w: -len(w.word),
    )
    return _Data(
        forms=tuple(forms),
        regions=regions,
        region_names=tuple(sorted(regions, key=len, reverse=True)),
        industries=industries,
        industry_lengths=tuple(sorted({len(t) for t in industries}, reverse=True)),
        words=tuple(words),
    )


# --------------------------------------------------------------------------------------------
# Parsing
# --------------------------------------------------------------------------------------------


def _strip_noise(text: str) -> str:
    """Drop punctuation, symbols, separators and control characters (Unicode P*, S*, Z*, C*)."""
    return "".join(c for c in text if unicodedata.category(c)[0] not in "PSZC")


def normalise_name(name: str) -> str:
    """The name as compared: NFKC, Simplified, no whitespace or punctuation, Latin case-folded."""
    return _strip_noise(_fold(name)).casefold()


@dataclass(frozen=True)
class ParsedName:
    """A company name split into its parts, all in normalised (NFKC, Simplified) form."""

    normalised: str  # the folded name, punctuation kept
    region: str | None
    region_code: str | None  # GB/T 2260 code of the region
    trade_name: str
    industry: str | None
    organisational_form: str | None
    form_category: str | None  # e.g. limited_liability_company, branch
    branch_of: str | None = None  # for a branch: its company's name (normalised)
    branch_designation: str | None = None  # for a branch: e.g. 南城 in …有限公司南城分公司
    invalid_characters: tuple[str, ...] = ()  # characters other than Chinese ones


def _split_industry(core: str) -> tuple[str, str | None]:
    """Split `core` into (trade name, industry) by the longest industry terms ending it.

    Terms are taken longest first and only while at least two characters remain for the trade
    name, so 塞纳食品科技 gives 塞纳 + 食品科技 and 新能源科技 gives 新能源 + 科技. If no term
    leaves two characters, the longest is still taken (the name is then refused as too short,
    which is the right message: 蓝科技 → 蓝 + 科技).
    """
    data = _data()

    def starts(end: int) -> list[int]:
        lengths = (n for n in data.industry_lengths if n <= end)
        return [end - n for n in lengths if core[end - n : end] in data.industries]

    end = len(core)
    first = starts(end)
    if not first:
        return core, None
    leaving_two = [s for s in first if s >= _MIN_TRADE_NAME_LENGTH]
    end = leaving_two[0] if leaving_two else first[0]
    while end >= _MIN_TRADE_NAME_LENGTH:
        more = [s for s in starts(end) if s >= _MIN_TRADE_NAME_LENGTH]
        if not more:
            break
        end = more[0]
    return core[:end], core[end:]


def _is_industry(text: str) -> bool:
    trade, industry = _split_industry(text)
    return industry is not None and not trade


def _find_region(rest: str) -> tuple[str | None, str]:
    """Find the region in `rest` (the name without its form); return (region, rest without it)."""
    data = _data()
    for region in data.region_names:
        if rest.startswith(region):
            return region, rest[len(region) :]
    # 2023 rules, art. 10: the region may follow the trade name, in brackets or bare.
    for match in re.finditer(r"\(([^()]+)\)", rest):
        if match.group(1) in data.regions:
            return match.group(1), rest[: match.start()] + rest[match.end() :]
    for region in data.region_names:
        start = rest.find(region, 1)
        while start != -1:
            after = rest[start + len(region) :]
            # Only before the industry, so a trade name that merely contains a place name
            # (e.g. 华中山…) is left alone.
            if _is_industry(_strip_noise(after)):
                return region, rest[:start] + after
            start = rest.find(region, start + 1)
    return None, rest


def _find_form(folded: str) -> _Form | None:
    for form in _data().forms:
        if folded.endswith(form.form) and len(folded) > len(form.form):
            return form
    return None


def _parse_company(folded: str) -> ParsedName:
    form = _find_form(folded)
    rest = folded[: -len(form.form)] if form else folded
    region, rest = _find_region(rest)
    invalid = tuple(dict.fromkeys(c for c in rest if not _HAN_RE.fullmatch(c)))
    trade, industry = _split_industry(_strip_noise(rest))
    return ParsedName(
        normalised=folded,
        region=region,
        region_code=_data().regions.get(region) if region else None,
        trade_name=trade,
        industry=industry,
        organisational_form=form.form if form else None,
        form_category=form.category if form else None,
        invalid_characters=invalid,
    )


def _parse_branch(folded: str) -> ParsedName | None:
    """Split 东莞市蓝海贸易有限公司南城分公司 into its company and the designation 南城."""
    body = folded[: -len(_BRANCH_FORM)]
    best_end = -1
    for form in _data().forms:
        if form.form == _BRANCH_FORM:
            continue
        index = body.rfind(form.form)
        if index > 0:
            best_end = max(best_end, index + len(form.form))
    if best_end == -1:
        return None
    company = _parse_company(body[:best_end])
    designation = body[best_end:]
    invalid = tuple(
        dict.fromkeys(
            [*company.invalid_characters, *(c for c in designation if not _HAN_RE.fullmatch(c))]
        )
    )
    return ParsedName(
        normalised=folded,
        region=company.region,
        region_code=company.region_code,
        trade_name=company.trade_name,
        industry=company.industry,
        organisational_form=_BRANCH_FORM,
        form_category="branch",
        branch_of=company.normalised,
        branch_designation=designation,
        invalid_characters=invalid,
    )


def parse_name(name: str) -> ParsedName | None:
    """Split a company name into region, trade name, industry and organisational form.

    Parsing is tolerant: missing parts come back as None (and an empty trade name as ''), so
    that `check_name` can list everything that is wrong at once. Returns None only for a name
    with no characters left after normalisation.
    """
    folded = _fold(name)
    if not _strip_noise(folded):
        return None
    if folded.endswith(_BRANCH_FORM):
        branch = _parse_branch(folded)
        if branch is not None:
            return branch
    return _parse_company(folded)


def _keys(parsed: ParsedName) -> tuple[str, str]:
    if parsed.branch_of is not None:
        company = _parse_company(parsed.branch_of)
        key = (
            _company_key(company)
            + _BRANCH_SEPARATOR
            + normalise_name(parsed.branch_designation or "")
        )
        return key, key
    return _company_key(parsed), normalise_name(parsed.trade_name)


def _company_key(parsed: ParsedName) -> str:
    return normalise_name(parsed.trade_name + (parsed.industry or ""))


def name_key(name: str) -> str:
    """The identity key of a name (see the module docstring); '' for an empty name."""
    parsed = parse_name(name)
    return _keys(parsed)[0] if parsed else ""


def trade_name_key(name: str) -> str:
    """The similarity key: the normalised trade name (see the module docstring)."""
    parsed = parse_name(name)
    return _keys(parsed)[1] if parsed else ""


# --------------------------------------------------------------------------------------------
# Checking
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ExistingName:
    """A name already registered, or reserved (reservations last 2 months; DESIGN §4)."""

    name: str
    status: Literal["registered", "reserved"] = "registered"


@dataclass(frozen=True)
class Reason:
    """Why a name is refused. `code` is stable; `term` is the offending word or name."""

    code: str
    message: str
    term: str | None = None


@dataclass(frozen=True)
class NameCheck:
    """The verdict on a proposed name. `similar` lists the existing names it conflicts with,
    identical ones included."""

    available: bool
    reasons: list[Reason]
    similar: list[str]
    parsed: ParsedName | None
    key: str
    trade_key: str


def _word_reasons(text: str) -> list[Reason]:
    """Prohibited and restricted words, longest first; a word inside a longer match or inside
    one of its harmless phrases (党 in 党参) is not reported."""
    covered = [False] * len(text)
    reasons: list[Reason] = []
    for word in _data().words:
        excused: set[int] = set()
        for phrase in word.except_in:
            for m in re.finditer(re.escape(phrase), text):
                excused.update(range(m.start(), m.end()))
        hit = False
        for m in re.finditer(re.escape(word.word), text):
            span = range(m.start(), m.end())
            if all(i in excused for i in span) or all(covered[i] for i in span):
                continue
            hit = True
            for i in span:
                covered[i] = True
        if hit:
            reasons.append(
                Reason(
                    code=f"{word.kind}_word",
                    message=f"the name contains the {word.kind} word {word.word!r}: it "
                    f"{word.reason}",
                    term=word.word,
                )
            )
    return reasons


def _region_encloses(outer: str, inner: str) -> bool:
    """True if GB/T 2260 code `outer` is `inner` or a province/prefecture containing it."""
    if outer == inner:
        return True
    if outer.endswith("0000"):
        return inner.startswith(outer[:2])
    if outer.endswith("00"):
        return inner.startswith(outer[:4])
    return False


def _structure_reasons(parsed: ParsedName, region_code: str | None) -> list[Reason]:
    reasons: list[Reason] = []
    if parsed.invalid_characters:
        chars = "".join(parsed.invalid_characters)
        reasons.append(
            Reason(
                "invalid_characters",
                f"a Chinese company name uses Chinese characters only (企业名称登记管理规定 "
                f"art. 4); remove {chars!r}",
                chars,
            )
        )
    if parsed.region is None:
        reasons.append(
            Reason(
                "missing_region",
                "the name must start with its region, e.g. 东莞市 (企业名称登记管理规定 art. 6)",
            )
        )
    elif (
        region_code is not None
        and parsed.region_code is not None
        and not _region_encloses(parsed.region_code, region_code)
    ):
        reasons.append(
            Reason(
                "region_mismatch",
                f"the region {parsed.region!r} is not this authority's region or one enclosing it",
                parsed.region,
            )
        )
    if len(_HAN_RE.findall(parsed.trade_name)) < _MIN_TRADE_NAME_LENGTH:
        reasons.append(
            Reason(
                "trade_name_too_short",
                f"the trade name {parsed.trade_name!r} must have at least 2 Chinese characters "
                "(企业名称登记管理规定 art. 8)",
                parsed.trade_name,
            )
        )
    elif parsed.trade_name in _data().regions:
        reasons.append(
            Reason(
                "region_as_trade_name",
                f"the trade name {parsed.trade_name!r} is an administrative division name "
                "(企业名称登记管理规定 art. 8)",
                parsed.trade_name,
            )
        )
    if parsed.industry is None:
        reasons.append(
            Reason(
                "missing_industry",
                "the name must state the industry or business, e.g. 贸易, 咨询, 科技, before "
                "the organisational form (企业名称登记管理规定 art. 6); if yours is not "
                "recognised, ask the registry to add it",
            )
        )
    if parsed.form_category == "branch" and parsed.branch_of is None:
        reasons.append(
            Reason(
                "branch_without_company_name",
                "a branch's name is its company's full registered name, a designation and "
                "分公司, e.g. 东莞市蓝海贸易有限公司南城分公司",
            )
        )
    if parsed.form_category == "incomplete":
        reasons.append(
            Reason(
                "missing_organisational_form",
                f"{parsed.organisational_form!r} alone is not an organisational form: a company "
                "ends with 有限公司 or 股份有限公司 (Company Law art. 7)",
                parsed.organisational_form,
            )
        )
    elif parsed.organisational_form is None:
        reasons.append(
            Reason(
                "missing_organisational_form",
                "the name must end with its organisational form, e.g. 有限公司 "
                "(企业名称登记管理规定 art. 6)",
            )
        )
    return reasons


def check_name(
    name: str,
    existing: Iterable[ExistingName],
    *,
    region_code: str | None = None,
) -> NameCheck:
    """Check a proposed company name; `available` is True only when `reasons` is empty.

    `existing` is supplied by the caller: the registered names and unexpired reservations of the
    authority's region, excluding the applicant's own reservation of this name. Only names
    whose `name_key` or `trade_name_key` equals this name's can conflict, so the database may
    pass just the rows found through its two key columns (each existing name is re-parsed
    here, about 70 µs apiece).

    A name is refused as `identical_name` when its `name_key` equals an existing one's, and as
    `similar_name` when, not identical, its `trade_name_key` equals an existing one's — i.e.
    the same normalised trade name within the same region, whatever the industry. Branches
    are never "similar" (see the module docstring). With `region_code` (e.g. '441900'), a
    region that is neither that division nor one enclosing it is refused as `region_mismatch`.
    """
    parsed = parse_name(name)
    if parsed is None:
        return NameCheck(
            available=False,
            reasons=[Reason("empty_name", "the name is empty")],
            similar=[],
            parsed=None,
            key="",
            trade_key="",
        )
    key, trade_key = _keys(parsed)
    reasons = _structure_reasons(parsed, region_code)
    reasons += _word_reasons(_strip_noise(parsed.normalised))

    similar: list[str] = []
    for other in existing:
        other_parsed = parse_name(other.name)
        if other_parsed is None:
            continue
        other_key, other_trade_key = _keys(other_parsed)
        if key and other_key == key:
            code, rule = "identical_name", f"has the same name key {key!r}"
        elif trade_key and other_trade_key == trade_key:
            code, rule = "similar_name", f"has the same trade name {parsed.trade_name!r}"
        else:
            continue
        similar.append(other.name)
        reasons.append(Reason(code, f"the {other.status} name {other.name!r} {rule}", other.name))
    return NameCheck(
        available=not reasons,
        reasons=reasons,
        similar=similar,
        parsed=parsed,
        key=key,
        trade_key=trade_key,
    )

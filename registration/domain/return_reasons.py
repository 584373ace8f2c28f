"""The reasons an officer picks when returning or rejecting an application (补正 / 不予登记).

Each has the payload field it usually concerns and a sentence in the officer's and investor's
languages saying what is wrong and what to do; the officer adds free text for the specifics.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final


@dataclass(frozen=True)
class ReturnReason:
    code: str
    field: str
    zh: str
    en: str

    def text(self, language: str) -> str:
        return self.zh if language.startswith("zh") else self.en


REASONS: Final[tuple[ReturnReason, ...]] = (
    ReturnReason(
        "missing_document",
        "documents",
        "缺少必要材料，请补充上传。",
        "A required document is missing: upload it.",
    ),
    ReturnReason(
        "articles_non_standard",
        "company.articles_of_association",
        "公司章程为非标准文本，条款需修改或说明。",
        "The articles of association are not the standard text: amend or explain the clauses.",
    ),
    ReturnReason(
        "name_issue",
        "company.name",
        "企业名称不符合名称登记规定，请另拟名称。",
        "The company name does not meet the naming rules: propose another name.",
    ),
    ReturnReason(
        "identity_mismatch",
        "persons",
        "人员身份信息与证件不一致，请核对。",
        "A person's details do not match their identity document: check them.",
    ),
    ReturnReason(
        "scope_needs_permit",
        "company.business_scope",
        "经营范围含许可经营项目，请提交许可文件或调整经营范围。",
        "The business scope includes an activity needing a permit: attach the permit or "
        "change the scope.",
    ),
    ReturnReason(
        "capital_inconsistent",
        "company.registered_capital",
        "注册资本与股东出资不一致，请更正。",
        "The registered capital does not match the shareholders' contributions: correct it.",
    ),
    ReturnReason(
        "domicile_unclear",
        "company.domicile",
        "住所信息不完整或无法核实，请补充。",
        "The registered address is incomplete or cannot be verified: complete it.",
    ),
    ReturnReason(
        "other",
        "",
        "其他问题，详见说明。",
        "Another problem: see the explanation.",
    ),
)
BY_CODE: Final = {r.code: r for r in REASONS}

"""The reasons an officer picks when returning or rejecting an application (补正 / 不予登记).

Each has the payload field it usually concerns and a sentence in the officer's and investor's
languages saying what is wrong and what to do; the officer adds free text for the specifics.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Final


@dataclass(frozen=True)
class ReturnReason:
    code: str
    field: str
    zh: str
    en: str
    zh_hant: str
    fr: str

    def text(self, language: str) -> str:
        """In zh-Hans, zh-Hant, en or fr (the investor's languages); zh for any other zh."""
        if language == "zh-Hant":
            return self.zh_hant
        if language.startswith("zh"):
            return self.zh
        return self.fr if language == "fr" else self.en


REASONS: Final[tuple[ReturnReason, ...]] = (
    ReturnReason(
        "missing_document",
        "documents",
        "缺少必要材料，请补充上传。",
        "A required document is missing: upload it.",
        "缺少必要材料，請補充上傳。",
        "Un document requis manque : veuillez le téléverser.",
    ),
    ReturnReason(
        "articles_non_standard",
        "company.articles_of_association",
        "公司章程为非标准文本，条款需修改或说明。",
        "The articles of association are not the standard text: amend or explain the clauses.",
        "公司章程為非標準文本，條款需修改或說明。",
        "Les statuts ne suivent pas le modèle type : modifiez ou expliquez les clauses.",
    ),
    ReturnReason(
        "name_issue",
        "company.name",
        "企业名称不符合名称登记规定，请另拟名称。",
        "The company name does not meet the naming rules: propose another name.",
        "企業名稱不符合名稱登記規定，請另擬名稱。",
        "La dénomination ne respecte pas les règles de nommage : proposez-en une autre.",
    ),
    ReturnReason(
        "identity_mismatch",
        "persons",
        "人员身份信息与证件不一致，请核对。",
        "A person's details do not match their identity document: check them.",
        "人員身份資訊與證件不一致，請核對。",
        "Les informations d’une personne ne correspondent pas à sa pièce d’identité : "
        "vérifiez-les.",
    ),
    ReturnReason(
        "scope_needs_permit",
        "company.business_scope",
        "经营范围含许可经营项目，请提交许可文件或调整经营范围。",
        "The business scope includes an activity needing a permit: attach the permit or "
        "change the scope.",
        "經營範圍含許可經營項目，請提交許可文件或調整經營範圍。",
        "L’objet social comprend une activité soumise à autorisation : joignez "
        "l’autorisation ou modifiez l’objet.",
    ),
    ReturnReason(
        "capital_inconsistent",
        "company.registered_capital",
        "注册资本与股东出资不一致，请更正。",
        "The registered capital does not match the shareholders' contributions: correct it.",
        "註冊資本與股東出資不一致，請更正。",
        "Le capital social ne correspond pas aux apports des associés : corrigez-le.",
    ),
    ReturnReason(
        "domicile_unclear",
        "company.domicile",
        "住所信息不完整或无法核实，请补充。",
        "The registered address is incomplete or cannot be verified: complete it.",
        "住所資訊不完整或無法核實，請補充。",
        "L’adresse du siège est incomplète ou invérifiable : complétez-la.",
    ),
    ReturnReason(
        "other",
        "",
        "其他问题，详见说明。",
        "Another problem: see the explanation.",
        "其他問題，詳見說明。",
        "Autre problème : voir l’explication.",
    ),
)
BY_CODE: Final = {r.code: r for r in REASONS}
CODES: Final = tuple(r.code for r in REASONS)


def split(reason: Mapping[str, Any]) -> tuple[ReturnReason | None, str]:
    """A recorded reason (`field`, `message`, maybe `code`) as its catalogued reason, if any,
    and the officer's own note: the console writes the catalogue's sentence, in the officer's
    language, before the note, so it is taken off to be given in the reader's language."""
    note = str(reason.get("message", "")).strip()
    catalogued = BY_CODE.get(str(reason.get("code", "")))
    if catalogued is not None:
        for text in (catalogued.zh, catalogued.zh_hant, catalogued.en, catalogued.fr):
            note = note.removeprefix(text).strip()
    return catalogued, note

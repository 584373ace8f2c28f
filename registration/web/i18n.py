"""Page texts in Chinese and English, and how a request's language is chosen.

Order: an explicit `?lang=` (the toggle on every page, remembered in a cookie), then the
`lang` cookie, then the browser's Accept-Language (RFC 9110 §12.5.4, by quality), then Chinese
(the authority's language).
"""

from __future__ import annotations

from typing import Final

from starlette.requests import Request

LANGUAGES: Final = ("zh", "en")
DEFAULT: Final = "zh"
COOKIE: Final = "lang"

TEXTS: Final[dict[str, tuple[str, str]]] = {
    "site": ("营业执照验证", "Business licence verification"),
    "authority": ("东莞市市场监督管理局", "Dongguan Administration for Market Regulation"),
    "switch": ("English", "中文"),
    "upload_title": ("验证营业执照", "Verify a business licence"),
    "upload_intro": (
        "上传电子营业执照 PDF 文件，检查其是否由登记机关签发、是否被改动、是否仍然有效。"
        "文件仅用于验证，不会被保存。",
        "Upload an electronic business licence (PDF) to check that it was issued by the "
        "registration authority, has not been altered, and is still in force. The file is only "
        "used for the check and is not kept.",
    ),
    "choose_file": ("选择 PDF 文件", "Choose a PDF file"),
    "verify_button": ("验证", "Verify"),
    "result": ("验证结果", "Result"),
    "file": ("文件", "File"),
    "details": ("技术细节", "Technical details"),
    "indication": ("验证结论 (ETSI EN 319 102-1)", "Indication (ETSI EN 319 102-1)"),
    "signer": ("签名者", "Signed by"),
    "signed_at": ("签名时间（时间戳）", "Signed at (timestamp)"),
    "coverage": ("签名覆盖范围", "Signature covers"),
    "coverage_whole": ("整个文件", "the whole file"),
    "coverage_revision": ("签名版本及之后的验证数据", "the signed revision, then validation data"),
    "coverage_partial": ("并非整个文件", "not the whole file"),
    "revocation": ("签名证书状态", "Signing certificate status"),
    "level": ("签名级别", "Signature level"),
    "sha256": ("文件 SHA-256", "File SHA-256"),
    "registry_status": ("该执照在登记系统中的状态", "Registry status of this licence"),
    "revocation_good": ("未吊销", "not revoked"),
    "revocation_revoked": ("已吊销", "REVOKED"),
    "revocation_unknown": ("未知", "unknown"),
    "registry_match": ("与签发文件一致", "Same file as issued"),
    "registry_not_consulted": ("未查询", "not consulted"),
    "yes": ("是", "yes"),
    "no": ("否", "no"),
    "licence_data": ("执照信息", "Licence data"),
    "claimed_data": (
        "文件声称的执照信息（未经验证，请勿信任）",
        "What the file claims (NOT verified — do not rely on it)",
    ),
    "see_registry": ("查看登记系统中的该执照", "See this licence in the registry"),
    "verify_another": ("验证另一个文件", "Verify another file"),
    "status_title": ("执照状态", "Licence status"),
    "status_intro": (
        "以下为登记系统中的公开信息。要确认手中的文件是否为该执照，请上传文件进行验证。",
        "This is the registry's public record. To check that a file in your hands is this "
        "licence, upload it for verification.",
    ),
    "not_found": ("登记系统中没有该执照。", "The registry has no such licence."),
    "versions": ("所有版本", "All versions"),
    "version": ("版本", "Version"),
    "issued_at": ("签发时间", "Issued"),
    "status_changed_at": ("状态变更时间", "Status changed"),
    "status_reason": ("原因", "Reason"),
    "latest_version": ("最新版本", "Latest version"),
    "name": ("名称", "Name"),
    "uscc": ("统一社会信用代码", "Unified social credit code"),
    "company_type": ("类型", "Type"),
    "legal_representative": ("法定代表人", "Legal representative"),
    "registered_capital": ("注册资本", "Registered capital"),
    "date_of_establishment": ("成立日期", "Date of establishment"),
    "business_term": ("营业期限", "Business term"),
    "business_term_unlimited": ("长期", "unlimited"),
    "business_term_years": ("{n} 年", "{n} years"),
    "domicile": ("住所", "Domicile"),
    "business_scope": ("经营范围", "Business scope"),
    "registration_authority": ("登记机关", "Registration authority"),
    "issue_date": ("发照日期", "Issue date"),
    "status_active": ("有效", "in force"),
    "status_superseded": ("已被新版本取代", "superseded by a newer version"),
    "status_revoked": ("已吊销", "revoked"),
    "status_deregistered": ("已注销", "deregistered"),
    "in_force_banner": ("该执照当前有效", "This licence is in force"),
    "inconsistent_banner": ("无法确认该执照的状态", "This licence's status cannot be confirmed"),
    "status_registry_inconsistent": (
        "登记系统的记录与其透明日志不一致，可能已被篡改，请联系登记机关",
        "the registry's record disagrees with its transparency log and may have been tampered "
        "with; contact the registration authority",
    ),
    "not_in_force_banner": ("该执照已失效", "This licence is NOT in force"),
    "error_title": ("无法验证", "Cannot verify"),
    "payload_too_large": ("文件过大，不可能是营业执照。", "The file is too large to be a licence."),
    "not_a_pdf": ("上传的文件不是 PDF。", "The uploaded file is not a PDF."),
    "no_file": ("请选择要验证的文件。", "Choose a file to verify."),
    "notice_title": (
        "登记机关签章的通知书（不是营业执照）",
        "A notice signed by the authority — NOT a business licence",
    ),
    "notice_data": ("通知书内容", "What the notice states"),
    "notice_kind": ("文书类型", "Kind"),
    "notice_kind_acceptance": ("受理通知书", "Notice of acceptance"),
    "notice_kind_return": ("补正材料通知书", "Notice to correct the application"),
    "notice_kind_rejection": ("不予登记通知书", "Notice of refusal of registration"),
    "notice_kind_approval": ("准予登记通知书", "Notice of approval of registration"),
    "notice_kind_withdrawal": ("撤回登记申请通知书", "Notice of withdrawal of the application"),
    "notice_number": ("文书编号", "Notice number"),
    "notice_company": ("企业名称", "Company"),
    "notice_reference": ("查询编号", "Tracking reference"),
    "notice_date": ("日期", "Date"),
    "notice_reasons": ("事项", "Items"),
    "notice_on_record": ("登记系统存档", "On the registry's record"),
}


def choose_language(request: Request) -> str:
    asked = request.query_params.get("lang")
    if asked in LANGUAGES:
        return asked
    cookie = request.cookies.get(COOKIE)
    if cookie in LANGUAGES:
        return cookie
    return _from_accept_language(request.headers.get("accept-language", ""))


def _from_accept_language(header: str) -> str:
    best, best_q = DEFAULT, -1.0
    for item in header.split(","):
        tag, _, params = item.strip().partition(";")
        quality = 1.0
        if params.strip().startswith("q="):
            try:
                quality = float(params.strip()[2:])
            except ValueError:
                quality = 0.0
        primary = tag.strip().lower().split("-")[0]
        # Strictly greater: earlier entries win ties, as browsers list preferences in order.
        if primary in LANGUAGES and quality > best_q and quality > 0:
            best, best_q = primary, quality
    return best


def text(key: str, language: str) -> str:
    pair = TEXTS[key]
    return pair[0] if language == "zh" else pair[1]

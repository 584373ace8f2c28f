"""Texts of the register, deregistration and statistics pages in the four languages of the
problem messages (zh-Hans, zh-Hant, en, fr), and the request's language: `?lang=`, the `lang`
cookie, Accept-Language (`http.localisation.negotiate`), then Simplified Chinese."""

from __future__ import annotations

from typing import Final

from starlette.requests import Request

from registration.http.localisation import LANGUAGES, negotiate

COOKIE: Final = "lang"
DEFAULT: Final = "zh-Hans"
NAMES: Final = {"zh-Hans": "简体中文", "zh-Hant": "繁體中文", "en": "English", "fr": "Français"}
# The verification pages speak zh or en; their cookie values map to ours.
_LEGACY: Final = {"zh": "zh-Hans", "en": "en"}

TEXTS: Final[dict[str, tuple[str, str, str, str]]] = {
    "authority": (
        "东莞市市场监督管理局",
        "東莞市市場監督管理局",
        "Dongguan Administration for Market Regulation",
        "Administration de la régulation des marchés de Dongguan",
    ),
    "register_title": (
        "企业登记公示查询",
        "企業登記公示查詢",
        "Public company register",
        "Registre public des sociétés",
    ),
    "register_intro": (
        "按统一社会信用代码或企业名称查询（简体、繁体、英文名称均可）。仅显示营业执照上载明的信息。",
        "按統一社會信用代碼或企業名稱查詢（簡體、繁體、英文名稱均可）。僅顯示營業執照上載明的資訊。",
        "Search by unified social credit code or by company name (Simplified, Traditional or "
        "English). Only what the business licence itself shows is listed.",
        "Recherche par code unifié de crédit social ou par dénomination (chinois simplifié, "
        "traditionnel ou anglais). Seules les mentions de la licence commerciale sont affichées.",
    ),
    "query_label": ("代码或名称", "代碼或名稱", "Code or name", "Code ou dénomination"),
    "search": ("查询", "查詢", "Search", "Rechercher"),
    "results": ("共 {n} 条结果", "共 {n} 筆結果", "{n} results", "{n} résultats"),
    "no_results": (
        "没有找到相符的企业。",
        "沒有找到相符的企業。",
        "No company matches.",
        "Aucune société ne correspond.",
    ),
    "uscc": (
        "统一社会信用代码",
        "統一社會信用代碼",
        "Unified social credit code",
        "Code unifié de crédit social",
    ),
    "name": ("名称", "名稱", "Name", "Dénomination"),
    "status": ("状态", "狀態", "Status", "Statut"),
    "legal_representative": (
        "法定代表人",
        "法定代表人",
        "Legal representative",
        "Représentant légal",
    ),
    "domicile": ("住所", "住所", "Domicile", "Siège"),
    "issued_at": ("发照日期", "發照日期", "Issued", "Délivrée le"),
    "version": ("版本", "版本", "Version", "Version"),
    "details": ("详情", "詳情", "Details", "Détails"),
    "status_active": ("存续（在业）", "存續（在業）", "in force", "en vigueur"),
    "status_superseded": ("已被新版本取代", "已被新版本取代", "superseded", "remplacée"),
    "status_revoked": ("吊销", "吊銷", "revoked", "révoquée"),
    "status_deregistered": ("注销", "註銷", "deregistered", "radiée"),
    "deregistered_on": ("已于 {d} 注销", "已於 {d} 註銷", "deregistered on {d}", "radiée le {d}"),
    "in_notice": (
        "简易注销公示中，至 {d}",
        "簡易註銷公示中，至 {d}",
        "deregistration notice until {d}",
        "radiation en cours de publicité jusqu'au {d}",
    ),
    "previous": ("上一页", "上一頁", "Previous", "Précédent"),
    "next": ("下一页", "下一頁", "Next", "Suivant"),
    "notices_title": (
        "简易注销公告",
        "簡易註銷公告",
        "Deregistration notices",
        "Avis de radiation",
    ),
    "notices_intro": (
        "以下企业申请简易注销。公示期内，任何人可对其提出异议。",
        "以下企業申請簡易註銷。公示期內，任何人可對其提出異議。",
        "These companies have applied for simplified deregistration. Anyone may object during "
        "the notice period.",
        "Ces sociétés ont demandé une radiation simplifiée. Toute personne peut s'y opposer "
        "pendant la période de publicité.",
    ),
    "no_notices": (
        "目前没有公示中的简易注销。",
        "目前沒有公示中的簡易註銷。",
        "No deregistration is in its notice period.",
        "Aucune radiation en cours de publicité.",
    ),
    "filed_at": ("公示开始", "公示開始", "Notice from", "Publicité depuis"),
    "notice_ends_at": ("公示截止", "公示截止", "Notice ends", "Fin de la publicité"),
    "objections": ("异议", "異議", "Objections", "Oppositions"),
    "pending_objections": (
        "待处理异议",
        "待處理異議",
        "Pending objections",
        "Oppositions en attente",
    ),
    "dereg_status_notice": ("公示中", "公示中", "in notice period", "en publicité"),
    "dereg_status_completed": ("已注销", "已註銷", "completed", "radiée"),
    "dereg_status_withdrawn": (
        "企业已撤回",
        "企業已撤回",
        "withdrawn by the company",
        "retirée par la société",
    ),
    "dereg_status_refused": ("不予注销", "不予註銷", "refused", "refusée"),
    "object_title": ("提出异议", "提出異議", "Lodge an objection", "Former opposition"),
    "object_intro": (
        "您的联系方式和理由仅登记机关可见。请保存提交后显示的撤回凭证。",
        "您的聯絡方式和理由僅登記機關可見。請保存提交後顯示的撤回憑證。",
        "Your contact details and reason are seen by the registrar only. Keep the withdrawal "
        "code shown after you submit.",
        "Vos coordonnées et votre motif ne sont vus que par le registraire. Conservez le code "
        "de retrait affiché après l'envoi.",
    ),
    "contact": ("联系方式", "聯絡方式", "Contact", "Contact"),
    "reason": ("理由", "理由", "Reason", "Motif"),
    "submit": ("提交", "提交", "Submit", "Envoyer"),
    "objection_received": (
        "异议已登记。撤回凭证：",
        "異議已登記。撤回憑證：",
        "Objection recorded. Withdrawal code:",
        "Opposition enregistrée. Code de retrait :",
    ),
    "not_found": ("没有该公告。", "沒有該公告。", "No such notice.", "Aucun avis de ce type."),
    "error": ("无法处理：", "無法處理：", "Could not be done:", "Impossible :"),
    "statistics_title": (
        "办理情况统计",
        "辦理情況統計",
        "Service statistics",
        "Statistiques du service",
    ),
}


def choose_language(request: Request) -> str:
    asked = request.query_params.get("lang")
    if asked in LANGUAGES:
        return asked
    cookie = request.cookies.get(COOKIE, "")
    if cookie in LANGUAGES:
        return cookie
    if cookie in _LEGACY:
        return _LEGACY[cookie]
    return negotiate(request.headers.get("accept-language")) or DEFAULT


def text(key: str, language: str) -> str:
    return TEXTS[key][LANGUAGES.index(language)]

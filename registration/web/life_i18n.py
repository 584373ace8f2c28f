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
    "statistics_intro": (
        "按首次提交时间统计 {start} 至 {end} 的申请，依据事件日志计算。",
        "按首次提交時間統計 {start} 至 {end} 的申請，依據事件日誌計算。",
        "Applications first submitted from {start} to {end}, computed from the event log.",
        "Demandes déposées pour la première fois du {start} au {end}, calculées à partir du "
        "journal.",
    ),
    "scope": ("范围", "範圍", "Scope", "Périmètre"),
    "overall": ("全部", "全部", "overall", "ensemble"),
    "applications": ("申请", "申請", "Applications", "Demandes"),
    "decided": ("已办结", "已辦結", "Decided", "Décidées"),
    "instant": (
        "马上办（即时办结）",
        "馬上辦（即時辦結）",
        "Decided instantly (马上办)",
        "Décidées immédiatement (马上办)",
    ),
    "no_return": (
        "一次办（无退回核准）",
        "一次辦（無退回核准）",
        "Approved with no return (一次办)",
        "Approuvées sans retour (一次办)",
    ),
    "no_visit": (
        "网上办（无需到场）",
        "網上辦（無需到場）",
        "Without a visit (网上办)",
        "Sans déplacement (网上办)",
    ),
    "target": ("目标", "目標", "target", "objectif"),
    "median": (
        "提交至发照中位数",
        "提交至發照中位數",
        "Median submission → licence",
        "Médiane dépôt → licence",
    ),
    "p95": (
        "提交至发照 95 分位",
        "提交至發照 95 分位",
        "p95 submission → licence",
        "p95 dépôt → licence",
    ),
    "returns_by_reason": ("退回原因", "退回原因", "Returns by reason", "Retours par motif"),
    "queues": (
        "待办队列（按类别）",
        "待辦佇列（按類別）",
        "Open queues per category",
        "Files d'attente par catégorie",
    ),
    "category": ("类别", "類別", "Category", "Catégorie"),
    "open": ("待办", "待辦", "Open", "En cours"),
    "oldest_hours": (
        "最久等待（小时）",
        "最久等待（小時）",
        "Oldest (hours)",
        "Plus ancienne (heures)",
    ),
    "decided_in_period": ("期内办结", "期內辦結", "Decided in period", "Décidées sur la période"),
    "csv": ("下载 CSV", "下載 CSV", "Download CSV", "Télécharger le CSV"),
    "definitions": (
        "网上办：各渠道均为远程办理；已办结且申请人身份均经银行远程核验（有核验记录），且未因身份证件被退回，即计为无需到场。",
        "網上辦：各渠道均為遠程辦理；已辦結且申請人身分均經銀行遠程核驗（有核驗記錄），且未因身分證件被退回，即計為無需到場。",
        "Without a visit: every channel is remote; a decided application counts when its people's "
        "identities were attested remotely by the bank and it was never returned over an identity "
        "document.",
        "Sans déplacement : tous les canaux sont à distance ; une demande décidée compte si "
        "l'identité de ses personnes a été attestée à distance par la banque et qu'elle n'a "
        "jamais été retournée pour une pièce d'identité.",
    ),
    "statistics_title": (
        "办理情况统计",
        "辦理情況統計",
        "Service statistics",
        "Statistiques du service",
    ),
    "track_title": (
        "申请进度查询",
        "申請進度查詢",
        "Track your application",
        "Suivre votre demande",
    ),
    "track_intro": (
        "请输入银行回执上的查询编号和查询码。",
        "請輸入銀行回執上的查詢編號和查詢碼。",
        "Enter the tracking reference and code printed on your bank receipt.",
        "Saisissez la référence et le code de suivi imprimés sur votre reçu bancaire.",
    ),
    "track_reference": ("查询编号", "查詢編號", "Tracking reference", "Référence de suivi"),
    "track_code": ("查询码", "查詢碼", "Tracking code", "Code de suivi"),
    "track_submit": ("查询", "查詢", "Show my case", "Afficher mon dossier"),
    "track_status": ("当前状态", "目前狀態", "Status", "État"),
    "track_timeline": ("办理进度", "辦理進度", "Progress", "Avancement"),
    "track_by_system": ("系统", "系統", "system", "système"),
    "track_by_authority": ("登记机关", "登記機關", "the authority", "l’autorité"),
    "track_by_applicant": (
        "申请人",
        "申請人",
        "you (through your bank)",
        "vous (via votre banque)",
    ),
    "track_to_fix": ("需要补正的事项", "需要補正的事項", "What to fix", "À corriger"),
    "track_field": ("涉及内容", "涉及內容", "Concerns", "Concerne"),
    "track_resubmit": (
        "请到办理银行或在应用程序中修改后重新提交。",
        "請到辦理銀行或在應用程式中修改後重新提交。",
        "Correct these at your bank or in the app, then submit again.",
        "Corrigez ces points à votre banque ou dans l’application, puis déposez à nouveau.",
    ),
    "track_expected": ("预计办结时间", "預計辦結時間", "Expected decision", "Décision attendue"),
    "track_expected_in": (
        "约 {d}（根据近期 {n} 件同类申请）",
        "約 {d}（根據近期 {n} 件同類申請）",
        "in about {d} (from {n} recent decisions of this kind)",
        "dans environ {d} (d’après {n} décisions récentes de ce type)",
    ),
    "track_expected_none": (
        "暂无同类申请的历史数据。",
        "暫無同類申請的歷史資料。",
        "No recent decisions of this kind to estimate from.",
        "Aucune décision récente de ce type pour l’estimer.",
    ),
    "track_waiting_for_you": (
        "等待您补正后重新提交。",
        "等待您補正後重新提交。",
        "Waiting for you to correct and resubmit.",
        "En attente de votre correction.",
    ),
    "track_decided": ("已办结。", "已辦結。", "Decided.", "Décidée."),
    "track_notices": ("通知书", "通知書", "Notices", "Avis"),
    "track_notice_pending": ("签章中", "簽章中", "being signed", "en cours de signature"),
    "track_download": ("下载", "下載", "Download", "Télécharger"),
    "track_licence": ("营业执照", "營業執照", "Business licence", "Licence commerciale"),
    "track_verify_hint": (
        "下载的通知书和执照可在核验页面验证真伪。",
        "下載的通知書和執照可在核驗頁面驗證真偽。",
        "Check any notice or licence you download on the verification page.",
        "Vérifiez tout avis ou licence téléchargé sur la page de vérification.",
    ),
    "track_another": (
        "查询其他申请",
        "查詢其他申請",
        "Track another case",
        "Suivre un autre dossier",
    ),
    "unit_minutes": ("{n} 分钟", "{n} 分鐘", "{n} minutes", "{n} minutes"),
    "unit_hours": ("{n} 小时", "{n} 小時", "{n} hours", "{n} heures"),
    "unit_days": ("{n} 天", "{n} 天", "{n} days", "{n} jours"),
    "unit_now": ("即将", "即將", "moments", "quelques instants"),
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

"""What the investor reads — the tracking page, the sealed notices and the e-mails — in the four
languages of the channels (zh-Hans, zh-Hant, en, fr). One table, so a notice, its e-mail and the
page say the same thing in the same words."""

from __future__ import annotations

from typing import Final

LANGUAGES: Final = ("zh-Hans", "zh-Hant", "en", "fr")
_INDEX: Final = {language: i for i, language in enumerate(LANGUAGES)}

TEXTS: Final[dict[str, tuple[str, str, str, str]]] = {
    # statuses (DESIGN.md §2)
    "status.draft": ("草稿", "草稿", "Draft", "Brouillon"),
    "status.submitted": ("已提交", "已提交", "Submitted", "Déposée"),
    "status.accepted": ("已受理", "已受理", "Accepted for review", "Recevable"),
    "status.returned": (
        "退回补正",
        "退回補正",
        "Returned for correction",
        "Renvoyée pour correction",
    ),
    "status.approved": ("准予登记", "准予登記", "Approved", "Approuvée"),
    "status.rejected": ("不予登记", "不予登記", "Rejected", "Rejetée"),
    "status.issued": ("已发照", "已發照", "Licence issued", "Licence délivrée"),
    "status.withdrawn": ("已撤回", "已撤回", "Withdrawn", "Retirée"),
    # notices
    "notice.acceptance": (
        "受理通知书",
        "受理通知書",
        "Notice of acceptance",
        "Avis de recevabilité",
    ),
    "notice.return": (
        "补正材料通知书",
        "補正材料通知書",
        "Notice to correct the application",
        "Avis de demande de correction",
    ),
    "notice.rejection": (
        "不予登记通知书",
        "不予登記通知書",
        "Notice of refusal of registration",
        "Avis de refus d’immatriculation",
    ),
    "notice.approval": (
        "准予登记通知书",
        "准予登記通知書",
        "Notice of approval of registration",
        "Avis d’approbation de l’immatriculation",
    ),
    "notice.withdrawal": (
        "撤回登记申请通知书",
        "撤回登記申請通知書",
        "Notice of withdrawal of the application",
        "Avis de retrait de la demande",
    ),
    "notice.statement.withdrawal": (
        "你单位的登记申请长期未提交或未补正，本机关依规定予以撤回，所申请的企业名称不再保留。",
        "你單位的登記申請長期未提交或未補正，本機關依規定予以撤回，所申請的企業名稱不再保留。",
        "The application was left unfinished too long: the authority has withdrawn it and the "
        "company name is no longer held.",
        "La demande est restée inachevée trop longtemps : l’autorité l’a retirée et la "
        "dénomination n’est plus réservée.",
    ),
    "notice.statement.acceptance": (
        "你单位提交的设立登记申请材料齐全、符合法定形式，本机关决定予以受理。",
        "你單位提交的設立登記申請材料齊全、符合法定形式，本機關決定予以受理。",
        "The application is complete and in the required form: the authority accepts it for "
        "review.",
        "La demande est complète et en la forme requise : l’autorité la déclare recevable.",
    ),
    "notice.statement.return": (
        "你单位提交的申请材料需补正，请按以下事项补正后重新提交。",
        "你單位提交的申請材料需補正，請按以下事項補正後重新提交。",
        "The application must be corrected: correct the items below and submit it again.",
        "La demande doit être corrigée : corrigez les points ci-dessous puis déposez-la à nouveau.",
    ),
    "notice.statement.rejection": (
        "经审查，你单位的登记申请不符合法定条件，本机关决定不予登记，理由如下。",
        "經審查，你單位的登記申請不符合法定條件，本機關決定不予登記，理由如下。",
        "The application does not meet the legal conditions: the authority refuses registration "
        "for the reasons below.",
        "La demande ne remplit pas les conditions légales : l’autorité refuse l’immatriculation "
        "pour les motifs ci-dessous.",
    ),
    "notice.statement.approval": (
        "经审查，你单位的登记申请符合法定条件，本机关决定准予登记，营业执照将以电子方式颁发。",
        "經審查，你單位的登記申請符合法定條件，本機關決定准予登記，營業執照將以電子方式頒發。",
        "The application meets the legal conditions: the authority approves the registration; "
        "the business licence is issued electronically.",
        "La demande remplit les conditions légales : l’autorité approuve l’immatriculation ; la "
        "licence commerciale est délivrée par voie électronique.",
    ),
    "notice.number": ("文书编号", "文書編號", "Notice number", "Numéro de l’avis"),
    "notice.company": ("企业名称", "企業名稱", "Company", "Société"),
    "notice.reference": ("查询编号", "查詢編號", "Tracking reference", "Référence de suivi"),
    "notice.date": ("日期", "日期", "Date", "Date"),
    "notice.reasons": ("事项", "事項", "Items", "Points"),
    "notice.field": ("涉及内容", "涉及內容", "Concerns", "Concerne"),
    "notice.verify": (
        "本通知书经登记机关电子签章，可在以下网址核验：",
        "本通知書經登記機關電子簽章，可在以下網址核驗：",
        "This notice is signed electronically by the authority; verify it at:",
        "Cet avis est signé électroniquement par l’autorité ; vérifiez-le sur :",
    ),
    "notice.not_a_licence": (
        "本文书不是营业执照。",
        "本文書不是營業執照。",
        "This document is not a business licence.",
        "Ce document n’est pas une licence commerciale.",
    ),
    # e-mails
    "mail.subject": (
        "【登记进度】{company}：{status}",
        "【登記進度】{company}：{status}",
        "[Registration] {company}: {status}",
        "[Immatriculation] {company} : {status}",
    ),
    "mail.greeting": ("您好：", "您好：", "Hello,", "Bonjour,"),
    "mail.changed": (
        "您的企业设立申请（{company}）状态已更新为：{status}。",
        "您的企業設立申請（{company}）狀態已更新為：{status}。",
        "Your application to register {company} is now: {status}.",
        "Votre demande d’immatriculation de {company} est maintenant : {status}.",
    ),
    "mail.track": (
        "查询编号 {reference}。请凭查询编号和办理时取得的查询码"
        "在此查看进度、通知书和营业执照：{url}",
        "查詢編號 {reference}。請憑查詢編號和辦理時取得的查詢碼"
        "在此查看進度、通知書和營業執照：{url}",
        "Tracking reference {reference}. With it and the tracking code you were given, see the "
        "progress, the notices and the licence at {url}",
        "Référence de suivi {reference}. Avec elle et le code de suivi remis, consultez "
        "l’avancement, les avis et la licence sur {url}",
    ),
    "mail.reasons": (
        "需要处理的事项：",
        "需要處理的事項：",
        "What to do:",
        "À faire :",
    ),
    "mail.stale_warning": (
        "您的申请已 {days} 天无进展，如 {deadline} 前仍未处理，系统将自动撤回并释放企业名称。",
        "您的申請已 {days} 天無進展，如 {deadline} 前仍未處理，系統將自動撤回並釋放企業名稱。",
        "Nothing has happened on your application for {days} days: unless it moves by "
        "{deadline}, it will be withdrawn and the company name released.",
        "Votre demande n’a pas évolué depuis {days} jours : sans suite d’ici le {deadline}, elle "
        "sera retirée et la dénomination libérée.",
    ),
    "mail.signature": (
        "东莞市市场监督管理局（本邮件由系统自动发送，请勿回复）",
        "東莞市市場監督管理局（本郵件由系統自動發送，請勿回覆）",
        "Dongguan Administration for Market Regulation (automatic message: do not reply)",
        "Administration de la régulation des marchés de Dongguan (message automatique)",
    ),
}


def language_of(language: str) -> str:
    """The investor language for an application's language tag (zh-CN → zh-Hans, …)."""
    if language in _INDEX:
        return language
    lowered = language.lower()
    if lowered.startswith("zh"):
        traditional = any(tag in lowered for tag in ("hant", "-hk", "-tw", "-mo"))
        return "zh-Hant" if traditional else "zh-Hans"
    return "fr" if lowered.startswith("fr") else "en"


def text(key: str, language: str) -> str:
    return TEXTS[key][_INDEX[language_of(language)]]

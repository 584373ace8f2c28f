"""The reason for a verdict in words, in Chinese and English, for the web page and the CLI.

`explain(code, language)` turns a report's `reason` (or any problem code) into one sentence for
a reader who knows nothing of PDF signatures. Codes come from `signing.verification` findings
and from `verification.licence`.
"""

from __future__ import annotations

import datetime as dt
from typing import Final

__all__ = ["LANGUAGES", "explain", "verdict_title"]

LANGUAGES: Final = ("zh", "en")

_MESSAGES: Final[dict[str, tuple[str, str]]] = {
    # code: (中文, English)
    "notice_authentic": (
        "这是登记机关签章的通知书（不是营业执照），由登记机关签发且未被改动。",
        "This is a notice signed by the registration authority (NOT a business licence); it "
        "was issued by the authority and has not been altered.",
    ),
    "notice_data_invalid": (
        "该文件自称通知书，但其数据不可读或格式不符。",
        "The file claims to be a notice but its data is unreadable or not in the notice format.",
    ),
    "ambiguous_document": (
        "该文件同时带有执照数据和通知书数据，无法确定其性质，不予认可。",
        "The file carries both licence data and notice data, so what it is cannot be told: it "
        "is not accepted.",
    ),
    "in_force": (
        "该执照真实有效：由登记机关签发，文件未被改动，且在登记系统中为有效状态。",
        "This licence is genuine and in force: issued by the registration authority, "
        "unaltered, and active in the registry.",
    ),
    "authentic": (
        "该执照由登记机关签发且未被改动。未查询登记系统，因此无法确认其当前是否有效。",
        "This licence was issued by the registration authority and has not been altered. "
        "The registry was not consulted, so whether it is still in force is not known.",
    ),
    "licence_revoked": (
        "签名真实，但该执照已被吊销，不再有效。",
        "The signature is genuine, but this licence has been REVOKED and is no longer in force.",
    ),
    "licence_superseded": (
        "签名真实，但该执照已被新版本取代，不再有效。",
        "The signature is genuine, but this licence has been SUPERSEDED by a newer version and "
        "is no longer in force.",
    ),
    "licence_deregistered": (
        "签名真实，但该企业已注销，执照不再有效。",
        "The signature is genuine, but the company has been deregistered; the licence is no "
        "longer in force.",
    ),
    "not_in_registry": (
        "签名真实，但登记系统中没有该执照的记录，它从未被正式签发。",
        "The signature is genuine, but the registry has no record of this licence: it was "
        "never officially issued.",
    ),
    "crl_unavailable": (
        "验证系统暂时无法取得最新的证书吊销列表，无法完成验证；这不是执照的问题，请稍后重试。",
        "The verifier cannot get the current certificate revocation list right now, so it "
        "cannot finish; this is not a problem with the licence. Try again later.",
    ),
    "internal_io_error": (
        "验证系统内部读写出错，无法完成验证；这不是执照的问题，请稍后重试。",
        "The verifier hit an internal input/output fault and cannot finish; this is not a "
        "problem with the licence. Try again later.",
    ),
    "verification_budget_exceeded": (
        "该文件的验证超出了单份文件允许的时间，验证系统已放弃，未作出结论；真正的营业执照不会出现这种情况。",
        "Verifying this file took longer than one document is allowed, so the verifier gave up "
        "without a verdict; a genuine licence never does this.",
    ),
    "verification_worker_failed": (
        "验证该文件的进程异常终止（例如超出内存限制），未作出结论；真正的营业执照不会出现这种情况。",
        "The process verifying this file stopped abnormally (for example, over its memory "
        "limit), so there is no verdict; a genuine licence never does this.",
    ),
    "registry_inconsistent": (
        "登记系统中该执照的记录与其透明日志不一致，可能已被篡改；目前无法确认该执照的状态，"
        "请联系登记机关。",
        "The registry's record of this licence disagrees with its transparency log and may have "
        "been tampered with; its status cannot be confirmed now. Contact the registration "
        "authority.",
    ),
    "registry_hash_mismatch": (
        "该文件与登记机关签发的文件不一致（SHA-256 不同）。",
        "This file is not the one the registration authority issued (its SHA-256 differs from "
        "the registry's record).",
    ),
    "licence_data_invalid": (
        "文件已签名，但其中没有可读取的执照数据，不是营业执照。",
        "The file is signed but carries no readable licence data: it is not a business licence.",
    ),
    "too_large": (
        "文件过大，不可能是营业执照。",
        "The file is too large to be a business licence.",
    ),
    "not_a_pdf": ("该文件不是 PDF 文件。", "The file is not a PDF."),
    "truncated": ("文件不完整（已被截断）。", "The file is incomplete (truncated)."),
    "encrypted": (
        "文件已加密；登记机关签发的执照从不加密。",
        "The file is encrypted; licences issued by the authority never are.",
    ),
    "decompression_bomb": (
        "文件包含异常压缩的数据（压缩炸弹），已拒绝处理。",
        "The file contains abnormally compressed data (a decompression bomb) and was refused.",
    ),
    "too_deeply_nested": (
        "文件结构异常（嵌套过深），已拒绝处理。",
        "The file's structure is abnormal (nested too deeply) and was refused.",
    ),
    "unreadable_pdf": ("无法读取该 PDF 文件。", "The PDF cannot be read."),
    "no_signature": (
        "文件没有电子签名，不是登记机关签发的执照。",
        "The file carries no electronic signature: it is not a licence issued by the authority.",
    ),
    "too_many_signatures": ("文件中签名字段过多。", "The file has too many signature fields."),
    "signature_unreadable": (
        "签名数据已损坏或被清除。",
        "The signature data is damaged or has been wiped.",
    ),
    "signature_malformed": ("签名数据格式错误。", "The signature data is malformed."),
    "too_much_validation_data": (
        "文件中的证书或吊销列表数量或大小异常。",
        "The file holds an abnormal number or size of certificates or revocation lists.",
    ),
    "not_pades": (
        "签名不是 PAdES 格式。",
        "The signature is not a PAdES signature.",
    ),
    "byte_range_invalid": (
        "签名覆盖范围被篡改：文件中有未被签名保护的部分。",
        "The signature's coverage has been tampered with: part of the file is not protected "
        "by the signature.",
    ),
    "signature_not_canonical": (
        "签名值的编码被改动过（签名后文件被修改）。",
        "The signature value's encoding was changed: the file was modified after signing.",
    ),
    "signature_container_altered": (
        "签名容器中的数据被改动过（如证书副本损坏），文件在签名后被修改。",
        "Data inside the signature container was changed (e.g. a damaged certificate copy): "
        "the file was modified after signing.",
    ),
    "digest_mismatch": (
        "文件内容在签名后被修改过。",
        "The file's content was changed after it was signed.",
    ),
    "signature_invalid": (
        "签名值无效：签名不是由该证书生成的。",
        "The signature value is invalid: it was not made with the signing certificate's key.",
    ),
    "modified_after_signing": (
        "文件在签名后被追加修改（不仅是验证数据），显示的内容可能已被替换。",
        "The file was changed after signing by an appended update that adds more than "
        "validation data; what it shows may have been replaced.",
    ),
    "update_after_signing": (
        "签名后文件被追加了更新（既不是验证数据也不是时间戳）。",
        "An update was appended to the file after signing that is neither validation data "
        "nor a timestamp.",
    ),
    "too_many_revisions": (
        "文件的修订次数异常，不可能是营业执照。",
        "The file has an abnormal number of revisions for a licence.",
    ),
    "data_after_eof": (
        "签名后在文件末尾追加了数据。",
        "Data was appended to the end of the file after signing.",
    ),
    "signer_no_certificate_chain_found": (
        "签名证书不属于登记机关（无法链接到受信任的根证书）。",
        "The signing certificate does not belong to the registration authority (no chain to "
        "the trusted root).",
    ),
    "signer_certificate_chain_general_failure": (
        "签名证书自称来自登记机关，但证书链验证失败（冒充的证书）。",
        "The signing certificate claims to come from the registration authority, but its chain "
        "does not verify (an impostor certificate).",
    ),
    "signer_chain_constraints_failure": (
        "该证书无权签署执照。",
        "The certificate is not authorised to sign licences.",
    ),
    "signer_try_later": (
        "缺少签名时有效的证书吊销信息，暂时无法确认。",
        "Revocation information valid at the signing time is missing; try again later.",
    ),
    "signer_out_of_bounds_no_poe": (
        "签名时签名证书不在有效期内。",
        "The signing certificate was not valid at the time of signing.",
    ),
    "signer_revoked": (
        "签名证书已被吊销，签名不可信。",
        "The signing certificate has been revoked; the signature cannot be trusted.",
    ),
    "signer_ca_revoked": (
        "签发签名证书的机构证书已被吊销。",
        "A certificate authority above the signing certificate has been revoked.",
    ),
    "timestamp_revoked": (
        "时间戳服务证书已被吊销。",
        "The timestamp authority's certificate has been revoked.",
    ),
    "timestamp_ca_revoked": (
        "时间戳服务的上级证书已被吊销。",
        "A certificate authority above the timestamp authority has been revoked.",
    ),
    "no_signature_timestamp": (
        "签名没有可信时间戳，无法确认签名时间。",
        "The signature has no trusted timestamp, so when it was made cannot be established.",
    ),
    "timestamp_certificate_expired": (
        "时间戳证书已过期，且没有存档时间戳。",
        "The timestamp certificate has expired and there is no archive timestamp.",
    ),
}

_BY_SUB_INDICATION: Final[dict[str, tuple[str, str]]] = {
    "FORMAT_FAILURE": ("文件格式不符合要求。", "The file's format is not acceptable."),
    "HASH_FAILURE": ("文件内容与签名不符。", "The file's content does not match the signature."),
    "SIG_CRYPTO_FAILURE": ("签名值无效。", "The signature value is invalid."),
    "REVOKED": ("证书已被吊销。", "A certificate has been revoked."),
    "NO_CERTIFICATE_CHAIN_FOUND": (
        "证书无法链接到受信任的根证书。",
        "A certificate does not chain to the trusted root.",
    ),
    "SIG_CONSTRAINTS_FAILURE": (
        "签名不满足验证策略的要求（如缺少可信时间戳）。",
        "The signature does not meet the validation policy (e.g. no trusted timestamp).",
    ),
    "REVOKED_NO_POE": (
        "证书已被吊销，且无法证明签名早于吊销。",
        "A certificate has been revoked and nothing proves the signature predates it.",
    ),
}

_TITLES: Final[dict[str, tuple[str, str]]] = {
    "in_force": ("真实有效", "Genuine and in force"),
    "authentic": ("真实（未查询状态）", "Genuine (status not checked)"),
    "not_in_force": ("签名真实，但执照已失效", "Genuine signature — licence NOT in force"),
    "invalid": ("验证失败：文件不可信", "Verification failed: do not trust this file"),
    "indeterminate": ("无法确认", "Cannot be confirmed"),
}


def _pick(pair: tuple[str, str], language: str) -> str:
    return pair[0] if language.startswith("zh") else pair[1]


# A licence that left `active` on a known day says which day (DESIGN.md §3: "deregistered on D").
_DATED: Final = {
    "licence_deregistered": (
        "签名真实，但该企业已于 {on} 注销，执照不再有效。",
        "The signature is genuine, but the company was deregistered on {on}; the licence is no "
        "longer in force.",
    ),
    "licence_revoked": (
        "签名真实，但该执照已于 {on} 被吊销。",
        "The signature is genuine, but the licence was revoked on {on}.",
    ),
}


def explain(
    code: str,
    language: str = "en",
    sub_indication: str | None = None,
    on: dt.date | None = None,
) -> str:
    """One sentence for `code` in `language` ("zh" or "en"); `on`: the day the registry status
    changed, named for deregistrations and revocations."""
    if on is not None and code in _DATED:
        return _pick(_DATED[code], language).format(on=on.isoformat())
    if code in _MESSAGES:
        return _pick(_MESSAGES[code], language)
    for prefix in ("signature_timestamp_", "document_timestamp_"):
        if code.startswith(prefix):
            what = (
                ("签名时间戳", "the signature timestamp")
                if "signature" in prefix
                else (
                    "存档时间戳",
                    "an archive (document) timestamp",
                )
            )
            return _pick((f"{what[0]}无效。", f"{what[1].capitalize()} is not valid."), language)
    if sub_indication in _BY_SUB_INDICATION:
        return _pick(_BY_SUB_INDICATION[sub_indication], language)
    return _pick(("验证未通过。", "Verification did not pass."), language)


def verdict_title(verdict: str, language: str = "en") -> str:
    return _pick(_TITLES.get(verdict, _TITLES["indeterminate"]), language)

"""The built-in RFC 3161 timestamp authority, checked by independent clients."""

from __future__ import annotations

import asyncio
import hashlib
import subprocess
from pathlib import Path

import pytest
from asn1crypto import algos, cms, core, tsp

from signing import Pki, TimestampAuthority, make_timestamper
from signing.tsa import DEFAULT_TSA_POLICY, InProcessTimeStamper
from tests.signing.support import PublicationServer, write_pem
from tests.tooling import require_tool


@pytest.fixture(scope="module")
def authority(pki: Pki) -> TimestampAuthority:
    return TimestampAuthority(pki.tsa_certificate, pki.tsa_key(), pki.chain)


def _request(
    digest: bytes,
    algorithm: str = "sha256",
    *,
    nonce: int | None = 0x1234567890ABCDEF,
    cert_req: bool = True,
    policy: str | None = None,
    extensions: list[dict[str, object]] | None = None,
) -> bytes:
    fields: dict[str, object] = {
        "version": "v1",
        "message_imprint": {
            "hash_algorithm": algos.DigestAlgorithm({"algorithm": algorithm}),
            "hashed_message": digest,
        },
        "cert_req": cert_req,
    }
    if nonce is not None:
        fields["nonce"] = nonce
    if policy is not None:
        fields["req_policy"] = policy
    if extensions is not None:
        fields["extensions"] = extensions
    der: bytes = tsp.TimeStampReq(fields).dump()
    return der


def _status(response_der: bytes) -> tuple[str, set[str], list[str]]:
    # Parsed with a structure whose token is optional, as RFC 3161 has it.
    status = core.Sequence.load(response_der)[0].dump()
    info = tsp.PKIStatusInfo.load(status)
    return (
        info["status"].native,
        set(info["fail_info"].native or ()),
        list(info["status_string"].native or ()),
    )


def _tst_info(response_der: bytes) -> tsp.TSTInfo:
    token = tsp.TimeStampResp.load(response_der)["time_stamp_token"]
    return token["content"]["encap_content_info"]["content"].parsed


def test_openssl_client_verifies_our_token(
    authority: TimestampAuthority, pki: Pki, tmp_path: Path
) -> None:
    openssl = require_tool("openssl", "openssl")
    data = tmp_path / "licence.pdf"
    data.write_bytes(b"%PDF-1.7 pretend licence")
    query, reply = tmp_path / "request.tsq", tmp_path / "reply.tsr"
    subprocess.run(
        [openssl, "ts", "-query", "-data", str(data), "-sha256", "-cert", "-out", str(query)],
        check=True,
        capture_output=True,
    )
    reply.write_bytes(authority.respond(query.read_bytes()))
    root = write_pem(tmp_path / "root.pem", pki.root_certificate)
    issuing = write_pem(tmp_path / "issuing.pem", pki.issuing_certificate)
    verified = subprocess.run(
        [
            openssl,
            "ts",
            "-verify",
            "-data",
            str(data),
            "-in",
            str(reply),
            "-CAfile",
            str(root),
            "-untrusted",
            str(issuing),
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    assert verified.returncode == 0, verified.stdout + verified.stderr
    assert "Verification: OK" in verified.stdout
    text = subprocess.run(
        [openssl, "ts", "-reply", "-in", str(reply), "-text"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert "Status: Granted." in text
    assert f"Policy OID: {DEFAULT_TSA_POLICY}" in text
    assert "Accuracy: 0x01 seconds" in text


def test_token_contents(authority: TimestampAuthority, pki: Pki) -> None:
    digest = hashlib.sha256(b"licence").digest()
    first, second = (authority.respond(_request(digest)) for _ in range(2))
    assert _status(first)[0] == "granted"
    info = _tst_info(first)
    assert info["policy"].native == DEFAULT_TSA_POLICY
    assert info["message_imprint"]["hashed_message"].native == digest
    assert info["nonce"].native == 0x1234567890ABCDEF  # RFC 3161 §2.4.2: echoed
    assert info["accuracy"]["seconds"].native == 1
    assert info["gen_time"].native.tzinfo is not None
    assert info["serial_number"].native != _tst_info(second)["serial_number"].native
    token = tsp.TimeStampResp.load(first)["time_stamp_token"]["content"]
    serials = {c.chosen.serial_number for c in token["certificates"]}
    assert pki.tsa_certificate.serial_number in serials  # certReq honoured
    assert pki.root_certificate.serial_number not in serials  # the root is the client's


def test_no_certificates_unless_requested(authority: TimestampAuthority) -> None:
    response = authority.respond(_request(bytes(32), cert_req=False, nonce=None))
    token = tsp.TimeStampResp.load(response)["time_stamp_token"]["content"]
    assert isinstance(token, cms.SignedData)
    assert not token["certificates"].native  # RFC 3161 §2.4.1
    assert _tst_info(response)["nonce"].native is None


@pytest.mark.parametrize(
    ("request_der", "failure"),
    [
        (b"garbage", "bad_data_format"),
        (b"", "bad_data_format"),
        (_request(hashlib.sha1(b"x").digest(), "sha1"), "bad_alg"),
        (_request(bytes(31)), "bad_data_format"),
        (_request(bytes(32), policy="1.2.3.4"), "unaccepted_policy"),
        (
            _request(bytes(32), extensions=[{"extn_id": "1.2.3.4", "extn_value": b"\x05\x00"}]),
            "unaccepted_extensions",
        ),
    ],
    ids=["garbage", "empty", "sha1", "short-imprint", "foreign-policy", "extension"],
)
def test_rejections_are_failure_responses(
    authority: TimestampAuthority, request_der: bytes, failure: str
) -> None:
    status, fail_info, texts = _status(authority.respond(request_der))
    assert status == "rejection"
    assert fail_info == {failure}
    assert texts  # a human-readable statusString says why


def test_openssl_reads_a_rejection(authority: TimestampAuthority, tmp_path: Path) -> None:
    openssl = require_tool("openssl", "openssl")
    reply = tmp_path / "reply.tsr"
    reply.write_bytes(authority.respond(b"\x30\x03\x02\x01\x01"))
    text = subprocess.run(
        [openssl, "ts", "-reply", "-in", str(reply), "-text"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert "Status: Rejected." in text
    assert "wrong format" in text


def test_in_process_timestamper_for_pyhanko(authority: TimestampAuthority) -> None:
    timestamper = InProcessTimeStamper(authority)
    digest = hashlib.sha256(b"signature value").digest()
    token = asyncio.run(timestamper.async_timestamp(digest, "sha256"))
    info = token["content"]["encap_content_info"]["content"].parsed
    assert info["message_imprint"]["hashed_message"].native == digest


def test_http_timestamper_against_our_endpoint(
    pki: Pki, publication_server: PublicationServer
) -> None:
    # The same authority behind `POST /tsa`, reached by pyHanko's stock HTTP client.
    timestamper = make_timestamper(url=f"{publication_server.base_url('shared')}/tsa")
    digest = hashlib.sha256(b"over http").digest()
    token = asyncio.run(timestamper.async_timestamp(digest, "sha256"))
    info = token["content"]["encap_content_info"]["content"].parsed
    assert info["message_imprint"]["hashed_message"].native == digest
    signer_serial = token["content"]["signer_infos"][0]["sid"].chosen["serial_number"].native
    assert signer_serial == pki.tsa_certificate.serial_number


def test_make_timestamper_wants_exactly_one_source(authority: TimestampAuthority) -> None:
    with pytest.raises(ValueError, match="exactly one"):
        make_timestamper()
    with pytest.raises(ValueError, match="exactly one"):
        make_timestamper(authority=authority, url="http://tsa.example")
    assert isinstance(make_timestamper(authority=authority), InProcessTimeStamper)

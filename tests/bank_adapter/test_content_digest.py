"""RFC 9530 Content-Digest: the published example values, and each way a check can fail."""

from __future__ import annotations

import pytest

from bank_adapter import (
    ContentDigestError,
    ContentDigestMalformed,
    ContentDigestMissing,
    DigestMismatch,
    RequestSignatureError,
    UnsupportedDigestAlgorithm,
    create_content_digest,
    verify_content_digest,
)

# RFC 9530 §2 and Appendix B digest `{"hello": "world"}` followed by a line feed;
# RFC 9421 Appendix B.2's test request carries the same JSON without the line feed.
RFC9530_BODY = b'{"hello": "world"}\n'
RFC9421_BODY = b'{"hello": "world"}'


@pytest.mark.parametrize(
    ("body", "algorithm", "expected"),
    [
        (RFC9530_BODY, "sha-256", "sha-256=:RK/0qy18MlBSVnWgjwz6lZEWjP/lF5HF9bvEF8FabDg=:"),
        (
            RFC9530_BODY,
            "sha-512",
            "sha-512=:YMAam51Jz/jOATT6/zvHrLVgOYTGFy1d6GJiOHTohq4yP+pgk4vf2aCs"
            "yRZOtw8MjkM7iw7yZ/WkppmM44T3qg==:",
        ),
        (b"", "sha-256", "sha-256=:47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=:"),
        (RFC9421_BODY, "sha-256", "sha-256=:X48E9qOokqqrvdts8nOJRJN3OWDUoyWxBf7kbu9DBPE=:"),
        (
            RFC9421_BODY,
            "sha-512",
            "sha-512=:WZDPaVn/7XgHaAy8pmojAkGWoRx2UFChF41A2svX+TaPm+AbwAgBWnrIiYllu7BNN"
            "yealdVLvRwEmTHWXvJwew==:",
        ),
    ],
)
def test_create_matches_the_rfc_examples(body: bytes, algorithm: str, expected: str) -> None:
    assert create_content_digest(body, [algorithm]) == expected  # type: ignore[list-item]
    assert verify_content_digest(expected, body) == (algorithm,)


def test_several_digests_are_all_checked() -> None:
    value = create_content_digest(b"body", ["sha-256", "sha-512"])
    assert value.startswith("sha-256=:")
    assert ", sha-512=:" in value
    assert verify_content_digest(value, b"body") == ("sha-256", "sha-512")

    wrong_sha512 = create_content_digest(b"other", ["sha-512"])
    with pytest.raises(DigestMismatch):
        verify_content_digest(f"{create_content_digest(b'body')}, {wrong_sha512}", b"body")


def test_unknown_algorithms_are_ignored_next_to_a_supported_one() -> None:
    value = "md5=:CY9rzUYh03PK3k6DJie09g==:, " + create_content_digest(b"test")
    assert verify_content_digest(value, b"test") == ("sha-256",)


@pytest.mark.parametrize("value", [None, "", "   "])
def test_missing(value: str | None) -> None:
    with pytest.raises(ContentDigestMissing) as caught:
        verify_content_digest(value, b"body")
    assert caught.value.code == "content_digest_missing"


@pytest.mark.parametrize(
    "value",
    [
        "sha-256=X48E9qOokqqrvdts8nOJRJN3OWDUoyWxBf7kbu9DBPE=",  # a token, not :bytes:
        'sha-256="X48E9qOokqqrvdts8nOJRJN3OWDUoyWxBf7kbu9DBPE="',  # a string
        "sha-256=:AAAA:",  # too short for sha-256
        "sha-256=:X48E9qOokqqrvdts8nOJRJN3OWDUoyWxBf7kbu9DBPE=",  # unterminated
        "SHA-256=:X48E9qOokqqrvdts8nOJRJN3OWDUoyWxBf7kbu9DBPE=:",  # keys are lowercase
        "sha-256=:X48E9qOokqqrvdts8nOJRJN3OWDUoyWxBf7kbu9DBPE=:é",
    ],
)
def test_malformed(value: str) -> None:
    with pytest.raises(ContentDigestMalformed) as caught:
        verify_content_digest(value, RFC9421_BODY)
    assert caught.value.code == "content_digest_malformed"


@pytest.mark.parametrize(
    "value", ["md5=:CY9rzUYh03PK3k6DJie09g==:", "sha=:qUqP5cyxm6YcTAhz05Hph5gvu9M=:"]
)
def test_unsupported_algorithm(value: str) -> None:
    with pytest.raises(UnsupportedDigestAlgorithm) as caught:
        verify_content_digest(value, b"test")
    assert caught.value.code == "content_digest_unsupported"
    assert "sha-256" in str(caught.value)


def test_mismatch_on_one_changed_byte() -> None:
    value = create_content_digest(RFC9421_BODY)
    with pytest.raises(DigestMismatch) as caught:
        verify_content_digest(value, RFC9421_BODY.replace(b"world", b"World"))
    assert caught.value.code == "digest_mismatch"


def test_digest_mismatch_belongs_to_both_families() -> None:
    # The request verifier raises it, so an application catching RequestSignatureError sees
    # it; code working with digests alone catches ContentDigestError.
    assert issubclass(DigestMismatch, ContentDigestError)
    assert issubclass(DigestMismatch, RequestSignatureError)


def test_create_refuses_unknown_algorithms() -> None:
    with pytest.raises(ValueError, match="unsupported"):
        create_content_digest(b"x", ["md5"])  # type: ignore[list-item]
    with pytest.raises(ValueError, match="at least one"):
        create_content_digest(b"x", [])

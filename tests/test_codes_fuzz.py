"""Property tests: whatever text a QR yields, the decoder returns a Subject or raises CodeError, nothing else.

A booth sees junk QR codes, half-read codes and deliberately altered ones; none may crash it, and no
altered code may ever be accepted.
"""

from __future__ import annotations

import base64

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kiosk.codes import CodeError, Keyring, Subject, XC1Decoder, issue_code

NOW = 1_750_000_000
KID = "k2024"
KEYRING = Keyring({KID: bytes(range(32)), "k2025": bytes(range(32, 64))})
DECODER = XC1Decoder(KEYRING, 600)
VALID = issue_code(KEYRING, KID, "2024123456789", "张三", "110101200001018746", "北京大学", "本科", NOW - 5)
FUZZ = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def decode_safely(text: str) -> Subject | None:
    """Decode ``text``; ``None`` for a refusal. Any other exception fails the test."""
    try:
        subject = DECODER.decode(text, NOW)
    except CodeError as exc:
        assert exc.outcome.id != "ok" and exc.outcome.zh and exc.outcome.en
        return None
    assert isinstance(subject, Subject)
    return subject


def test_the_valid_code_reads() -> None:
    assert decode_safely(VALID) == Subject("2024123456789", "张*", "**************8746", "北京大学", "本科")


@FUZZ
@given(st.text(max_size=700))
def test_random_text(text: str) -> None:
    decode_safely(text)


@FUZZ
@given(st.text(alphabet=st.sampled_from("ABCabc019-_:=+/ \n\x00张"), max_size=600))
def test_random_text_after_the_prefix(rest: str) -> None:
    decode_safely("XC1:" + rest)
    decode_safely(f"XC1:{KID}:" + rest)


@FUZZ
@given(st.binary(max_size=400), st.sampled_from([KID, "k2025", "k9999"]))
def test_random_bytes_as_data(blob: bytes, kid: str) -> None:
    text = f"XC1:{kid}:" + base64.urlsafe_b64encode(blob).rstrip(b"=").decode()
    assert decode_safely(text) is None


@FUZZ
@given(st.data())
def test_mutated_valid_codes_are_never_accepted(data: st.DataObject) -> None:
    kind = data.draw(st.sampled_from(["flip", "truncate", "insert", "delete", "replace"]))
    text = VALID
    if kind == "flip":  # a bit flip in the raw bytes behind the base64
        prefix, payload = text.rsplit(":", 1)
        blob = bytearray(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
        i = data.draw(st.integers(0, len(blob) - 1))
        blob[i] ^= 1 << data.draw(st.integers(0, 7))
        mutated = f"{prefix}:{base64.urlsafe_b64encode(bytes(blob)).rstrip(b'=').decode()}"
    elif kind == "truncate":
        mutated = text[: data.draw(st.integers(0, len(text) - 1))]
    elif kind == "insert":
        i = data.draw(st.integers(0, len(text)))
        mutated = text[:i] + data.draw(st.text(min_size=1, max_size=20)) + text[i:]
    elif kind == "delete":
        i = data.draw(st.integers(0, len(text) - 1))
        mutated = text[:i] + text[i + data.draw(st.integers(1, 20)) :]
    else:
        i = data.draw(st.integers(0, len(text) - 1))
        mutated = text[:i] + data.draw(st.characters()) + text[i + 1 :]
    if mutated != text:
        assert decode_safely(mutated) is None


@FUZZ
@given(
    st.dictionaries(
        st.sampled_from(["v", "uid", "name", "idn", "school", "level", "iat", "exp", "x"]),
        st.one_of(
            st.none(),
            st.booleans(),
            st.integers(-(2**70), 2**70),
            st.floats(),
            st.text(max_size=70),
            st.lists(st.integers(), max_size=2),
        ),
    )
)
def test_any_json_object_inside_a_valid_envelope(payload: dict) -> None:
    import json

    from cryptography.hazmat.primitives.ciphers.aead import AESGCM

    plaintext = json.dumps(payload, ensure_ascii=False).encode()
    nonce = b"\x02" * 12
    sealed = AESGCM(bytes(range(32))).encrypt(nonce, plaintext, f"XC1:{KID}".encode())
    text = f"XC1:{KID}:" + base64.urlsafe_b64encode(nonce + sealed).rstrip(b"=").decode()
    subject = decode_safely(text)
    if subject is not None:
        assert payload["v"] == 1 and subject.uid == payload["uid"]

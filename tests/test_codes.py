"""XC1 capture codes: round trip, every outcome of the table, the keyring, and the decoder plug-ins."""

from __future__ import annotations

import base64
import json
import os
import stat
import textwrap
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from kiosk.codes import (
    DECODE_OUTCOMES,
    CodeConfigError,
    CodeError,
    CodeReader,
    Keyring,
    KeyringError,
    Subject,
    XC1Decoder,
    issue_code,
    load_code_reader,
    mask_idn,
    mask_name,
)
from kiosk.core.capture import SubjectInfo

NOW = 1_750_000_000
KID = "k2024"
KEY = bytes(range(32))
PLAIN = {
    "v": 1,
    "uid": "2024123456789",
    "name": "张*",
    "idn": "**************8746",
    "school": "北京大学",
    "level": "本科",
    "iat": NOW - 60,
}

# The outcome table of the capture-code design, word for word.
TABLE = {
    "not_a_capture_code": ("这不是学信网图像采集码", "This is not a capture code"),
    "unknown_key": ("此采集码无法在本机识别，请联系工作人员", "This code can't be read here, please ask staff"),
    "damaged": ("采集码无法读取，请重新打开采集码", "The code can't be read, please reopen it"),
    "tampered": ("采集码无效", "This code is not valid"),
    "malformed": ("采集码无效", "This code is not valid"),
    "expired": ("采集码已过期，请重新获取", "This code has expired, please get a new one"),
    "not_yet_valid": ("请联系工作人员检查本机时间", "Please ask staff to check the kiosk clock"),
}


@pytest.fixture
def keyring() -> Keyring:
    return Keyring({KID: KEY})


@pytest.fixture
def decoder(keyring: Keyring) -> XC1Decoder:
    return XC1Decoder(keyring, max_clock_skew_s=600)


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def seal(plaintext: bytes, kid: str = KID, key: bytes = KEY, nonce: bytes = b"\x01" * 12) -> str:
    """An XC1 text around any plaintext, to reach the checks behind the cipher."""
    sealed = AESGCM(key).encrypt(nonce, plaintext, f"XC1:{kid}".encode())
    return f"XC1:{kid}:{b64url(nonce + sealed)}"


def seal_json(**changes: object) -> str:
    payload = {k: v for k, v in {**PLAIN, **changes}.items() if v is not DROP}
    return seal(json.dumps(payload, ensure_ascii=False, separators=(",", ":")).encode())


DROP = object()


def outcome_of(decoder: XC1Decoder, text: str, now: float = NOW) -> str:
    with pytest.raises(CodeError) as info:
        decoder.decode(text, now)
    return info.value.outcome.id


# -- round trip -------------------------------------------------------------------------------------


def test_issue_then_decode_gives_the_masked_subject(keyring: Keyring, decoder: XC1Decoder) -> None:
    text = issue_code(keyring, KID, "2024123456789", "张三丰", "110101200001018746", "北京大学", "本科", NOW)
    assert text.startswith("XC1:k2024:") and len(text) <= 512
    subject = decoder.decode(text, NOW)
    assert subject == Subject("2024123456789", "张**", "**************8746", "北京大学", "本科")
    assert isinstance(subject, SubjectInfo)
    info = subject.to_subject_info()
    assert type(info) is SubjectInfo and info.to_dict() == subject.to_dict()


def test_issue_never_embeds_a_plain_name_or_id(keyring: Keyring) -> None:
    text = issue_code(keyring, KID, "U1", "王小明", "110101200001018746", "S", "本科", NOW)
    _, kid, data = text.split(":")
    blob = base64.urlsafe_b64decode(data + "=" * (-len(data) % 4))
    plain = json.loads(AESGCM(KEY).decrypt(blob[:12], blob[12:], b"XC1:" + kid.encode()))
    assert plain["name"] == "王**" and plain["idn"] == "**************8746"
    assert plain["v"] == 1 and plain["iat"] == NOW and "exp" not in plain


def test_already_masked_fields_are_kept_as_given() -> None:
    assert mask_name("张**三") == "张**三"
    assert mask_idn("*****8746") == "*****8746"
    assert mask_name("张三") == "张*"
    assert mask_idn("8746") == "8746"


def test_each_code_has_a_fresh_nonce(keyring: Keyring) -> None:
    a = issue_code(keyring, KID, "U1", "张三", "1234", "S", "L", NOW)
    b = issue_code(keyring, KID, "U1", "张三", "1234", "S", "L", NOW)
    assert a != b


def test_expiry_is_honoured(keyring: Keyring, decoder: XC1Decoder) -> None:
    text = issue_code(keyring, KID, "U1", "张三", "1234", "S", "L", NOW, exp=NOW + 100)
    assert decoder.decode(text, NOW + 99).uid == "U1"
    assert outcome_of(decoder, text, NOW + 100) == "expired"


def test_issue_refuses_what_the_decoder_would_refuse(keyring: Keyring) -> None:
    with pytest.raises(ValueError, match="uid"):
        issue_code(keyring, KID, "not valid!", "张三", "1234", "S", "L", NOW)
    with pytest.raises(ValueError, match="key id"):
        issue_code(keyring, "other", "U1", "张三", "1234", "S", "L", NOW)
    with pytest.raises(ValueError, match="512"):
        issue_code(keyring, KID, "U" * 40, "张" * 32, "1" * 32, "北" * 64, "研" * 16, NOW)


# -- every outcome of the table ------------------------------------------------------------------------


def test_outcome_messages_match_the_table() -> None:
    assert {o.id: (o.zh, o.en) for o in DECODE_OUTCOMES} == TABLE


@pytest.mark.parametrize("text", ["", "hello", "https://example.org/x", "xc1:k2024:AAAA", "XC2:k:AAAA"])
def test_not_a_capture_code(decoder: XC1Decoder, text: str) -> None:
    assert outcome_of(decoder, text) == "not_a_capture_code"


def test_unknown_key(decoder: XC1Decoder) -> None:
    assert outcome_of(decoder, seal(b"{}", kid="k1999", key=os.urandom(32))) == "unknown_key"


@pytest.mark.parametrize(
    "text",
    [
        "XC1:k2024:" + "A" * 40 + "!",  # not base64url
        "XC1:k2024:" + "A" * 40 + "==",  # padding is not part of the format
        "XC1:k2024:" + "A" * 41,  # a length no base64 text has
        "XC1:k2024:" + "A" * 36,  # 27 bytes: shorter than nonce + tag
        "XC1:k2024:",  # no data at all
        "XC1:k2024",  # no second colon
        "XC1::AAAA",  # empty key id
        "XC1:bad kid:AAAA",  # key id outside the alphabet
        "XC1:k2024:" + "A" * 600,  # longer than 512 characters
    ],
)
def test_damaged(decoder: XC1Decoder, text: str) -> None:
    assert outcome_of(decoder, text) == "damaged"


def test_non_canonical_base64_is_damaged(decoder: XC1Decoder) -> None:
    text = next(t for t in (seal_json(pad="x" * n) for n in range(4)) if len(t.split(":")[2]) % 4)
    data = text.split(":")[2]  # its last character carries unused low bits
    alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
    twin = alphabet[alphabet.index(data[-1]) ^ 1]
    assert outcome_of(decoder, text[:-1] + twin) == "damaged"


def test_tampered_tag_nonce_ciphertext_and_aad(decoder: XC1Decoder) -> None:
    text = seal_json()
    prefix, data = text.rsplit(":", 1)
    blob = bytearray(base64.urlsafe_b64decode(data + "=" * (-len(data) % 4)))
    for index in (0, 12, len(blob) - 1):  # nonce, ciphertext, tag
        flipped = bytearray(blob)
        flipped[index] ^= 0x01
        assert outcome_of(decoder, f"{prefix}:{b64url(bytes(flipped))}") == "tampered"
    other_kid = Keyring({KID: KEY, "k2025": KEY})
    moved = "XC1:k2025:" + data  # same key, other key id: the associated data no longer matches
    assert outcome_of(XC1Decoder(other_kid, 600), moved) == "tampered"


def test_wrong_key_under_the_right_id_is_tampered(decoder: XC1Decoder) -> None:
    assert outcome_of(decoder, seal(json.dumps(PLAIN).encode(), key=os.urandom(32))) == "tampered"


@pytest.mark.parametrize(
    "plaintext",
    [b"", b"not json", b"\xff\xfe", b"[1, 2]", b'"text"', b"null", b"{", b'{"v": NaN}', b"1" * 5000],
)
def test_malformed_plaintext(decoder: XC1Decoder, plaintext: bytes) -> None:
    assert outcome_of(decoder, seal(plaintext[:300])) == "malformed"


@pytest.mark.parametrize(
    "changes",
    [
        {"v": 2},
        {"v": "1"},
        {"v": True},
        {"v": DROP},
        {"uid": DROP},
        {"uid": ""},
        {"uid": "U" * 41},
        {"uid": "12-34"},
        {"uid": "１２３"},  # full-width digits are not A-Z a-z 0-9
        {"uid": 123},
        {"name": ""},
        {"name": "张" * 33},
        {"name": None},
        {"idn": DROP},
        {"idn": "*" * 33},
        {"school": ""},
        {"school": "校" * 65},
        {"level": "本" * 17},
        {"level": ["本科"]},
        {"iat": DROP},
        {"iat": "1750000000"},
        {"iat": 1.5},
        {"iat": False},
        {"exp": "tomorrow"},
        {"exp": None},
        {"exp": 1.0e10},
    ],
)
def test_malformed_fields(decoder: XC1Decoder, changes: dict) -> None:
    assert outcome_of(decoder, seal_json(**changes)) == "malformed"


def test_field_limits_are_inclusive(decoder: XC1Decoder) -> None:
    text = seal_json(uid="U" * 40, name="张" * 32, idn="*" * 32, school="S" * 64, level="L" * 16)
    assert decoder.decode(text, NOW).uid == "U" * 40


def test_unknown_keys_are_ignored(decoder: XC1Decoder) -> None:
    subject = decoder.decode(seal_json(photo_spec="1.5", extra={"a": 1}), NOW)
    assert subject.uid == PLAIN["uid"] and not hasattr(subject, "photo_spec")


def test_a_code_without_exp_dies_at_the_maximum_age(decoder: XC1Decoder) -> None:
    """An iat five years old no longer decodes; with its own exp a code follows that instead."""
    five_years = 5 * 365 * 86400
    assert outcome_of(decoder, seal_json(iat=NOW - five_years)) == "expired"
    assert decoder.decode(seal_json(iat=NOW - 30 * 86400 + 1), NOW).uid == PLAIN["uid"]
    assert outcome_of(decoder, seal_json(iat=NOW - 30 * 86400)) == "expired"
    short = XC1Decoder(Keyring({KID: KEY}), 600, max_age_s=3600)
    assert outcome_of(short, seal_json(iat=NOW - 3600)) == "expired"
    assert short.decode(seal_json(iat=NOW - 3600, exp=NOW + 60), NOW).uid == PLAIN["uid"]


def test_expired(decoder: XC1Decoder) -> None:
    assert outcome_of(decoder, seal_json(exp=NOW - 1)) == "expired"
    assert decoder.decode(seal_json(exp=NOW + 1), NOW).level == "本科"


def test_not_yet_valid_only_beyond_the_allowed_skew(decoder: XC1Decoder) -> None:
    assert decoder.decode(seal_json(iat=NOW + 600), NOW).uid == PLAIN["uid"]
    assert outcome_of(decoder, seal_json(iat=NOW + 601)) == "not_yet_valid"
    assert XC1Decoder(Keyring({KID: KEY}), 0).decode(seal_json(iat=NOW), NOW)
    assert outcome_of(XC1Decoder(Keyring({KID: KEY}), 0), seal_json(iat=NOW + 1)) == "not_yet_valid"


def test_a_wrong_clock_is_reported_before_expiry(decoder: XC1Decoder) -> None:
    """A booth whose clock is far behind sees codes from the future: staff must fix the clock."""
    assert outcome_of(decoder, seal_json(iat=NOW + 10_000, exp=NOW + 5_000)) == "not_yet_valid"


def test_error_detail_never_quotes_identity(decoder: XC1Decoder) -> None:
    with pytest.raises(CodeError) as info:
        decoder.decode(seal_json(name="张" * 40), NOW)
    assert "张" not in str(info.value) and "name" in info.value.detail


# -- keyring --------------------------------------------------------------------------------------------


def test_generate_writes_a_private_keyring_that_loads(tmp_path: Path) -> None:
    path = tmp_path / "sub" / "keyring.toml"
    made = Keyring.generate(path, "k2024")
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    loaded = Keyring.load(path)
    assert loaded.kids == ("k2024",) and loaded.get("k2024") == made.get("k2024")
    assert len(loaded.get("k2024") or b"") == 32
    assert base64.b64encode(loaded.get("k2024") or b"").decode() not in repr(loaded)
    assert not list(path.parent.glob(".*tmp"))


def test_generate_refuses_to_overwrite(tmp_path: Path) -> None:
    path = tmp_path / "keyring.toml"
    first = Keyring.generate(path, "a")
    with pytest.raises(KeyringError, match="already there"):
        Keyring.generate(path, "b")
    assert Keyring.load(path).get("a") == first.get("a")
    assert Keyring.generate(path, "b", overwrite=True).kids == ("b",)
    assert Keyring.load(path).kids == ("b",)


def test_generate_refuses_a_bad_key_id(tmp_path: Path) -> None:
    with pytest.raises(KeyringError, match="key id"):
        Keyring.generate(tmp_path / "k.toml", "no spaces")
    assert not (tmp_path / "k.toml").exists()


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("not = [toml", "not a valid TOML"),
        ("[other]\nx = 1\n", r"\[keys\] table"),
        ("[keys]\n", r"\[keys\] table"),
        ('keys = "x"\n', r"\[keys\] table"),
        ('[keys]\nk1 = "%%%"\n', "not valid base64"),
        ('[keys]\nk1 = "AAAA"\n', "expected 32 bytes"),
        ("[keys]\nk1 = 5\n", "base64 string"),
        (f'[keys]\n"bad id" = "{base64.b64encode(KEY).decode()}"\n', "key id"),
    ],
)
def test_badly_formed_keyring_names_the_problem(tmp_path: Path, content: str, message: str) -> None:
    path = tmp_path / "keyring.toml"
    path.write_text(content)
    with pytest.raises(KeyringError, match=message) as info:
        Keyring.load(path)
    assert str(path) in str(info.value) and "\n" not in str(info.value)


def test_missing_and_unreadable_keyrings(tmp_path: Path) -> None:
    with pytest.raises(KeyringError, match="no keyring here.*kiosk codes keygen"):
        Keyring.load(tmp_path / "none.toml")
    with pytest.raises(KeyringError, match="is a folder"):
        Keyring.load(tmp_path)
    binary = tmp_path / "binary.toml"
    binary.write_bytes(b"\xff\xfe\x00")
    with pytest.raises(KeyringError, match="not a valid TOML"):
        Keyring.load(binary)


def test_keyring_without_read_permission(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "keyring.toml"
    Keyring.generate(path, "k1")

    def denied(self: Path) -> bytes:
        raise PermissionError(13, "Permission denied", str(self))

    monkeypatch.setattr(Path, "read_bytes", denied)
    with pytest.raises(KeyringError, match="cannot read keyring \\(Permission denied\\)"):
        Keyring.load(path)


def test_shared_keyring_loads_with_a_warning(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    path = tmp_path / "keyring.toml"
    Keyring.generate(path, "k1")
    path.chmod(0o644)
    assert Keyring.load(path).kids == ("k1",)
    assert "readable by other users" in caplog.text


# -- the reader and its plug-ins ------------------------------------------------------------------------


class _Fixed:
    def __init__(self, prefix: str, result: object) -> None:
        self.prefix = prefix
        self.result = result

    def decode(self, text: str, now: float) -> SubjectInfo:
        if isinstance(self.result, Exception):
            raise self.result
        return self.result  # type: ignore[return-value]


def test_reader_routes_by_prefix(decoder: XC1Decoder) -> None:
    other = SubjectInfo("X1", "李*", "***1", "S", "L")
    reader = CodeReader([decoder, _Fixed("ABC:", other)])
    assert reader.decode("ABC:whatever", NOW) is other
    assert reader.decode(seal_json(), NOW).uid == PLAIN["uid"]
    with pytest.raises(CodeError) as info:
        reader.decode("nothing we know", NOW)
    assert info.value.outcome.id == "not_a_capture_code"


def test_reader_prefers_the_longest_prefix() -> None:
    a, b = SubjectInfo("A", "a", "a", "a", "a"), SubjectInfo("B", "b", "b", "b", "b")
    reader = CodeReader([_Fixed("X", a), _Fixed("XY:", b)])
    assert reader.decode("XY:1", NOW) is b and reader.decode("X1", NOW) is a


def test_reader_contains_a_misbehaving_plugin() -> None:
    for result in (RuntimeError("bug"), "not a subject", None):
        with pytest.raises(CodeError) as info:
            CodeReader([_Fixed("P:", result)]).decode("P:1", NOW)
        assert info.value.outcome.id == "malformed"


def test_two_decoders_with_one_prefix_is_a_config_error() -> None:
    with pytest.raises(CodeConfigError, match="prefix"):
        CodeReader([_Fixed("P:", None), _Fixed("P:", None)])


@pytest.fixture
def keyring_file(tmp_path: Path) -> Path:
    path = tmp_path / "keyring.toml"
    path.write_text(f'[keys]\n{KID} = "{base64.b64encode(KEY).decode()}"\n')
    path.chmod(0o600)
    return path


@pytest.fixture
def plugin_module(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    folder = tmp_path / "plugins"
    folder.mkdir()
    (folder / "centre_codes.py").write_text(
        textwrap.dedent(
            """
            from kiosk.core.capture import SubjectInfo

            class CentreDecoder:
                prefix = "CC1:"

                def __init__(self, *, keyring_path, max_clock_skew_s):
                    self.keyring_path = keyring_path
                    self.max_clock_skew_s = max_clock_skew_s

                def decode(self, text, now):
                    return SubjectInfo(text[4:], "赵*", "***0001", "Centre", "本科")

            class Broken:
                def __init__(self, **kwargs):
                    raise OSError("no database")

            class NoPrefix:
                def __init__(self, **kwargs):
                    pass
            """
        )
    )
    monkeypatch.syspath_prepend(str(folder))
    return "centre_codes"


def test_load_code_reader_with_xc1_and_a_plugin(keyring_file: Path, plugin_module: str) -> None:
    reader = load_code_reader(["xc1", f"{plugin_module}:CentreDecoder"], keyring_file, 600)
    assert set(reader.prefixes) == {"XC1:", "CC1:"}
    assert reader.decode("CC1:77", NOW).uid == "77"
    assert reader.decode(seal_json(), NOW).uid == PLAIN["uid"]


@pytest.mark.parametrize(
    ("name", "message"),
    [
        ("xc2", "expected 'xc1' or 'package.module:ClassName'"),
        ("centre_codes.CentreDecoder", "expected 'xc1' or"),
        ("no_such_module_here:Thing", "cannot import no_such_module_here"),
        ("centre_codes:Missing", "has no Missing"),
        ("centre_codes:Broken", "cannot create decoder.*no database"),
        ("centre_codes:NoPrefix", "prefix"),
    ],
)
def test_bad_plugin_paths_give_one_line(keyring_file: Path, plugin_module: str, name: str, message: str) -> None:
    with pytest.raises(CodeConfigError, match=message) as info:
        load_code_reader([name], keyring_file, 600)
    assert "\n" not in str(info.value)


def test_load_code_reader_needs_a_keyring_for_xc1(tmp_path: Path) -> None:
    with pytest.raises(CodeConfigError, match="no keyring here"):
        load_code_reader(["xc1"], tmp_path / "missing.toml", 600)
    with pytest.raises(CodeConfigError, match="at least one"):
        load_code_reader([], tmp_path / "missing.toml", 600)


# -- masking is enforced, not trusted ---------------------------------------------------------------


def test_a_code_carrying_a_plain_identity_is_shown_masked(decoder: XC1Decoder) -> None:
    """A key holder who seals a full name and ID number into a code still gets only the masked forms shown."""
    text = seal_json(name="王小明", idn="110101200001018746")
    subject = CodeReader([decoder]).decode(text, NOW)
    assert subject.name == "王**" and subject.idn == "**************8746"
    nearly = seal_json(name="王*明明", idn="11010119900101123*")  # a few stars do not make it masked
    subject = decoder.decode(nearly, NOW)
    assert subject.name == "王***" and subject.idn == "**************123*"


def test_a_plugin_returning_a_plain_identity_is_re_masked(caplog: pytest.LogCaptureFixture) -> None:
    plain = SubjectInfo("X1", "李四", "110101200001018746", "S", "L")
    subject = CodeReader([_Fixed("ABC:", plain)]).decode("ABC:1", NOW)
    assert (subject.name, subject.idn) == ("李*", "**************8746") and subject.uid == "X1"
    assert "re-masked" in caplog.text and "李四" not in caplog.text and "8746" not in caplog.text


@pytest.mark.parametrize(
    "name, ok", [("张**三", True), ("张**", True), ("张*", True), ("张", True), ("张*三", False), ("张三", False)]
)
def test_name_masking_rule(name: str, ok: bool) -> None:
    from kiosk.codes.subject import name_is_masked

    assert name_is_masked(name) is ok
    assert name_is_masked(mask_name(name))

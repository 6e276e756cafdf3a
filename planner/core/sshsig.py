"""SSH signatures (OpenSSH ``PROTOCOL.sshsig``) and allowed-signers files, no I/O.

A review decision is signed the way ``ssh-keygen -Y sign`` signs a file, so anyone
can check it with ``ssh-keygen -Y verify`` and nothing of the planner (SPEC 8). The
wire format is small and fixed, so it is written here against the protocol text;
the cryptography (Ed25519, OpenSSH public-key blobs) is the ``cryptography``
package's. This module lives in the core because it is pure computation on bytes
and strings: reading key files, prompting for passphrases and reading the
allowed-signers file are ``planner.io.checking.signing``'s.

Everything read here is hostile (a signature inside a plan, an allowed-signers
file): sizes are bounded before decoding, every length field is checked against
what is left, and trailing bytes are refused.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import re
import struct
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import (
    Ed25519PrivateKey,
    Ed25519PublicKey,
)

#: The namespace every review decision is signed in (SPEC 8).
NAMESPACE = "siting-planner-review"
MAGIC = b"SSHSIG"
SIG_VERSION = 1
BEGIN = "-----BEGIN SSH SIGNATURE-----"
END = "-----END SSH SIGNATURE-----"
ED25519 = "ssh-ed25519"
#: An armoured Ed25519 signature is about 300 characters; anything this big is not one.
MAX_ARMOURED = 8 * 1024
#: Bounds of one allowed-signers file.
MAX_SIGNERS_BYTES = 1024 * 1024
MAX_SIGNERS_LINE = 16 * 1024
MAX_SIGNERS_ENTRIES = 20_000
MAX_PRINCIPALS = 256
MAX_PRINCIPAL_LEN = 512
_HASHES = {"sha256": hashlib.sha256, "sha512": hashlib.sha512}
#: Key types an allowed-signers line may name (as ``ssh-keygen`` reads them); only
#: Ed25519 can verify a review decision, the others are accepted and never match.
_KEY_TYPES = frozenset(
    {
        ED25519,
        "ssh-rsa",
        "ecdsa-sha2-nistp256",
        "ecdsa-sha2-nistp384",
        "ecdsa-sha2-nistp521",
        "sk-ssh-ed25519@openssh.com",
        "sk-ecdsa-sha2-nistp256@openssh.com",
        "ssh-dss",
    }
)


class SignatureError(ValueError):
    """A signature that is malformed or does not verify; ``str()`` says why in a few words."""


class SignersError(ValueError):
    """A malformed allowed-signers file: ``line`` is 1-based, ``str()`` is what is wrong."""

    def __init__(self, line: int, what: str) -> None:
        super().__init__(what)
        self.line = line


# -- wire format ---------------------------------------------------------------------------


def _string(data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + data


class _Reader:
    """SSH wire-format reader over a bounded buffer; every read is length-checked."""

    def __init__(self, data: bytes) -> None:
        self.data = data
        self.pos = 0

    def take(self, n: int, what: str) -> bytes:
        if n < 0 or self.pos + n > len(self.data):
            msg = f"truncated {what}"
            raise SignatureError(msg)
        out = self.data[self.pos : self.pos + n]
        self.pos += n
        return out

    def uint32(self, what: str) -> int:
        return int(struct.unpack(">I", self.take(4, what))[0])

    def string(self, what: str, *, limit: int) -> bytes:
        n = self.uint32(what)
        if n > limit:
            msg = f"{what} longer than {limit} bytes"
            raise SignatureError(msg)
        return self.take(n, what)

    def done(self, what: str) -> None:
        if self.pos != len(self.data):
            msg = f"{len(self.data) - self.pos} bytes after the {what}"
            raise SignatureError(msg)


def public_key_blob(key: Ed25519PublicKey) -> bytes:
    """The OpenSSH wire blob of an Ed25519 public key (``string type, string key``)."""
    from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

    raw = key.public_bytes(Encoding.Raw, PublicFormat.Raw)
    return _string(ED25519.encode()) + _string(raw)


def public_key_line(key: Ed25519PublicKey) -> str:
    """``ssh-ed25519 BASE64``: the key as an ``authorized_keys`` / allowed-signers line has it."""
    return f"{ED25519} {base64.b64encode(public_key_blob(key)).decode('ascii')}"


def fingerprint(blob: bytes) -> str:
    """``SHA256:...`` exactly as ``ssh-keygen -l`` prints it (unpadded base64)."""
    digest = base64.b64encode(hashlib.sha256(blob).digest()).decode("ascii")
    return "SHA256:" + digest.rstrip("=")


def _ed25519_from_blob(blob: bytes) -> Ed25519PublicKey:
    r = _Reader(blob)
    kind = r.string("public key type", limit=64)
    if kind != ED25519.encode():
        msg = f"key type {kind.decode('ascii', 'replace')!r} is not {ED25519}"
        raise SignatureError(msg)
    raw = r.string("public key", limit=64)
    r.done("public key")
    if len(raw) != 32:
        msg = "an Ed25519 public key is 32 bytes"
        raise SignatureError(msg)
    return Ed25519PublicKey.from_public_bytes(raw)


def _signed_data(namespace: str, hash_alg: str, message: bytes) -> bytes:
    digest = _HASHES[hash_alg](message).digest()
    return (
        MAGIC
        + _string(namespace.encode("utf-8"))
        + _string(b"")
        + _string(hash_alg.encode("ascii"))
        + _string(digest)
    )


def _armour(blob: bytes) -> str:
    text = base64.b64encode(blob).decode("ascii")
    # ssh-keygen wraps at 70 columns; the same layout keeps files diffable with its own
    lines = [text[i : i + 70] for i in range(0, len(text), 70)]
    return "\n".join([BEGIN, *lines, END]) + "\n"


def sign(key: Ed25519PrivateKey, message: bytes, *, namespace: str = NAMESPACE) -> str:
    """An armoured SSHSIG signature of ``message`` (what ``ssh-keygen -Y sign`` writes).

    SHA-512 is the message hash, as ``ssh-keygen`` uses by default.
    """
    hash_alg = "sha512"
    pub = public_key_blob(key.public_key())
    raw_sig = key.sign(_signed_data(namespace, hash_alg, message))
    sig_blob = _string(ED25519.encode()) + _string(raw_sig)
    blob = (
        MAGIC
        + struct.pack(">I", SIG_VERSION)
        + _string(pub)
        + _string(namespace.encode("utf-8"))
        + _string(b"")
        + _string(hash_alg.encode("ascii"))
        + _string(sig_blob)
    )
    return _armour(blob)


@dataclass(frozen=True, slots=True)
class ParsedSignature:
    """The fields of an SSHSIG blob."""

    public_key: bytes  # OpenSSH wire blob
    namespace: str
    hash_alg: str
    signature: bytes  # SSH signature blob (type + raw signature)


def parse_armoured(text: str) -> ParsedSignature:
    """Read an armoured SSHSIG; raises :class:`SignatureError` for anything malformed."""
    if not isinstance(text, str):
        msg = "the signature is not text"
        raise SignatureError(msg)
    if len(text) > MAX_ARMOURED:
        msg = f"the signature is longer than {MAX_ARMOURED} characters"
        raise SignatureError(msg)
    lines = text.strip().splitlines()
    if len(lines) < 3 or lines[0].strip() != BEGIN or lines[-1].strip() != END:
        msg = "not an armoured SSH signature (BEGIN/END SSH SIGNATURE lines)"
        raise SignatureError(msg)
    body = "".join(line.strip() for line in lines[1:-1])
    if not re.fullmatch(r"[A-Za-z0-9+/]+={0,2}", body):
        msg = "the signature's body is not base64"
        raise SignatureError(msg)
    try:
        blob = base64.b64decode(body, validate=True)
    except (binascii.Error, ValueError):
        msg = "the signature's body is not base64"
        raise SignatureError(msg) from None
    r = _Reader(blob)
    if r.take(6, "magic") != MAGIC:
        msg = "not an SSHSIG blob (magic)"
        raise SignatureError(msg)
    version = r.uint32("version")
    if version != SIG_VERSION:
        msg = f"SSHSIG version {version} is not supported"
        raise SignatureError(msg)
    pub = r.string("public key", limit=2048)
    namespace = r.string("namespace", limit=256)
    r.string("reserved", limit=1024)
    hash_alg = r.string("hash algorithm", limit=64)
    sig = r.string("signature", limit=2048)
    r.done("signature")
    try:
        ns_text = namespace.decode("utf-8")
        alg_text = hash_alg.decode("ascii")
    except UnicodeDecodeError:
        msg = "the namespace or hash algorithm is not text"
        raise SignatureError(msg) from None
    return ParsedSignature(pub, ns_text, alg_text, sig)


def verify(armoured: str, message: bytes, *, namespace: str = NAMESPACE) -> bytes:
    """Check an armoured SSHSIG over ``message``; returns the signer's public-key blob.

    Raises :class:`SignatureError` saying why when it is malformed, made in another
    namespace, not Ed25519, or does not verify. Who the key belongs to is the
    allowed-signers file's question (:meth:`AllowedSigners.principals_for`).
    """
    parsed = parse_armoured(armoured)
    if parsed.namespace != namespace:
        msg = f"signed for namespace {parsed.namespace[:60]!r}, not {namespace!r}"
        raise SignatureError(msg)
    if parsed.hash_alg not in _HASHES:
        msg = f"hash algorithm {parsed.hash_alg[:30]!r} is not sha256 or sha512"
        raise SignatureError(msg)
    key = _ed25519_from_blob(parsed.public_key)
    r = _Reader(parsed.signature)
    kind = r.string("signature type", limit=64)
    raw = r.string("signature", limit=128)
    r.done("signature")
    if kind != ED25519.encode() or len(raw) != 64:
        msg = "not an Ed25519 signature"
        raise SignatureError(msg)
    try:
        key.verify(raw, _signed_data(namespace, parsed.hash_alg, message))
    except InvalidSignature:
        msg = "the signature does not match the record (edited or made over other bytes)"
        raise SignatureError(msg) from None
    return parsed.public_key


# -- allowed signers -----------------------------------------------------------------------

_OPTIONS = ("cert-authority", "namespaces", "valid-after", "valid-before")


@dataclass(frozen=True, slots=True)
class SignerEntry:
    """One line of an allowed-signers file."""

    line: int
    principals: tuple[str, ...]  # patterns, as OpenSSH's match_pattern_list reads them
    key_type: str
    key_blob: bytes
    comment: str = ""
    cert_authority: bool = False
    namespaces: tuple[str, ...] | None = None
    valid_after: datetime | None = None
    valid_before: datetime | None = None

    @property
    def fingerprint(self) -> str:
        return fingerprint(self.key_blob)

    def matches(self, principal: str) -> bool:
        """Whether ``principal`` is one this line lists (wildcards ``*`` ``?``, ``!`` negates)."""
        hit = False
        for pattern in self.principals:
            negated = pattern.startswith("!")
            if _wildcard(pattern[1:] if negated else pattern, principal):
                if negated:
                    return False
                hit = True
        return hit

    def usable(self, *, namespace: str, now: datetime) -> bool:
        """Whether this line lets its key sign plain signatures in ``namespace`` at ``now``."""
        if self.cert_authority:
            return False  # a CA line trusts certificates, never a bare key
        if self.namespaces is not None and not any(
            _wildcard(p, namespace) for p in self.namespaces
        ):
            return False
        if self.valid_after is not None and now < self.valid_after:
            return False
        return not (self.valid_before is not None and now > self.valid_before)


def _wildcard(pattern: str, text: str) -> bool:
    regex = "".join(".*" if c == "*" else "." if c == "?" else re.escape(c) for c in pattern)
    return re.fullmatch(regex, text, flags=re.DOTALL) is not None


@dataclass(frozen=True, slots=True)
class AllowedSigners:
    """A parsed allowed-signers file."""

    entries: tuple[SignerEntry, ...] = ()

    def entries_for_key(self, blob: bytes) -> list[SignerEntry]:
        return [e for e in self.entries if e.key_blob == blob]

    def principals_for(self, blob: bytes) -> list[str]:
        """The principal patterns listed for the key ``blob`` (empty: unknown key)."""
        return [p for e in self.entries_for_key(blob) for p in e.principals]

    def allows(
        self, principal: str, blob: bytes, *, namespace: str = NAMESPACE, now: datetime
    ) -> bool:
        """Whether a line lists ``blob`` for ``principal``, usable in ``namespace`` at ``now``."""
        return any(
            e.matches(principal) and e.usable(namespace=namespace, now=now)
            for e in self.entries_for_key(blob)
        )

    def name_for(self, principal: str, blob: bytes) -> str:
        """The comment on the line listing ``blob`` for ``principal`` (a display name)."""
        for e in self.entries_for_key(blob):
            if e.matches(principal) and e.comment:
                return e.comment
        return ""


def _split_options(text: str, line: int) -> list[tuple[str, str | None]]:
    """``a,b="x,y"`` to ``[("a", None), ("b", "x,y")]``; quotes may hold commas."""
    out: list[tuple[str, str | None]] = []
    i = 0
    while i < len(text):
        m = re.match(r"([A-Za-z0-9-]+)", text[i:])
        if m is None:
            raise SignersError(line, "invalid options")
        name = m.group(1).lower()
        i += m.end()
        value: str | None = None
        if i < len(text) and text[i] == "=":
            if i + 1 >= len(text) or text[i + 1] != '"':
                raise SignersError(line, f'option {name} needs a quoted value ({name}="...")')
            end = text.find('"', i + 2)
            if end < 0:
                raise SignersError(line, f"option {name}: missing closing quote")
            value = text[i + 2 : end]
            i = end + 1
        out.append((name, value))
        if i < len(text):
            if text[i] != ",":
                raise SignersError(line, "invalid options")
            i += 1
            if i == len(text):
                raise SignersError(line, "invalid options (trailing comma)")
    return out


def _signer_time(value: str, line: int, name: str) -> datetime:
    m = re.fullmatch(r"(\d{8})(\d{4})?(\d{2})?(Z?)", value)
    if m is None or (m.group(3) and not m.group(2)):
        raise SignersError(line, f"option {name}: expected YYYYMMDD[HHMM[SS]][Z], got {value!r}")
    digits = m.group(1) + (m.group(2) or "0000") + (m.group(3) or "00")
    try:
        naive = datetime.strptime(digits, "%Y%m%d%H%M%S")
    except ValueError:
        raise SignersError(line, f"option {name}: not a date: {value!r}") from None
    # OpenSSH reads a time without Z as the machine's local time
    return naive.replace(tzinfo=UTC) if m.group(4) else naive.astimezone()


def _parse_key(tokens: Sequence[str], line: int) -> tuple[str, bytes, str]:
    if len(tokens) < 2:
        raise SignersError(line, "missing key")
    kind, b64 = tokens[0], tokens[1]
    if kind not in _KEY_TYPES:
        raise SignersError(line, f"unknown key type {kind[:40]!r}")
    if not re.fullmatch(r"[A-Za-z0-9+/]+={0,2}", b64) or len(b64) > 4096:
        raise SignersError(line, "invalid key (not base64)")
    try:
        blob = base64.b64decode(b64, validate=True)
    except (binascii.Error, ValueError):
        raise SignersError(line, "invalid key (not base64)") from None
    r = _Reader(blob)
    try:
        inner = r.string("key type", limit=64)
    except SignatureError:
        raise SignersError(line, "invalid key") from None
    if inner != kind.encode():
        raise SignersError(line, f"invalid key: the blob is {inner[:40]!r}, the line says {kind}")
    if kind == ED25519:
        try:
            _ed25519_from_blob(blob)
        except SignatureError as exc:
            raise SignersError(line, f"invalid key: {exc}") from None
    return kind, blob, " ".join(tokens[2:])


def parse_allowed_signers(text: str) -> AllowedSigners:
    """Read an allowed-signers file (OpenSSH's ``ssh-keygen`` ALLOWED SIGNERS format).

    ``principal[,principal...] [option[,option...]] keytype base64 [comment]``;
    blank lines and ``#`` comments are skipped. Options: ``cert-authority``,
    ``namespaces="..."``, ``valid-after="..."``, ``valid-before="..."``. Raises
    :class:`SignersError` for the first malformed line.
    """
    if len(text) > MAX_SIGNERS_BYTES:
        raise SignersError(0, f"larger than {MAX_SIGNERS_BYTES // 1024} KiB")
    entries: list[SignerEntry] = []
    for n, raw in enumerate(text.splitlines(), start=1):
        if len(raw) > MAX_SIGNERS_LINE:
            raise SignersError(n, f"line longer than {MAX_SIGNERS_LINE} characters")
        stripped = raw.strip(" \t\r\n")
        if not stripped or stripped.startswith("#"):
            continue
        if any(ord(c) < 32 and c != "\t" for c in stripped) or "\x7f" in stripped:
            raise SignersError(n, "control characters in the line")
        if len(entries) >= MAX_SIGNERS_ENTRIES:
            raise SignersError(n, f"more than {MAX_SIGNERS_ENTRIES} entries")
        entries.append(_signer_entry(stripped, n))
    return AllowedSigners(tuple(entries))


def _signer_entry(line: str, n: int) -> SignerEntry:
    """One non-blank, non-comment line ``n`` of an allowed-signers file."""
    parts = re.split(r"[ \t]+", line, maxsplit=1)
    principals_text = parts[0]
    rest = parts[1] if len(parts) > 1 else ""
    if not rest:
        raise SignersError(n, "missing key")
    principals = tuple(principals_text.split(","))
    if len(principals) > MAX_PRINCIPALS or any(
        not p or len(p) > MAX_PRINCIPAL_LEN for p in principals
    ):
        raise SignersError(
            n, f"principals must be 1 to {MAX_PRINCIPALS} non-empty names, comma-separated"
        )
    if '"' in principals_text:
        raise SignersError(n, "quoted principals are not supported")
    tokens = re.split(r"[ \t]+", rest)
    options: list[tuple[str, str | None]] = []
    if tokens[0] not in _KEY_TYPES:
        # options come first; they may hold quoted spaces, so re-split after them
        m = re.match(r'((?:[^ \t"]|"[^"]*")+)[ \t]+(.*)$', rest)
        if m is None:
            raise SignersError(n, "missing key")
        options = _split_options(m.group(1), n)
        tokens = re.split(r"[ \t]+", m.group(2))
    kind, blob, comment = _parse_key(tokens, n)
    entry_opts = _entry_options(options, n)
    return SignerEntry(
        line=n,
        principals=principals,
        key_type=kind,
        key_blob=blob,
        comment=comment,
        cert_authority=bool(entry_opts.get("cert-authority", False)),
        namespaces=entry_opts.get("namespaces"),  # type: ignore[arg-type]
        valid_after=entry_opts.get("valid-after"),  # type: ignore[arg-type]
        valid_before=entry_opts.get("valid-before"),  # type: ignore[arg-type]
    )


def _entry_options(options: list[tuple[str, str | None]], n: int) -> dict[str, object]:
    """The options of line ``n`` checked and converted: True, a tuple of names or a time."""
    entry_opts: dict[str, object] = {}
    for name, value in options:
        if name not in _OPTIONS:
            raise SignersError(n, f"unsupported option {name!r}")
        if name in entry_opts:
            raise SignersError(n, f"option {name} given twice")
        if name == "cert-authority":
            if value is not None:
                raise SignersError(n, "option cert-authority takes no value")
            entry_opts[name] = True
        elif value is None:
            raise SignersError(n, f'option {name} needs a value ({name}="...")')
        elif name == "namespaces":
            entry_opts[name] = tuple(v for v in value.split(",") if v)
        else:
            entry_opts[name] = _signer_time(value, n, name)
    return entry_opts


def allowed_signers_line(
    principals: Iterable[str], key: Ed25519PublicKey, comment: str = ""
) -> str:
    """The line IT adds to the allowed-signers file for ``key``."""
    line = f"{','.join(principals)} {public_key_line(key)}"
    return f"{line} {comment}" if comment else line

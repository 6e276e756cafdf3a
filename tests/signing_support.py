"""Reviewer keys and allowed-signers files made by the real ``ssh-keygen`` (SPEC 8 tests)."""

from __future__ import annotations

import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

import pytest

SSH_KEYGEN = shutil.which("ssh-keygen")
needs_ssh_keygen = pytest.mark.skipif(SSH_KEYGEN is None, reason="ssh-keygen is not installed")
NAMESPACE = "siting-planner-review"


@dataclass(frozen=True)
class Signer:
    """One reviewer: an Ed25519 key pair and the principal it is listed for."""

    key: Path
    principal: str
    name: str

    @property
    def pub(self) -> Path:
        return self.key.with_name(self.key.name + ".pub")

    def public_line(self) -> str:
        return " ".join(self.pub.read_text().split()[:2])

    def signer_line(self, principal: str | None = None) -> str:
        return f"{principal or self.principal} {self.public_line()} {self.name}".rstrip()

    def fingerprint(self) -> str:
        out = subprocess.run(
            [SSH_KEYGEN or "ssh-keygen", "-l", "-E", "sha256", "-f", str(self.pub)],
            capture_output=True,
            text=True,
            check=True,
        ).stdout
        return out.split()[1]


def make_signer(folder: Path, principal: str, *, name: str = "", passphrase: str = "") -> Signer:
    """A fresh ``ssh-keygen -t ed25519`` key in ``folder``."""
    folder.mkdir(parents=True, exist_ok=True)
    key = folder / principal.replace("@", "_at_")
    subprocess.run(
        [
            SSH_KEYGEN or "ssh-keygen",
            "-q",
            "-t",
            "ed25519",
            "-N",
            passphrase,
            "-C",
            principal,
            "-f",
            str(key),
        ],
        check=True,
        capture_output=True,
    )
    return Signer(key, principal, name)


def write_allowed(path: Path, *lines: str) -> Path:
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def ssh_keygen_verify(allowed: Path, principal: str, sig: str, message: bytes, tmp: Path) -> bool:
    """Whether ``ssh-keygen -Y verify`` accepts ``sig`` over ``message`` for ``principal``."""
    sig_path = tmp / "decision.sig"
    sig_path.write_text(sig)
    res = subprocess.run(
        [
            SSH_KEYGEN or "ssh-keygen",
            "-Y",
            "verify",
            "-f",
            str(allowed),
            "-I",
            principal,
            "-n",
            NAMESPACE,
            "-s",
            str(sig_path),
        ],
        input=message,
        capture_output=True,
        check=False,
    )
    return res.returncode == 0


def ssh_keygen_sign(signer: Signer, message: bytes, tmp: Path) -> str:
    """An armoured signature made by ``ssh-keygen -Y sign``."""
    msg = tmp / "message.bin"
    msg.write_bytes(message)
    sig = msg.with_name(msg.name + ".sig")
    sig.unlink(missing_ok=True)
    subprocess.run(
        [
            SSH_KEYGEN or "ssh-keygen",
            "-Y",
            "sign",
            "-f",
            str(signer.key),
            "-n",
            NAMESPACE,
            str(msg),
        ],
        check=True,
        capture_output=True,
    )
    return sig.read_text()


def signer_args(folder: Path, principal: str = "dpo@example.org") -> list[str]:
    """``--reviewer --key --allowed-signers`` for a fresh key listed for ``principal``."""
    s = make_signer(folder / "keys", principal)
    allowed = write_allowed(folder / "allowed_signers", s.signer_line())
    return ["--reviewer", principal, "--key", str(s.key), "--allowed-signers", str(allowed)]


def session_signing(folder: Path, principal: str = "dpo@example.org") -> object:
    """What a review window holds once the DPO gave their key (for tests of other things)."""
    from types import SimpleNamespace

    from cryptography.hazmat.primitives.serialization import load_ssh_private_key

    from planner.core import sshsig

    s = make_signer(folder / "keys", principal)
    key = load_ssh_private_key(s.key.read_bytes(), None)
    fp = sshsig.fingerprint(sshsig.public_key_blob(key.public_key()))
    return SimpleNamespace(key=key, principal=principal, name=principal, fingerprint=fp)

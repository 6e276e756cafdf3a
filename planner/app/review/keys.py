"""The reviewer's signing key: the dialogs that ask for it, and the identity it gives.

A decision is signed with the reviewer's Ed25519 SSH key (SPEC 8). The identity it
carries is the principal the allowed signers list that key for, never the operating
system's login; a key they do not list cannot sign, and the dialog shows the line to
send to IT.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from types import SimpleNamespace
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QFileDialog, QInputDialog, QLineEdit, QMessageBox, QWidget

from planner.core.review import DecisionRecord


class KeyPrompter:
    """The dialogs of signing: which key, its passphrase, a new key, the line for IT.

    Real Qt dialogs (tests answer them as a person would); one object so the window
    asks through one place.
    """

    def __init__(self, parent: QWidget) -> None:
        self.parent = parent

    def key_action(self) -> str | None:
        """``"open"`` an existing key, ``"create"`` a new one, or None."""
        box = QMessageBox(self.parent)
        box.setWindowTitle("Sign your decisions")
        box.setText(
            "Decisions are signed with your Ed25519 SSH key, which IT lists as yours in "
            "the allowed signers. Choose your key file, or create a key (once)."
        )
        open_btn = box.addButton("Choose key file…", QMessageBox.ButtonRole.AcceptRole)
        create_btn = box.addButton("Create a key…", QMessageBox.ButtonRole.ActionRole)
        box.addButton(QMessageBox.StandardButton.Cancel)
        box.exec()
        clicked = box.clickedButton()
        return "open" if clicked is open_btn else "create" if clicked is create_btn else None

    def key_file(self) -> Path | None:
        start = Path.home() / ".ssh"
        name, _ = QFileDialog.getOpenFileName(
            self.parent,
            "Your signing key (OpenSSH private key)",
            str(start if start.is_dir() else Path.home()),
            "All files (*)",
        )
        return Path(name) if name else None

    def passphrase(self, prompt: str) -> str | None:
        text, ok = QInputDialog.getText(
            self.parent, "Key passphrase", prompt, QLineEdit.EchoMode.Password
        )
        return text if ok else None

    def choose(self, principals: list[str]) -> str | None:
        item, ok = QInputDialog.getItem(
            self.parent, "Sign as", "The key is listed for:", principals, 0, False
        )
        return item if ok and item else None

    def new_key(self) -> tuple[str, Path, str] | None:
        """Principal, key path and passphrase for a new key, or None."""
        principal, ok = QInputDialog.getText(
            self.parent,
            "Create a signing key",
            "Your principal (the e-mail IT will list the key for):",
        )
        principal = principal.strip()
        if not ok or not principal or any(c.isspace() or c in ',"*?!' for c in principal):
            return None
        default = Path.home() / ".ssh" / "siting_planner_ed25519"
        name, _ = QFileDialog.getSaveFileName(
            self.parent, "Save the new private key", str(default), "All files (*)"
        )
        if not name:
            return None
        first = self.passphrase("A passphrase for the new key (at least 8 characters):")
        if first is None:
            return None
        again = self.passphrase("The same passphrase again:")
        if again != first or len(first) < 8:
            self.inform(
                "Create a signing key",
                "The passphrases differ or are shorter than 8 characters; no key was made.",
            )
            return None
        return principal, Path(name), first

    def show_signer_line(self, text: str, line: str) -> None:
        box = QMessageBox(self.parent)
        box.setWindowTitle("Allowed-signers line for IT")
        box.setText(text)
        box.setInformativeText(line)
        box.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        box.exec()

    def inform(self, title: str, text: str) -> None:
        QMessageBox.information(self.parent, title, text)


def ask_identity(keys: KeyPrompter, trust: Any, *, ask_first: bool) -> SimpleNamespace | None:
    """The reviewer's key and principal, asked for through ``keys``; None if not given.

    ``trust`` is the re-check's trust (the allowed signers); ``ask_first`` offers to
    create a key before asking for the key file. The result holds ``key``,
    ``principal``, ``name`` and ``fingerprint``.
    """
    if trust is None or trust.signers is None:
        keys.inform(
            "No trusted reviewers",
            f"{trust.describe() if trust else 'No allowed signers.'}\n\nA decision can "
            "only be recorded with a key the allowed-signers file lists. Ask IT for the "
            "file, or open the review with --allowed-signers FILE.",
        )
        return None
    from planner.core.errors import InputError
    from planner.io.checking.signing import load_signing_key

    action = keys.key_action() if ask_first else "open"
    if action == "create":
        create_signing_key(keys)
        return None
    if action != "open":
        return None
    path = keys.key_file()
    if path is None:
        return None
    try:
        key = load_signing_key(path, ask=keys.passphrase, environ={})
    except InputError as exc:
        keys.inform("Signing key", str(exc))
        return None
    return _listed_identity(keys, trust, key)


def _listed_identity(keys: KeyPrompter, trust: Any, key: Any) -> SimpleNamespace | None:
    """The principal the allowed signers list ``key`` for (asked when several), or None
    with the line for IT shown when they list it for none."""
    from datetime import UTC, datetime

    from planner.core import sshsig
    from planner.io.checking.signing import key_blob

    blob = key_blob(key)
    fp = sshsig.fingerprint(blob)
    now = datetime.now(UTC)
    listed = [
        p
        for p in trust.signers.principals_for(blob)
        if not any(c in p for c in "*?!") and trust.signers.allows(p, blob, now=now)
    ]
    if not listed:
        line = sshsig.allowed_signers_line(["YOUR.NAME@sanjoseca.gov"], key.public_key())
        keys.show_signer_line(
            f"The key {fp} is not listed in {trust.path}: nothing can be signed with "
            "it yet. Send this line to IT (with your e-mail as the principal):",
            line,
        )
        return None
    principal = listed[0] if len(listed) == 1 else keys.choose(listed)
    if principal is None:
        return None
    name = trust.signers.name_for(principal, blob) or principal
    return SimpleNamespace(key=key, principal=principal, name=name, fingerprint=fp)


def create_signing_key(keys: KeyPrompter) -> Path | None:
    """Create an Ed25519 key pair (OpenSSH format, passphrase) and show the line for IT."""
    from planner.core import sshsig
    from planner.core.errors import InputError
    from planner.io.checking.signing import create_key_pair

    answer = keys.new_key()
    if answer is None:
        return None
    principal, path, passphrase = answer
    try:
        public = create_key_pair(path, passphrase, comment=principal)
    except InputError as exc:
        keys.inform("Create a signing key", str(exc))
        return None
    keys.show_signer_line(
        f"Created {path} (private, keep it) and {path}.pub. Send this line to IT so "
        "they add it to the allowed signers; your decisions count once they have:",
        sshsig.allowed_signers_line([principal], public),
    )
    return path


def signed(record: DecisionRecord, identity: SimpleNamespace) -> DecisionRecord:
    """``record`` signed with the session's key."""
    from planner.core import sshsig

    return replace(record, signature=sshsig.sign(identity.key, record.signed_bytes()))

"""SSH Ed25519 keys: load them, name them by fingerprint, sign and verify with a namespace.

Everything cryptographic is `cryptography`'s Ed25519 (no home-made primitive). What this module adds is
the framing, in the spirit of OpenSSH's SSHSIG: the bytes signed are

    b"WARDCLOUD-SIG\\0" + namespace + b"\\0" + SHA-256(payload)

so a signature made for one purpose (`wardcloud-plan`, `wardcloud-audit`, `wardcloud-waiver`) never
verifies for another, and a fingerprint is OpenSSH's (`SHA256:` + unpadded base64 of the SHA-256 of the
public key blob, what `ssh-keygen -lf KEY.pub` prints). Only `ssh-ed25519` keys are accepted: one
algorithm, fixed-size signatures, the one `ssh-keygen -t ed25519` makes by default.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cryptography.exceptions import InvalidSignature, UnsupportedAlgorithm
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from wardcloud.audit.errors import AuditError, Code, Problem

KEY_TYPE = "ssh-ed25519"
PASSPHRASE_ENV = "WARDCTL_KEY_PASSPHRASE"
MAGIC = b"WARDCLOUD-SIG\0"


def _problem(where: str, message: str) -> AuditError:
    return AuditError([Problem(where, 0, 0, Code.BAD_KEY, message)])


@dataclass(frozen=True)
class PublicKey:
    """An `ssh-ed25519 AAAA…` public key."""

    blob: bytes  # the OpenSSH wire blob (what the base64 in `KEY.pub` decodes to)

    @classmethod
    def parse(cls, text: str, where: str = "key") -> PublicKey:
        """From `ssh-ed25519 BASE64 [comment]`; AuditError (AUD013) for anything else."""
        parts = text.strip().split()
        if len(parts) < 2 or parts[0] != KEY_TYPE:
            raise _problem(where, f"not an {KEY_TYPE} public key (only Ed25519 SSH keys are accepted)")
        try:
            blob = base64.b64decode(parts[1], validate=True)
            serialization.load_ssh_public_key(f"{KEY_TYPE} {parts[1]}".encode())
        except (binascii.Error, ValueError, UnsupportedAlgorithm):
            raise _problem(where, "the public key's base64 is damaged") from None
        return cls(blob)

    def _key(self) -> Ed25519PublicKey:
        key = serialization.load_ssh_public_key(self.openssh().encode())
        assert isinstance(key, Ed25519PublicKey)
        return key

    @property
    def raw(self) -> bytes:
        """The 32-byte Ed25519 public key."""
        return self._key().public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)

    def openssh(self) -> str:
        return f"{KEY_TYPE} {base64.b64encode(self.blob).decode()}"

    @property
    def fingerprint(self) -> str:
        """`SHA256:…` exactly as `ssh-keygen -l` prints it."""
        return "SHA256:" + base64.b64encode(hashlib.sha256(self.blob).digest()).decode().rstrip("=")

    def verify(self, namespace: str, payload: bytes, signature: str) -> bool:
        """True when `signature` (base64) is this key's signature over `payload` in `namespace`."""
        try:
            self._key().verify(base64.b64decode(signature, validate=True), signed_bytes(namespace, payload))
        except (InvalidSignature, binascii.Error, ValueError):
            return False
        return True

    def verify_raw(self, message: bytes, signature: bytes) -> bool:
        """A plain Ed25519 verification over `message` (signed notes sign the note text itself)."""
        try:
            self._key().verify(signature, message)
        except InvalidSignature:
            return False
        return True


def signed_bytes(namespace: str, payload: bytes) -> bytes:
    """What is actually signed: the magic, the namespace and the payload's SHA-256."""
    return MAGIC + namespace.encode() + b"\0" + hashlib.sha256(payload).digest()


@dataclass(frozen=True)
class Signature:
    """One signature as stored in plans, waivers and audit records."""

    fingerprint: str
    key: str  # `ssh-ed25519 AAAA…`
    namespace: str
    signature: str  # base64

    def to_json(self) -> dict[str, Any]:
        return {"fingerprint": self.fingerprint, "key": self.key, "namespace": self.namespace,
                "signature": self.signature}

    @classmethod
    def from_json(cls, data: Any, where: str = "signature") -> Signature:
        if not isinstance(data, dict) or not all(isinstance(data.get(k), str) for k in
                                                 ("fingerprint", "key", "namespace", "signature")):
            raise _problem(where, "a signature needs string fields fingerprint, key, namespace, signature")
        return cls(data["fingerprint"], data["key"], data["namespace"], data["signature"])

    def valid_for(self, namespace: str, payload: bytes) -> bool:
        """True when the key verifies the signature in `namespace` and the fingerprint is that key's."""
        try:
            key = PublicKey.parse(self.key)
        except AuditError:
            return False
        return (self.namespace == namespace and key.fingerprint == self.fingerprint
                and key.verify(namespace, payload, self.signature))


@dataclass(frozen=True)
class SigningKey:
    """A private Ed25519 key read from an OpenSSH private key file (`ssh-keygen -t ed25519`)."""

    private: Ed25519PrivateKey
    public: PublicKey

    @classmethod
    def load(cls, path: Path, passphrase: str | None = None) -> SigningKey:
        """Read `path`; an encrypted key takes its passphrase from the argument or $WARDCTL_KEY_PASSPHRASE."""
        try:
            data = path.read_bytes()
        except OSError as exc:
            raise _problem(str(path), f"cannot read the key: {exc.strerror or exc}") from None
        secret = passphrase if passphrase is not None else os.environ.get(PASSPHRASE_ENV)
        try:
            key = serialization.load_ssh_private_key(data, secret.encode() if secret else None)
        except TypeError:
            raise _problem(str(path), f"the key is encrypted: set {PASSPHRASE_ENV}") from None
        except (ValueError, UnsupportedAlgorithm):
            raise _problem(str(path), "not an OpenSSH private key (or wrong passphrase)") from None
        if not isinstance(key, Ed25519PrivateKey):
            raise _problem(str(path), "not an Ed25519 key: make one with `ssh-keygen -t ed25519`")
        blob = key.public_key().public_bytes(serialization.Encoding.OpenSSH,
                                             serialization.PublicFormat.OpenSSH).split()[1]
        return cls(key, PublicKey(base64.b64decode(blob)))

    @property
    def fingerprint(self) -> str:
        return self.public.fingerprint

    def sign(self, namespace: str, payload: bytes) -> Signature:
        """A signature over `payload` that verifies only in `namespace`."""
        raw = self.private.sign(signed_bytes(namespace, payload))
        return Signature(self.fingerprint, self.public.openssh(), namespace, base64.b64encode(raw).decode())

    def sign_raw(self, message: bytes) -> bytes:
        """A plain Ed25519 signature (for signed notes, whose format fixes what is signed)."""
        return self.private.sign(message)


def generate(path: Path, comment: str = "") -> SigningKey:
    """Write a new unencrypted Ed25519 key to `path` (0600) and `path.pub`: for tests and examples."""
    key = Ed25519PrivateKey.generate()
    pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.OpenSSH,
                            serialization.NoEncryption())
    path.write_bytes(pem)
    path.chmod(0o600)
    public = key.public_key().public_bytes(serialization.Encoding.OpenSSH, serialization.PublicFormat.OpenSSH)
    path.with_name(path.name + ".pub").write_text(public.decode() + (f" {comment}" if comment else "") + "\n")
    return SigningKey.load(path)

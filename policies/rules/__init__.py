"""The rule modules; importing this package registers every rule in `policies.registry.REGISTRY`."""

from wardcloud.policies.rules import audit, backup, detective, encryption, isolation, network, quota, tagging

__all__ = ["audit", "backup", "detective", "encryption", "isolation", "network", "quota", "tagging"]

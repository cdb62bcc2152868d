"""wardcloud: the control plane of the private cloud Tokyo's 23 special wards share.

Every part lives under this one name: `wardcloud.tenants`, `.infra`, `.policies`, `.cost_allocation`,
`.reports`, `.audit`, `.live`, `.cli` and `.core` (the error shape and file writes they all use).
"""

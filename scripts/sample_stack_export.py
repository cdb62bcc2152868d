"""Regenerate infra/examples/ward-131130.stack-export.json, the sample `pulumi stack export` README uses.

It is what `pulumi stack export --stack ward-131130` would print after applying the bundled Shibuya file:
the rendered graph with stable made-up OpenStack ids, plus what real exports carry and `plan` ignores
(the Stack resource, the default provider, provider-filled defaults). Run from the repository root:

    .venv/bin/python scripts/sample_stack_export.py
"""

from __future__ import annotations

import json
import sys
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))  # for tests.infra.conftest, which builds export documents for the tests too

from tests.infra.conftest import deployment_from_graph  # noqa: E402
from wardcloud.infra.render import Known, render_stacks  # noqa: E402
from wardcloud.tenants.validate import load_tenants  # noqa: E402

STACK = "ward-131130"
TARGET = ROOT / "infra" / "examples" / f"{STACK}.stack-export.json"


def main() -> None:
    tenants = load_tenants(ROOT / "tenants" / "wards")
    names = [resource.name for resource in render_stacks(tenants, [STACK])[STACK]]
    ids = {name: str(uuid.uuid5(uuid.NAMESPACE_URL, f"wardcloud-sample/{name}")) for name in names}
    graph = render_stacks(tenants, [STACK], known={STACK: Known(ids)})[STACK]
    TARGET.write_text(json.dumps(deployment_from_graph(graph, ids), ensure_ascii=False, indent=2) + "\n")
    print(f"wrote {TARGET.relative_to(ROOT)} ({len(ids)} resources)")


if __name__ == "__main__":
    main()

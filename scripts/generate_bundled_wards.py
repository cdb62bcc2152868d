"""Generate tenants/wards/*.yaml for the 23 special wards (run once; the files are then edited by PR).

Join dates: the four wards that ran the 2019 study (Shibuya, Adachi, Katsushika, Koto) from the
start of operation, 2021-04-01; the others spread over 2021-2023, some mid-month, so that cost
proration and newcomer buy-in have real cases. `inkan_registrations` (印鑑登録数) is an
illustrative figure (about 55 % of population) until each ward enters its own.
"""

from __future__ import annotations

import sys
from datetime import date
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from wardcloud.core.files import write_atomic  # noqa: E402
from wardcloud.tenants.reference import POPULATION_AS_OF, address_plan, reference_wards  # noqa: E402
from wardcloud.tenants.scaffold import file_name, render_tenant, segment_cidrs  # noqa: E402

STUDY_WARDS = {"Shibuya", "Adachi", "Katsushika", "Koto"}
LATER_JOINS = [date(2021, 7, 1), date(2021, 10, 15), date(2022, 1, 1), date(2022, 4, 1), date(2022, 6, 10),
               date(2022, 10, 1), date(2023, 1, 1), date(2023, 4, 1), date(2023, 7, 20), date(2023, 10, 1)]
ALL_SERVICES = ("bousai", "procurement", "renkei")


def main() -> None:
    plan = address_plan()
    target = ROOT / "tenants" / "wards"
    later = 0
    for ward in reference_wards():
        number = int(ward.code6[3:5])  # 13101 -> ward block 10.1.0.0/16
        block = next(b for b in plan.ward_supernets[0].subnets(new_prefix=plan.ward_block_prefix)
                     if int(str(b.network_address).split(".")[1]) == number)
        if ward.name_en in STUDY_WARDS:
            joined, services = date(2021, 4, 1), ALL_SERVICES
        else:
            joined = LATER_JOINS[later % len(LATER_JOINS)]
            services = ALL_SERVICES if later % 3 == 0 else ALL_SERVICES[::2] if later % 3 == 1 else ("bousai",)
            later += 1
        text = render_tenant(ward, segment_cidrs(plan, block), joined, POPULATION_AS_OF, services,
                             {"inkan_registrations": round(ward.population * 0.55)})
        write_atomic(target / file_name(ward), text)


if __name__ == "__main__":
    main()

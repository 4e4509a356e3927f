"""casebase's part of the home page (accounts.home): what the CSR studies next, from
casebase.selectors.study_list (training cases only). Registered from CasebaseConfig.ready()."""

from __future__ import annotations

from datetime import datetime

from accounts.home import CsrSection, register_csr_section
from casebase.selectors import next_level, study_list

NEXT_CASES = 5  # training cases of the next level listed as "study next"


def csr_study_section(user, now: datetime) -> dict:
    cases = list(study_list(user).filter(studied=False)[: NEXT_CASES + 1])
    return {
        "next_cases": cases[:NEXT_CASES],
        "more_cases": len(cases) > NEXT_CASES,
        "study_level": next_level(user),
    }


def register() -> None:
    register_csr_section(CsrSection(name="casebase", order=20, read=csr_study_section))

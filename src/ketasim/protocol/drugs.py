"""The drugs a protocol may name and the routes each allows."""

from __future__ import annotations

from ketasim.vocabulary import PLACEBO, ROUTES

DRUG_ROUTES: dict[str, tuple[str, ...]] = {
    "ketamine": ("iv", "im", "sc", "intranasal", "oral", "sublingual"),
    "esketamine": ("iv", "intranasal", "oral", "sublingual", "sc", "im"),
    "arketamine": ("iv", "intranasal", "oral", "sublingual", "im", "sc"),
    "midazolam": ("iv", "im", "oral", "intranasal"),
    "escitalopram": ("oral",),
    PLACEBO: ROUTES,
}
DRUGS = tuple(DRUG_ROUTES)

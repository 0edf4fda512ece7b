"""Molar masses of the free bases, to convert between mg, µmol and ng/mL."""

from __future__ import annotations

from ketasim.parameters.references import IUPAC_MASSES
from ketasim.parameters.registry import Parameter, ParameterSet, make_set

_ATOMIC_WEIGHT = {"C": 12.011, "H": 1.008, "N": 14.007, "O": 15.999, "F": 18.998, "Cl": 35.45}


def formula_mass(counts: dict[str, int]) -> float:
    """Molar mass (g/mol) of a molecular formula given as element counts, e.g. ``{"C": 13, "H": 16}``."""
    return sum(_ATOMIC_WEIGHT[element] * n for element, n in counts.items())


KETAMINE_G_PER_MOL = round(formula_mass({"C": 13, "H": 16, "Cl": 1, "N": 1, "O": 1}), 2)
NORKETAMINE_G_PER_MOL = round(formula_mass({"C": 12, "H": 14, "Cl": 1, "N": 1, "O": 1}), 2)
MIDAZOLAM_G_PER_MOL = round(formula_mass({"C": 18, "H": 13, "Cl": 1, "F": 1, "N": 3}), 2)
ESCITALOPRAM_G_PER_MOL = round(formula_mass({"C": 20, "H": 21, "F": 1, "N": 2, "O": 1}), 2)

PARAMETERS = [
    Parameter(
        "ketamine_molar_mass_g_per_mol",
        KETAMINE_G_PER_MOL,
        "g/mol",
        "iupac_atomic_weights",
        "high",
        "C13H16ClNO free base (both enantiomers); doses are mg of free base.",
    ),
    Parameter(
        "norketamine_molar_mass_g_per_mol",
        NORKETAMINE_G_PER_MOL,
        "g/mol",
        "iupac_atomic_weights",
        "high",
        "C12H14ClNO free base (N-demethylated ketamine).",
    ),
    Parameter(
        "midazolam_molar_mass_g_per_mol",
        MIDAZOLAM_G_PER_MOL,
        "g/mol",
        "iupac_atomic_weights",
        "high",
        "C18H13ClFN3 free base.",
    ),
    Parameter(
        "escitalopram_molar_mass_g_per_mol",
        ESCITALOPRAM_G_PER_MOL,
        "g/mol",
        "iupac_atomic_weights",
        "high",
        "C20H21FN2O free base (doses of the oxalate salt are labelled as free base).",
    ),
]

MOLAR_MASSES: ParameterSet = make_set("molar_masses", "Molar masses of the free bases", [IUPAC_MASSES], PARAMETERS)

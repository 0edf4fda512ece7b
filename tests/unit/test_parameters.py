"""The pharmacokinetic parameter registry: completeness, documentation, units, consistency, published values."""

from __future__ import annotations

import math
import re
from collections import Counter

import pytest

from ketasim.errors import ParameterError
from ketasim.parameters import _all_sets, available_sets, get_parameter_set, parameter_set
from ketasim.parameters.listing import format_citations
from ketasim.parameters.registry import ParameterSet, Reference

PK_SETS = (
    "kamp2020",
    "perez_ruixo2021",
    "fanta2015",
    "chong2006",
    "routes",
    "midazolam",
    "escitalopram",
    "molar_masses",
    "covariates",
    "effect_site",
    "dose_limits",
)
PARENTS = ("ketamine_s", "ketamine_r", "esketamine")
METABOLITES = ("norketamine_s", "norketamine_r", "noresketamine")
PRODUCTS = ("ketamine", "esketamine", "arketamine")
EXTRAVASCULAR = ("im", "sc", "intranasal", "oral", "sublingual")
FIRST_PASS_ROUTES = ("oral", "sublingual", "intranasal")
DRUGS = (*PRODUCTS, "midazolam", "escitalopram")
MIDAZOLAM_ROUTES = ("im", "oral", "intranasal")

# unit -> name endings allowed for it; dimensionless names must say what they are
UNIT_ENDINGS = {
    "L": ("_l",),
    "L/h": ("_l_per_h",),
    "1/h": ("_per_h",),
    "h": ("_h",),
    "kg": ("_kg",),
    "mg/kg": ("_mg_per_kg",),
    "g/mol": ("_g_per_mol",),
}
DIMENSIONLESS_WORDS = ("bioavailability", "fraction", "first_pass", "factor", "exponent", "log_sd")


def _pk_names() -> list[str]:
    """Every name the PK model and the protocol checker read (the contract with models/pk.py)."""
    names = [
        f"{p}_{s}"
        for p in PARENTS
        for s in (
            "central_volume_l",
            "peripheral1_volume_l",
            "peripheral2_volume_l",
            "clearance_l_per_h",
            "intercompartmental1_l_per_h",
            "intercompartmental2_l_per_h",
            "fraction_to_norketamine",
        )
    ]
    names += [
        f"{m}_{s}"
        for m in METABOLITES
        for s in ("central_volume_l", "peripheral_volume_l", "clearance_l_per_h", "intercompartmental_l_per_h")
    ]
    names += [
        f"{p}_{r}_{s}" for p in PRODUCTS for r in EXTRAVASCULAR for s in ("bioavailability", "absorption_rate_per_h")
    ]
    names += [f"{p}_{r}_first_pass_to_norketamine" for p in PRODUCTS for r in FIRST_PASS_ROUTES]
    names += [f"{p}_intranasal_swallowed_fraction" for p in PRODUCTS]
    names += [
        f"midazolam_{s}"
        for s in ("central_volume_l", "peripheral_volume_l", "clearance_l_per_h", "intercompartmental_l_per_h")
    ]
    names += [f"midazolam_{r}_{s}" for r in MIDAZOLAM_ROUTES for s in ("bioavailability", "absorption_rate_per_h")]
    names += [
        "escitalopram_volume_l",
        "escitalopram_clearance_l_per_h",
        "escitalopram_oral_bioavailability",
        "escitalopram_oral_absorption_rate_per_h",
    ]
    names += [f"{d}_molar_mass_g_per_mol" for d in ("ketamine", "norketamine", "midazolam", "escitalopram")]
    names += [
        "reference_weight_kg",
        "allometric_clearance_exponent",
        "allometric_volume_exponent",
        "cyp2b6_slow_clearance_factor",
        "female_clearance_factor",
        "clearance_log_sd",
        "central_volume_log_sd",
        "ketamine_effect_site_half_life_h",
        "ketamine_unbound_fraction",
    ]
    names += [f"{d}_{k}_systemic_mg_per_kg" for d in DRUGS for k in ("studied_max", "unsafe")]
    return names


def _pk_parameters() -> list[tuple[ParameterSet, str]]:
    return [(get_parameter_set(s), name) for s in PK_SETS for name in get_parameter_set(s).parameters]


@pytest.fixture(scope="module")
def default() -> ParameterSet:
    return get_parameter_set("default")


def test_default_set_has_every_name_the_pk_model_reads(default: ParameterSet) -> None:
    missing = [n for n in _pk_names() if n not in default.parameters]
    assert missing == []


def test_pk_sets_define_nothing_beyond_the_contract() -> None:
    extra = sorted({name for _, name in _pk_parameters()} - set(_pk_names()))
    assert extra == []


@pytest.mark.parametrize(("pset", "name"), _pk_parameters(), ids=lambda v: v if isinstance(v, str) else "")
def test_every_parameter_is_documented(pset: ParameterSet, name: str) -> None:
    p = pset.parameter(name)
    assert p.unit
    assert p.source in pset.references
    assert p.confidence in ("high", "medium", "low")
    assert len(p.note) > 15
    if p.source == "ketasim":
        assert p.confidence == "low", "a modelling judgement must be marked low confidence"


@pytest.mark.parametrize(("pset", "name"), _pk_parameters(), ids=lambda v: v if isinstance(v, str) else "")
def test_names_carry_their_units(pset: ParameterSet, name: str) -> None:
    unit = pset.parameter(name).unit
    if unit == "1":
        assert any(word in name for word in DIMENSIONLESS_WORDS)
    else:
        endings = UNIT_ENDINGS[unit]
        assert name.endswith(endings)
        assert not (unit == "h" and name.endswith("_per_h"))


@pytest.mark.parametrize(("pset", "name"), _pk_parameters(), ids=lambda v: v if isinstance(v, str) else "")
def test_values_are_positive_and_fractions_at_most_one(pset: ParameterSet, name: str) -> None:
    value = pset[name]
    assert math.isfinite(value) and value > 0
    if any(word in name for word in ("bioavailability", "fraction", "first_pass")):
        assert value <= 1.0


def test_no_parameter_is_defined_twice_across_all_sets() -> None:
    counts = Counter(name for s in _all_sets() for name in s.parameters)
    assert [name for name, n in counts.items() if n > 1] == []


def test_a_reference_key_means_the_same_source_in_every_set(default: ParameterSet) -> None:
    for pset in _all_sets():
        for key, ref in pset.references.items():
            assert default.references[key] == ref, f"{pset.name} and another set cite different works as {key!r}"


def test_dois_look_like_dois() -> None:
    for pset, _ in _pk_parameters():
        for ref in pset.references.values():
            assert ref.doi == "" or re.fullmatch(r"10\.\d{4,9}/\S+", ref.doi), ref.key


def test_default_cites_a_reference_for_every_parameter(default: ParameterSet) -> None:
    keys = {r.key for r in default.cited()}
    assert {p.source for p in default.parameters.values()} <= keys


@pytest.mark.parametrize("product", PRODUCTS)
@pytest.mark.parametrize("route", FIRST_PASS_ROUTES)
def test_parent_and_first_pass_fit_in_the_dose(default: ParameterSet, product: str, route: str) -> None:
    f = default[f"{product}_{route}_bioavailability"]
    first_pass = default[f"{product}_{route}_first_pass_to_norketamine"]
    assert f + first_pass <= 1.0


@pytest.mark.parametrize("product", PRODUCTS)
def test_intranasal_totals_split_into_nasal_and_swallowed_parts(default: ParameterSet, product: str) -> None:
    swallowed = default[f"{product}_intranasal_swallowed_fraction"]
    nasal_parent = (
        default[f"{product}_intranasal_bioavailability"] - swallowed * default[f"{product}_oral_bioavailability"]
    )
    nasal_metabolite = (
        default[f"{product}_intranasal_first_pass_to_norketamine"]
        - swallowed * default[f"{product}_oral_first_pass_to_norketamine"]
    )
    assert 0.0 <= nasal_parent <= 1.0 - swallowed + 1e-12
    assert -1e-12 <= nasal_metabolite <= 1.0 - swallowed - nasal_parent + 1e-12


@pytest.mark.parametrize("drug", DRUGS)
def test_unsafe_limit_lies_above_the_studied_range(default: ParameterSet, drug: str) -> None:
    assert default[f"{drug}_unsafe_systemic_mg_per_kg"] > default[f"{drug}_studied_max_systemic_mg_per_kg"]


def test_enantiomer_clearances_reproduce_the_pooled_racemic_clearance(default: ParameterSet) -> None:
    s, r = default["ketamine_s_clearance_l_per_h"], default["ketamine_r_clearance_l_per_h"]
    racemic = 2.0 / (1.0 / s + 1.0 / r)
    assert racemic == pytest.approx(84.0, rel=1e-6)  # Kamp 2020 raw-data model
    assert 69.0 <= racemic <= 90.0  # Kamp 2020 meta-analysis 95 % CI
    assert s / r == pytest.approx(18.4 / 15.8, rel=1e-6)  # Wang 2019


def test_racemic_steady_state_volume_lies_in_the_meta_analysis_interval(default: ParameterSet) -> None:
    vss = sum(default[f"ketamine_s_{v}_volume_l"] for v in ("central", "peripheral1", "peripheral2"))
    assert 200.0 <= vss <= 304.0


def test_esketamine_clearance_between_the_intravenous_and_the_intranasal_population_values(
    default: ParameterSet,
) -> None:
    clearance = default["esketamine_clearance_l_per_h"]
    assert 95.2 * 0.87 <= clearance <= 114.0 * (70.0 / 74.0) ** 0.75  # Fanta 2015 (CV 13 %) to Perez-Ruixo 2021


def test_esketamine_central_volume_is_the_intravenous_one(default: ParameterSet) -> None:
    """Short IV infusions peak on the early distribution phase: V1 from IV data (Fanta 2015), not 192 L."""
    assert default["esketamine_central_volume_l"] == pytest.approx(133.0, rel=0.05)


def test_esketamine_intranasal_bioavailability_matches_label_and_model(default: ParameterSet) -> None:
    assert 0.48 <= default["esketamine_intranasal_bioavailability"] <= 0.54


def test_molar_masses_match_the_literature(default: ParameterSet) -> None:
    assert default["ketamine_molar_mass_g_per_mol"] == pytest.approx(237.73, abs=0.01)
    assert default["norketamine_molar_mass_g_per_mol"] == pytest.approx(223.70, abs=0.01)


def test_escitalopram_half_life_and_peak_time(default: ParameterSet) -> None:
    ke = default["escitalopram_clearance_l_per_h"] / default["escitalopram_volume_l"]
    ka = default["escitalopram_oral_absorption_rate_per_h"]
    assert 20.0 <= math.log(2.0) / ke <= 35.0  # reported 27-33 h
    assert math.log(ka / ke) / (ka - ke) == pytest.approx(3.5, rel=1e-3)  # observed tmax 3-4 h


def test_effect_site_half_life_is_about_six_minutes(default: ParameterSet) -> None:
    assert default["ketamine_effect_site_half_life_h"] * 60.0 == pytest.approx(6.1)


def test_available_sets_list_default_first_and_every_source() -> None:
    names = available_sets()
    assert names[0] == "default"
    assert set(PK_SETS) <= set(names)


def test_unknown_set_is_an_error_that_suggests_the_close_name() -> None:
    with pytest.raises(ParameterError, match="kamp2020"):
        get_parameter_set("kamp202")


def test_source_set_is_partial_and_complete_set_fills_it_from_default(default: ParameterSet) -> None:
    source = get_parameter_set("kamp2020")
    full = parameter_set("kamp2020")
    assert set(source.parameters) < set(default.parameters)
    assert full.name == "kamp2020"
    assert set(full.parameters) == set(default.parameters)
    assert parameter_set("default") is default


def test_citations_one_line_per_key_with_doi_link() -> None:
    refs = [Reference("a", "First work", "10.1000/x"), Reference("b", "Second work"), Reference("a", "duplicate")]
    assert format_citations(refs) == "[a] First work https://doi.org/10.1000/x\n[b] Second work"

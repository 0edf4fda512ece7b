"""The SBML export against published parameter values, not against its own source.

For a patient at the published models' reference covariates (70 kg; male; CYP2B6
normal), libroadrunner evaluates the exported document: its compartment sizes must be the published volumes, the
rates of change of the amounts it defines must form the published mammillary matrix (so the elimination rate
constant is CL/V1 and every flow Q/V), the effect site must follow plasma at ln 2 / t½ke0, and the exported model
simulated by CVODE must give AUC to infinity = dose / CL. Published values and matrices come from `published`.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
import roadrunner
from published import (
    DOMINO_SLOW_INTERCOMPARTMENTAL_L_PER_H,
    FANTA_CENTRAL_VOLUME_L,
    FANTA_FAST_PERIPHERAL_VOLUME_L,
    FANTA_SLOW_PERIPHERAL_VOLUME_L,
    FANTA_WEIGHT_KG,
    KAMP_CENTRAL_VOLUME_L,
    KAMP_RACEMIC_CLEARANCE_L_PER_H,
    KAMP_RAPID_PERIPHERAL_VOLUME_L,
    KAMP_SLOW_PERIPHERAL_VOLUME_L,
    OLOFSEN_EFFECT_SITE_HALF_LIFE_H,
    Mammillary,
    enantiomer_clearances,
    fanta_esketamine,
    kamp_enantiomer,
)
from scipy.integrate import simpson

import ketasim

DOSE_MG = 35.0
DOSE_AT_H = 5.0  # nothing is infused at t = 0, where the rates are read
INFUSION_H = 40.0 / 60.0


def exported(drug: str, weight_kg: float) -> roadrunner.RoadRunner:
    """libroadrunner loaded with the export of one 40-min infusion of ``drug`` for a reference patient."""
    protocol = ketasim.build_protocol(
        {
            "ketasim": 1,
            "name": f"{drug} reference patient",
            "duration": "77 h",
            "population": {
                "size": 1,
                "condition": "trd",
                "variability": False,
                "covariates": {"weight": f"{weight_kg} kg", "female": 0, "cyp2b6_slow": 0},
            },
            "arms": [
                {
                    "name": drug,
                    "treatments": [
                        {
                            "drug": drug,
                            "route": "iv",
                            "dose": f"{DOSE_MG} mg",
                            "infusion": "40 min",
                            "at": [f"{DOSE_AT_H} h"],
                        }
                    ],
                }
            ],
        }
    )
    roadrunner.Logger.setLevel(roadrunner.Logger.LOG_ERROR)
    runner = roadrunner.RoadRunner(ketasim.export_sbml(protocol))
    runner.integrator.relative_tolerance = 1e-10
    runner.integrator.absolute_tolerance = 1e-12
    runner.integrator.maximum_num_steps = 1_000_000
    return runner


@pytest.fixture(scope="module")
def racemic() -> roadrunner.RoadRunner:
    return exported("ketamine", 70.0)


@pytest.fixture(scope="module")
def esketamine() -> roadrunner.RoadRunner:
    return exported("esketamine", FANTA_WEIGHT_KG)


def disposition_matrix(runner: roadrunner.RoadRunner, amounts: list[str]) -> np.ndarray:
    """d(amounts)/dt per unit amount of each, as the exported reactions define it (one column per unit amount)."""
    runner.resetAll()
    columns = []
    for source in amounts:
        for name in amounts:
            runner.setValue(name, 1.0 if name == source else 0.0)
        columns.append([runner.getValue(f"{name}'") for name in amounts])
    return np.array(columns).T


def enantiomer_compartments(drug: str, species: str) -> list[str]:
    return [f"{drug}_{species}_ketamine_{name}" for name in ("central", "peripheral1", "peripheral2")]


def test_exported_volumes_are_kamp_2020(racemic: roadrunner.RoadRunner) -> None:
    """Central, rapid and slow peripheral volumes of both enantiomers at 70 kg: 25, 56 and 157 L (Kamp 2020)."""
    published = [KAMP_CENTRAL_VOLUME_L, KAMP_RAPID_PERIPHERAL_VOLUME_L, KAMP_SLOW_PERIPHERAL_VOLUME_L]
    for species in ("s", "r"):
        volumes = [racemic.getValue(f"{name}_volume") for name in enantiomer_compartments("ketamine", species)]
        np.testing.assert_allclose(volumes, published, rtol=1e-12)


def test_exported_volumes_are_fanta_2015(esketamine: roadrunner.RoadRunner) -> None:
    """Esketamine volumes per 70 kg: 133, 187 and 98.8 L (Fanta 2015 as fixed in Otto 2021, Table 3)."""
    volumes = [esketamine.getValue(f"{name}_volume") for name in enantiomer_compartments("esketamine", "s")]
    np.testing.assert_allclose(
        volumes,
        [FANTA_CENTRAL_VOLUME_L, FANTA_SLOW_PERIPHERAL_VOLUME_L, FANTA_FAST_PERIPHERAL_VOLUME_L],
        rtol=1e-12,
    )


@pytest.mark.parametrize("species", ["s", "r"])
def test_exported_disposition_is_the_published_mammillary_matrix(racemic: roadrunner.RoadRunner, species: str) -> None:
    """The exported reactions of each enantiomer form the published matrix: k10 = CL/V1 (Kamp's racemic clearance
    split by Wang's S/R ratio), k12 = Q2/V1, k21 = Q2/V2, k13 = Q3/V1, k31 = Q3/V3."""
    clearance = dict(zip(("s", "r"), enantiomer_clearances(), strict=True))[species]
    matrix = disposition_matrix(racemic, enantiomer_compartments("ketamine", species))
    np.testing.assert_allclose(matrix, kamp_enantiomer(clearance).matrix(), rtol=1e-12, atol=1e-12)
    assert -matrix.sum(axis=0)[0] == pytest.approx(clearance / KAMP_CENTRAL_VOLUME_L, rel=1e-12)


def test_exported_esketamine_disposition_is_fanta_2015(esketamine: roadrunner.RoadRunner) -> None:
    """k10 = CL/V1 with Fanta's clearance of 95.2 L/h, and the published flows."""
    matrix = disposition_matrix(esketamine, enantiomer_compartments("esketamine", "s"))
    published: Mammillary = fanta_esketamine()
    np.testing.assert_allclose(matrix, published.matrix(), rtol=1e-12, atol=1e-12)


def test_exported_slow_flow_is_dominos(racemic: roadrunner.RoadRunner) -> None:
    """The slow intercompartmental clearance is Domino's V1·k13 = 156 L/h, not Kamp's arterial 79 L/h."""
    matrix = disposition_matrix(racemic, enantiomer_compartments("ketamine", "s"))
    assert matrix[2, 0] * KAMP_CENTRAL_VOLUME_L == pytest.approx(DOMINO_SLOW_INTERCOMPARTMENTAL_L_PER_H, rel=1e-12)


def test_exported_effect_site_follows_plasma_at_olofsens_rate(racemic: roadrunner.RoadRunner) -> None:
    """dCe/dt = ke0 (C − Ce) with ke0 = ln 2 / 6.1 min: read from the exported rate rule at two states."""
    ke0 = math.log(2.0) / OLOFSEN_EFFECT_SITE_HALF_LIFE_H
    central, effect = "ketamine_s_ketamine_central", "ketamine_s_ketamine_effect"
    racemic.resetAll()
    racemic.setValue(central, 1.0)
    racemic.setValue(effect, 0.0)
    assert racemic.getValue(f"{effect}'") == pytest.approx(ke0 / KAMP_CENTRAL_VOLUME_L, rel=1e-12)
    racemic.setValue(central, 0.0)
    racemic.setValue(effect, 1.0)
    assert racemic.getValue(f"{effect}'") == pytest.approx(-ke0, rel=1e-12)


def test_exported_model_gives_auc_dose_over_clearance(racemic: roadrunner.RoadRunner) -> None:
    """CVODE on the export: AUC of plasma ketamine to infinity after 35 mg = 35 mg / 84 L/h (Kamp 2020)."""
    racemic.resetAll()
    end = DOSE_AT_H + INFUSION_H
    times = np.unique(np.concatenate([np.linspace(DOSE_AT_H, end, 81), np.linspace(end, 77.0, 2001)]))
    curve = np.asarray(racemic.simulate(times=[0.0, *times], selections=["time", "plasma_ketamine"]))[1:, 1]
    during, after = times <= end, times >= end
    auc = simpson(curve[during], x=times[during]) + simpson(curve[after], x=times[after])
    slowest = min(kamp_enantiomer(cl).terminal_half_life_h() for cl in enantiomer_clearances())
    tail = curve[-1] * slowest / math.log(2.0)  # the R enantiomer dominates the last hours; under 0.1 % of the AUC
    assert auc + tail == pytest.approx(DOSE_MG * 1000.0 / KAMP_RACEMIC_CLEARANCE_L_PER_H, rel=1e-4)

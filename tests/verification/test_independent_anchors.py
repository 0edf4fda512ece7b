"""Closed-form anchors of the pharmacokinetics and effect site, against published values and not the model's code.

`ketasim.simulate` runs a 40-min IV infusion of each ketamine product for one patient whose covariates take the
published models' reference values (70 kg; male; CYP2B6 normal), so
the clearances and volumes are the published ones with no covariate effect. Each expectation is computed from
the published values in `published` with NumPy and scipy only:

* AUC to infinity = dose × fraction / CL per enantiomer (numerical AUC of the engine's curve to 72 h plus the
  analytic tail C(72 h) / λz);
* terminal half-life = ln 2 / the smallest eigenvalue of a 3x3 mammillary matrix built by hand;
* the whole plasma curve = the tri-exponential unit response of that matrix, integrated over the infusion;
* the dissociation (CADSS) peak comes after the plasma peak by the delay the effect-site equilibration half-life
  (Olofsen 2012) implies for that plasma curve, and the CADSS curve is the documented Emax curve of the
  potency-weighted effect-site concentration (docs/model.md section 4).
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from published import (
    FANTA_WEIGHT_KG,
    OLOFSEN_EFFECT_SITE_HALF_LIFE_H,
    Mammillary,
    enantiomer_clearances,
    fanta_esketamine,
    infusion_response,
    kamp_enantiomer,
)
from scipy.integrate import simpson

import ketasim
from ketasim.parameters import get_parameter_set

DOSE_MG = 35.0
INFUSION_H = 40.0 / 60.0
HORIZON_H = 72.0
# Output grid: 30 s through the infusion and the effect-site peak, then 5 and 15 min (the same grid for every
# drug, so the engine compiles once).
TIMES_H = np.unique(
    np.round(
        np.concatenate([np.arange(0, 2, 1 / 120), np.arange(2, 12, 1 / 12), np.arange(12, HORIZON_H + 1e-9, 0.25)]), 9
    )
)


def components(drug: str) -> list[tuple[float, Mammillary, str]]:
    """(fraction of the dose, published disposition, species) of each enantiomer a drug delivers."""
    s, r = enantiomer_clearances()
    return {
        "esketamine": [(1.0, fanta_esketamine(), "s")],
        "arketamine": [(1.0, kamp_enantiomer(r), "r")],
        "ketamine": [(0.5, kamp_enantiomer(s), "s"), (0.5, kamp_enantiomer(r), "r")],
    }[drug]


def weight_kg(drug: str) -> float:
    """The weight at which the published values hold without allometric scaling."""
    return FANTA_WEIGHT_KG if drug == "esketamine" else 70.0


@pytest.fixture(scope="module")
def courses() -> dict[str, dict[str, np.ndarray]]:
    """Plasma ketamine and CADSS of one reference patient per drug after a 40-min infusion of 35 mg."""
    out = {}
    for drug in ("esketamine", "arketamine", "ketamine"):
        protocol = ketasim.build_protocol(
            {
                "ketasim": 1,
                "name": f"{drug} reference patient",
                "duration": f"{HORIZON_H:g} h",
                "population": {
                    "size": 1,
                    "condition": "trd",
                    "variability": False,
                    "covariates": {"weight": f"{weight_kg(drug)} kg", "female": 0, "cyp2b6_slow": 0},
                },
                "arms": [
                    {
                        "name": drug,
                        "treatments": [
                            {"drug": drug, "route": "iv", "dose": f"{DOSE_MG} mg", "infusion": "40 min", "at": ["0 h"]}
                        ],
                    }
                ],
                "observe": {
                    "every": [f"{float(t)!r} h" for t in TIMES_H],
                    "outputs": ["plasma_ketamine", "dissociation"],
                },
            }
        )
        ds = ketasim.simulate(protocol)
        np.testing.assert_allclose(ds.time.values, TIMES_H, atol=1e-9)
        out[drug] = {name: ds[name].values[0, 0] for name in ("plasma_ketamine", "dissociation")}
    return out


def published_plasma(drug: str, t: np.ndarray) -> np.ndarray:
    """Plasma ketamine (ng/mL) of the published models: Σ over enantiomers of dose share × unit response."""
    return sum(
        DOSE_MG * 1000.0 * fraction * infusion_response(*model.unit_bolus(), t, INFUSION_H)
        for fraction, model, _ in components(drug)
    )


@pytest.mark.parametrize("drug", ["esketamine", "arketamine", "ketamine"])
def test_auc_to_infinity_is_dose_over_clearance(courses: dict, drug: str) -> None:
    """Numerical AUC of the engine's plasma curve plus its analytic tail equals Σ dose × fraction / CL."""
    plasma = courses[drug]["plasma_ketamine"]
    during = TIMES_H <= INFUSION_H + 1e-9
    after = TIMES_H >= INFUSION_H - 1e-9
    auc = simpson(plasma[during], x=TIMES_H[during]) + simpson(plasma[after], x=TIMES_H[after])
    parts = components(drug)
    # Beyond 72 h each enantiomer decays at its own slowest rate: the tail of the published curve, scaled to the
    # engine's last concentration (under 1 % of the AUC).
    last = [
        DOSE_MG * 1000.0 * fraction * infusion_response(*model.unit_bolus(), TIMES_H[-1:], INFUSION_H)[0]
        for fraction, model, _ in parts
    ]
    rates = [math.log(2.0) / model.terminal_half_life_h() for _, model, _ in parts]
    tail = plasma[-1] * sum(c / rate for c, rate in zip(last, rates, strict=True)) / sum(last)
    auc_published = sum(DOSE_MG * 1000.0 * fraction / model.cl for fraction, model, _ in parts)  # ng·h/mL
    assert auc + tail == pytest.approx(auc_published, rel=1e-5)


@pytest.mark.parametrize("drug", ["esketamine", "arketamine"])
def test_terminal_half_life_is_that_of_the_published_micro_constants(courses: dict, drug: str) -> None:
    """The log-linear slope of the last 12 hours is ln 2 / the slowest eigenvalue of the published 3x3 system."""
    plasma = courses[drug]["plasma_ketamine"]
    last = TIMES_H >= HORIZON_H - 12.0
    slope = -np.polyfit(TIMES_H[last], np.log(plasma[last]), 1)[0]
    ((_, model, _),) = components(drug)
    assert math.log(2.0) / slope == pytest.approx(model.terminal_half_life_h(), rel=1e-4)


@pytest.mark.parametrize("drug", ["esketamine", "arketamine", "ketamine"])
def test_plasma_curve_is_the_published_three_compartment_model(courses: dict, drug: str) -> None:
    """The whole plasma curve equals the published model's infusion response (exact linear propagation)."""
    expected = published_plasma(drug, TIMES_H)
    np.testing.assert_allclose(courses[drug]["plasma_ketamine"], expected, rtol=1e-7, atol=1e-9 * expected.max())


def effect_site_equivalent(drug: str, t: np.ndarray) -> np.ndarray:
    """Potency-weighted effect-site ketamine (ng/mL, racemate = 1) of the published models and Olofsen's t½ke0.

    The weights are the registry's documented dissociative potencies (docs/model.md section 4: 1.6 for
    S-ketamine, 0.4 for R-ketamine, norketamine none).
    """
    pset = get_parameter_set("default")
    ke0 = math.log(2.0) / OLOFSEN_EFFECT_SITE_HALF_LIFE_H
    return sum(
        pset[f"dissociation_potency_{species}_ketamine"]
        * DOSE_MG
        * 1000.0
        * fraction
        * infusion_response(*model.unit_bolus(), t, INFUSION_H, ke0)
        for fraction, model, species in components(drug)
    )


def refined_peak(t: np.ndarray, y: np.ndarray) -> float:
    """Time of the maximum of sampled y, refined by the parabola through the largest sample and its neighbours."""
    i = int(np.argmax(y))
    (t0, t1, t2), (y0, y1, y2) = t[i - 1 : i + 2], y[i - 1 : i + 2]
    denominator = (t0 - t1) * (t0 - t2) * (t1 - t2)
    a = (t2 * (y1 - y0) + t1 * (y0 - y2) + t0 * (y2 - y1)) / denominator
    b = (t2 * t2 * (y0 - y1) + t1 * t1 * (y2 - y0) + t0 * t0 * (y1 - y2)) / denominator
    return float(-b / (2.0 * a))


@pytest.mark.parametrize("drug", ["esketamine", "arketamine", "ketamine"])
def test_dissociation_peaks_after_plasma_by_the_effect_site_delay(courses: dict, drug: str) -> None:
    """Plasma peaks at the end of the infusion; CADSS peaks later by the delay that t½ke0 = 6.1 min implies.

    The expected peak is that of the closed-form effect site on a 0.1-s grid; the engine's peak is refined from
    its 30-s samples (parabola), good to well under 5 s. Halving ke0 moves the peak by minutes.
    """
    plasma = courses[drug]["plasma_ketamine"]
    assert TIMES_H[np.argmax(plasma)] == pytest.approx(INFUSION_H, abs=1e-9)
    fine = np.arange(INFUSION_H, 2.0, 0.1 / 3600.0)
    expected_peak_h = fine[np.argmax(effect_site_equivalent(drug, fine))]
    engine_peak_h = refined_peak(TIMES_H, courses[drug]["dissociation"])
    assert (engine_peak_h - INFUSION_H) * 60.0 == pytest.approx((expected_peak_h - INFUSION_H) * 60.0, abs=5.0 / 60.0)


@pytest.mark.parametrize("drug", ["esketamine", "arketamine", "ketamine"])
def test_dissociation_is_the_documented_curve_of_the_effect_site(courses: dict, drug: str) -> None:
    """CADSS = Emax · Cᵞ / (Cᵞ + EC50ᵞ) of the closed-form effect-site concentration (docs/model.md section 4),
    Emax, EC50 and γ read from the registry by name; within the float32 precision of the engine's power."""
    pset = get_parameter_set("default")
    level = (effect_site_equivalent(drug, TIMES_H) / pset["cadss_half_max_ng_per_ml"]) ** pset["cadss_hill_coefficient"]
    expected = pset["cadss_max_points"] * level / (level + 1.0)
    np.testing.assert_allclose(courses[drug]["dissociation"], expected, rtol=1e-5, atol=1e-6 * expected.max())

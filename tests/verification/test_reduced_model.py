"""The engine against a reduced model written again from the documentation (`reduced_model`), solved by scipy.

Two typical patients (``variability: false``):

* treatment-resistant depression, one 0.5 mg/kg infusion over 40 min, 14 days: the cascade (glutamate, BDNF,
  spines, plasticity window), expectancy raised by the visit and the felt dissociation, depression and worry;
* PTSD, escitalopram 10 mg daily for 6 weeks with three weekly ketamine infusions and three 90-min EMDR sessions
  (the first during the first infusion, the others 24 h after a dose): the serotonergic comparator, conditioned expectancy of the daily pill, learning and
  fear-memory traces gated by the window and by dissociation, and every rating scale.

The reduced model takes the engine's NMDA occupancy, rumination index and CADSS as functions of time (cubic
splines between the dose edges, sampled every minute for 6 hours after each dose); everything else it computes
itself from the documented equations and the registry's values. Tolerance: 2e-4 of each output's range over the
run. Measured: at most 2.3e-5 (BDNF change at 8 h; the engine's fixed steps and float32 derivative, see
`ketasim.engine.run`), 3e-6 from the splines of the drivers; any error in an equation, a parameter's wiring or a
time constant moves some output by far more.
"""

from __future__ import annotations

import numpy as np
import pytest
from reduced_model import Patient, ReducedModel, Treatments
from scipy.interpolate import CubicSpline

import ketasim
from ketasim.parameters import get_parameter_set

TOLERANCE_OF_RANGE = 2e-4
INFUSION_H = 40.0 / 60.0
SCALES = ("madrs", "hamd17", "phq9", "ham_a", "gad7", "caps5", "pcl5")


def minutes(*spans: tuple[float, float, float]) -> np.ndarray:
    """Observation times (hours) from (start, stop, step) spans in minutes: whole minutes are exact in hours."""
    return np.unique(np.concatenate([np.arange(start, stop, step) for start, stop, step in spans]) / 60.0)


def observed(times: np.ndarray) -> dict:
    return {"every": [f"{float(t)!r} h" for t in times]}


def spline(times: np.ndarray, values: np.ndarray, edges: list[float]) -> object:
    """A function of time: a cubic spline on each piece between consecutive edges (the driver's kinks)."""
    bounds = [0.0, *sorted(edges), float(times[-1])]
    pieces = []
    for start, end in zip(bounds[:-1], bounds[1:], strict=True):
        inside = (times >= start - 1e-9) & (times <= end + 1e-9)
        pieces.append((end, CubicSpline(times[inside], values[inside])))

    def at(t: float) -> float:
        for end, piece in pieces:
            if t <= end:
                return float(piece(t))
        return float(pieces[-1][1](t))

    return at


def engine_run(protocol: dict, times: np.ndarray) -> dict[str, np.ndarray]:
    """Every output and covariate of the typical patient of a one-arm protocol."""
    ds = ketasim.simulate(ketasim.build_protocol({**protocol, "observe": observed(times)}))
    np.testing.assert_allclose(ds.time.values, times, atol=1e-9)
    return {name: ds[name].values[0, 0] for name in ds.data_vars}


def reduced_run(condition: str, engine: dict, times: np.ndarray, plan: dict, dose_edges: list[float]) -> dict:
    """The reduced model's states at ``times`` for the engine's typical patient and drivers."""
    drivers = {
        name: spline(times, engine[name], dose_edges) for name in ("nmda_occupancy", "rumination", "dissociation")
    }
    patient = Patient(
        condition,
        float(engine["weight_kg"]),
        float(engine["failed_treatments"]),
        float(engine["chronic_stress"]),
        float(engine["childhood_neglect"]),
    )
    treatments = Treatments(
        drivers["nmda_occupancy"], drivers["rumination"], drivers["dissociation"], edges=dose_edges, **plan
    )
    model = ReducedModel(get_parameter_set("default"), patient, treatments, float(engine["rumination"][0]))
    return {**model.solve(times), "model": model}


def documented_outputs(condition: str, states: dict) -> dict[str, np.ndarray]:
    """The outputs docs/model.md and docs/symptoms.md section 7 define from the states."""
    p = get_parameter_set("default")
    i = states["model"].i
    window = states["spines"] ** p["window_spine_exponent"] * states["formation"] ** p["window_formation_exponent"]
    latents = {
        "depression": states["depression"],
        "worry": states["worry"],
        "fear": np.maximum(1.0 - states["fear_labile"] - states["fear_consolidated"], 0.0),
    }
    outputs = {
        "glutamate_change": 100.0 * states["glutamate"],
        "bdnf_change": 100.0 * (states["bdnf"] / i["bdnf0"] - 1.0),
        "spine_density_change": 100.0 * (states["spines"] / i["spines0"] - 1.0),
        "plasticity_window": window,
    }
    for scale in SCALES:
        weighted = sum(p[f"{scale}_weight_{latent}"] * load for latent, load in latents.items())
        outputs[scale] = p[f"{condition}_baseline_{scale}_mean"] * weighted
    return outputs


def assert_agree(engine: dict, mine: dict[str, np.ndarray]) -> None:
    """Every output within `TOLERANCE_OF_RANGE` of its range over the run (the worst one named on failure)."""
    worst = {
        name: float(np.max(np.abs(engine[name] - values)) / max(np.ptp(engine[name]), 1e-12))
        for name, values in mine.items()
    }
    name = max(worst, key=worst.__getitem__)
    assert worst[name] <= TOLERANCE_OF_RANGE, f"{name} differs by {worst[name]:.2e} of its range ({worst})"


@pytest.fixture(scope="module")
def single_infusion() -> tuple[dict, dict]:
    times = minutes((0, 360, 1), (360, 48 * 60, 15), (48 * 60, 14 * 24 * 60 + 1, 60))
    protocol = {
        "ketasim": 1,
        "name": "single infusion, typical TRD patient",
        "duration": "14 d",
        "population": {"size": 1, "condition": "trd", "variability": False},
        "arms": [
            {
                "name": "ketamine",
                "treatments": [
                    {"drug": "ketamine", "route": "iv", "dose": "0.5 mg/kg", "infusion": "40 min", "at": ["0 h"]}
                ],
            }
        ],
    }
    engine = engine_run(protocol, times)
    # a clinic visit lasts the infusion or at least an hour (docs/symptoms.md section 6)
    states = reduced_run("trd", engine, times, {"visits": [(0.0, 1.0)]}, [INFUSION_H])
    return engine, documented_outputs("trd", states)


@pytest.fixture(scope="module")
def combined_course() -> tuple[dict, dict]:
    weeks, doses_h = 6, [0.0, 168.0, 336.0]
    sessions_h = [0.0, 192.0, 360.0]  # the first during the infusion (dissociation gates it), then 24 h after
    spans = [(60 * d, 60 * d + 360, 1) for d in doses_h]
    spans += [(60 * d + 360, 60 * (d + 168), 60) for d in doses_h]
    spans += [(60 * 504, 60 * 24 * 7 * weeks + 1, 60)]
    times = minutes(*spans)
    protocol = {
        "ketasim": 1,
        "name": "escitalopram, ketamine and EMDR, typical PTSD patient",
        "duration": f"{weeks} w",
        "population": {"size": 1, "condition": "ptsd", "variability": False},
        "arms": [
            {
                "name": "combined",
                "treatments": [
                    {"drug": "escitalopram", "route": "oral", "dose": "10 mg", "every": "1 d", "until": f"{weeks} w"},
                    {
                        "drug": "ketamine",
                        "route": "iv",
                        "dose": "0.5 mg/kg",
                        "infusion": "40 min",
                        "at": [f"{d} h" for d in doses_h],
                    },
                    {"therapy": "emdr", "session": "90 min", "at": [f"{t} h" for t in sessions_h]},
                ],
            }
        ],
    }
    engine = engine_run(protocol, times)
    pills = [24.0 * day for day in range(7 * weeks)]
    plan = {
        "visits": [(d, d + 1.0) for d in doses_h],
        "pills": [(t, t + 1.0) for t in pills],
        "sessions": [(t, t + 1.5, "emdr") for t in sessions_h],
        "escitalopram_mg": [(t, 10.0) for t in pills],
    }
    edges = sorted({t for d in doses_h for t in (d, d + INFUSION_H)} - {0.0})
    states = reduced_run("ptsd", engine, times, plan, edges)
    return engine, documented_outputs("ptsd", states)


@pytest.mark.parametrize(
    "output", ["glutamate_change", "bdnf_change", "spine_density_change", "plasticity_window", "phq9", "gad7", "madrs"]
)
def test_single_infusion_agrees_with_the_documented_equations(single_infusion: tuple, output: str) -> None:
    """Cascade, expectancy, depression and worry of one infusion, output by output."""
    engine, mine = single_infusion
    assert_agree(engine, {output: mine[output]})


def test_single_infusion_moves_every_output(single_infusion: tuple) -> None:
    """The comparison is not of flat lines: each output moves by a clear amount during the run."""
    engine, _ = single_infusion
    assert np.ptp(engine["glutamate_change"]) > 20.0
    assert np.ptp(engine["spine_density_change"]) > 10.0
    assert np.ptp(engine["phq9"]) > 3.0 and np.ptp(engine["gad7"]) > 3.0


def test_combined_course_agrees_with_the_documented_equations(combined_course: tuple) -> None:
    """Serotonergic comparator, pills and visits, sessions, learning and fear traces, every rating scale."""
    engine, mine = combined_course
    assert_agree(engine, mine)
    assert np.ptp(engine["caps5"]) > 5.0

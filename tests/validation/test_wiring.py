"""Wiring of whole simulations against numbers from the literature: each treatment reaches the scales it should.

Typical patients (``variability: false``) where a single patient answers the question, small seeded populations
where the literature reports a rate across patients. The bands are the published value widened by the sampling
error of the simulated population (two standard errors) or, where stated, by a judgement; each source is cited at
its test. These are not calibration targets (data/calibration-targets.yaml holds those, with 2000 patients): they
fail when a treatment is disconnected from the model, acts on the wrong state or on the wrong time scale.
"""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import yaml

import ketasim

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"


def typical(condition: str) -> dict[str, Any]:
    return {"size": 1, "condition": condition, "variability": False}


def simulate(protocol: dict[str, Any]) -> Any:
    return ketasim.simulate(ketasim.build_protocol(protocol))


def example(name: str, **population: Any) -> dict[str, Any]:
    """An example protocol with its population changed and its endpoints dropped."""
    data: dict[str, Any] = copy.deepcopy(yaml.safe_load((EXAMPLES / name).read_text()))
    data["population"] = {**data["population"], **population}
    data.pop("endpoints", None)
    return data


KETAMINE_VS_SALINE = [
    {
        "name": "ketamine",
        "treatments": [{"drug": "ketamine", "route": "iv", "dose": "0.5 mg/kg", "infusion": "40 min", "at": ["0 h"]}],
    },
    {"name": "saline", "treatments": [{"drug": "placebo", "route": "iv", "infusion": "40 min", "at": ["0 h"]}]},
]


def responded(scores: np.ndarray, at: int, drop: float = 0.5) -> np.ndarray:
    """Whether each patient's score at observation ``at`` is at least ``drop`` below the baseline (observation 0)."""
    return scores[..., at] <= (1.0 - drop) * scores[..., 0]


def test_placebo_pills_for_8_weeks() -> None:
    """Daily placebo pills for 8 weeks in major depression: HAM-D17 response (50 % drop) in 35-40 % of patients
    (Furukawa 2016, 252 trials), growing with trial length; an untreated typical patient moves only by the natural course, which alone
    does not make them respond.

    512 patients: two standard errors of a rate near 0.37 are 0.043, so the band is [0.30, 0.45]. Without the
    conditioned expectancy of the pill ritual the response is about 0.
    """
    protocol = {
        "ketasim": 1,
        "name": "placebo pills, MDD",
        "seed": 20,
        "duration": "8 w",
        "population": {"size": 512, "condition": "mdd"},
        "arms": [
            {"name": "placebo", "treatments": [{"drug": "placebo", "route": "oral", "every": "1 d", "until": "8 w"}]}
        ],
        "observe": {"every": ["0 h", "4 w", "8 w"], "outputs": ["hamd17"]},
    }
    hamd = simulate(protocol).hamd17.values[0]
    week4, week8 = responded(hamd, 1).mean(), responded(hamd, 2).mean()
    assert 0.30 <= week8 <= 0.45, week8
    assert week4 < week8

    untreated = {**protocol, "population": typical("mdd"), "arms": [{"name": "none", "treatments": []}]}
    drifting = simulate(untreated).hamd17.values[0, 0]
    assert not responded(drifting, 2)  # the natural course alone does not make the typical patient respond
    still = {"natural_course_relief_mean": "0", "natural_course_relief_sd": "0"}
    untreated["population"] = {**typical("mdd"), "parameters": {"set": "default", "override": still}}
    course = simulate(untreated).hamd17.values[0, 0]
    np.testing.assert_allclose(course, course[0], atol=1e-4)  # without it, nothing moves an untreated patient


def test_escitalopram_onset_over_six_weeks() -> None:
    """Escitalopram 10 mg daily against placebo pills for 6 weeks, typical TRD patient (who stays depressed, so
    the HAM-D17 difference is graded rather than a switch): the drug-placebo difference at week 6 is modest, about
    1.8 HAM-D points in the FDA trials (Kirsch 2008, PLoS Med 5:e45; band 1-4), and about a third of it is present
    in week 1 (Taylor 2006, Arch Gen Psychiatry 63:1217; band 0.2-0.6). A 2-day instead of 12-day adaptation puts
    most of the effect in week 1."""
    arms = [
        {
            "name": "escitalopram",
            "treatments": [{"drug": "escitalopram", "route": "oral", "dose": "10 mg", "every": "1 d", "until": "6 w"}],
        },
        {"name": "placebo", "treatments": [{"drug": "placebo", "route": "oral", "every": "1 d", "until": "6 w"}]},
    ]
    ds = simulate(
        {
            "ketasim": 1,
            "name": "escitalopram vs placebo pills",
            "duration": "6 w",
            "population": typical("trd"),
            "arms": arms,
            "observe": {"every": ["0 h", "1 w", "6 w"], "outputs": ["hamd17"]},
        }
    )
    drug, placebo = ds.hamd17.values[:, 0]
    assert drug[-1] > 0.5 * drug[0], "the typical TRD patient must stay on the graded (depressed) branch"
    effect = placebo - drug
    assert 1.0 <= effect[2] <= 4.0, effect
    assert 0.2 <= effect[1] / effect[2] <= 0.6, effect


def test_cbt_after_ketamine_sustains_relief() -> None:
    """Six infusions over two weeks, then weekly CBT or nothing (examples/serial-iv-with-and-without-cbt.yaml,
    after Wilkinson 2021, Psychother Psychosom: CBT to sustain ketamine's effect). Typical TRD patient: both arms
    respond by day 13; at week 12, and still at week 14 (three weeks after the last of the 12 weekly sessions:
    what was learned outlasts the visits), relief is larger with CBT than without, by at least 3 MADRS points (a
    judgement: a difference a clinician would notice)."""
    ds = simulate(
        {
            **example("serial-iv-with-and-without-cbt.yaml", **typical("trd")),
            "observe": {"every": ["0 d", "13 d", "12 w", "14 w"]},
        }
    )
    arms = list(ds.arm.values)
    madrs = ds.madrs.values[:, 0]
    with_cbt, without = madrs[arms.index("ketamine_cbt")], madrs[arms.index("ketamine_alone")]
    assert responded(with_cbt, 1) and responded(without, 1)
    assert np.all(without[2:] - with_cbt[2:] >= 3.0), (with_cbt, without)


@pytest.mark.slow
def test_day_one_madrs_after_ketamine_against_saline() -> None:
    """0.5 mg/kg ketamine over 40 min against a saline infusion in TRD, 256 patients per arm: the ketamine arm's
    MADRS falls by 16.5 points at 24 h (Murrough 2013; band -20 to -12 as in the calibration targets), and it
    separates from saline by at least the 7.7 points it separates from midazolam in that trial, since saline arms
    respond less than midazolam arms (Wilkinson 2019); two standard errors of the difference (about 1.6 points)
    are allowed below that."""
    ds = simulate(
        {
            "ketasim": 1,
            "name": "ketamine vs saline",
            "seed": 4,
            "duration": "1 d",
            "population": {"size": 256, "condition": "trd"},
            "arms": KETAMINE_VS_SALINE,
            "observe": {"every": ["0 h", "24 h"], "outputs": ["madrs"]},
        }
    )
    change = (ds.madrs.values[..., 1] - ds.madrs.values[..., 0]).mean(axis=1)
    assert -20.0 <= change[0] <= -12.0, change
    assert change[1] - change[0] >= 7.7 - 1.6, change


def test_day_one_separation_of_the_typical_patient() -> None:
    """Typical TRD patient: ketamine lowers MADRS at 24 h by several points more than a saline infusion (ketamine
    separates from placebo from 40 min to day 7, Kishimoto 2016), and the saline visit alone moves it little."""
    ds = simulate(
        {
            "ketasim": 1,
            "name": "ketamine vs saline, typical patient",
            "duration": "7 d",
            "population": typical("trd"),
            "arms": KETAMINE_VS_SALINE,
            "observe": {"every": ["0 h", "24 h", "7 d"], "outputs": ["madrs"]},
        }
    )
    ketamine, saline = ds.madrs.values[:, 0]
    assert saline[1] - ketamine[1] >= 5.0, (ketamine, saline)
    assert saline[0] - saline[1] <= 4.0, saline
    assert ketamine[2] > ketamine[1], "the effect of a single infusion wanes within a week"


# docs/symptoms.md section 7: weights of depression, worry and fear in each scale, and the PTSD baseline preset.
SCALE_WEIGHTS = {
    "madrs": (0.9, 0.1, 0.0),
    "hamd17": (0.8, 0.2, 0.0),
    "phq9": (1.0, 0.0, 0.0),
    "ham_a": (0.2, 0.8, 0.0),
    "gad7": (0.0, 1.0, 0.0),
    "caps5": (0.35, 0.3, 0.35),
    "pcl5": (0.35, 0.3, 0.35),
}
PTSD_BASELINES = {"madrs": 27, "hamd17": 20, "phq9": 16, "ham_a": 22, "gad7": 14, "caps5": 42, "pcl5": 50}


def test_each_latent_reaches_its_scales_through_a_whole_simulation() -> None:
    """EMDR intensive with ketamine in PTSD (examples/ptsd-emdr-intensive.yaml, typical patient, no rater noise).

    PHQ-9 reads depression alone and GAD-7 worry alone, so they give x and w; every other scale must then be its
    documented baseline times its documented weights of x, w and the fear memory f, at every time. Fear read
    from CAPS-5 must predict PCL-5, start at 1 and fall markedly only while EMDR sessions run. Depression, worry and fear
    must move differently (otherwise any weights would fit), and worry, which follows its drivers within an hour,
    falls faster than depression at the start of the infusion (Glue 2017: anxiety fell within 1 hour).
    """
    data = example("ptsd-emdr-intensive.yaml", **typical("ptsd"))
    data["arms"] = data["arms"][:1]
    times_h = [0.0, 0.5, 1.0, 2.0, 3.5, 5.0, 8.0, 24.0, 26.0, 29.0, 48.0, 50.0, 53.0, 72.0, 168.0, 672.0, 2016.0]
    data["observe"] = {"every": [f"{t} h" for t in times_h]}
    ds = simulate(data)
    scores = {scale: ds[scale].values[0, 0] for scale in SCALE_WEIGHTS}
    np.testing.assert_allclose([scores[s][0] for s in SCALE_WEIGHTS], list(PTSD_BASELINES.values()), rtol=1e-9)
    x, w = scores["phq9"] / PTSD_BASELINES["phq9"], scores["gad7"] / PTSD_BASELINES["gad7"]
    caps_weights = SCALE_WEIGHTS["caps5"]
    f = (scores["caps5"] / PTSD_BASELINES["caps5"] - caps_weights[0] * x - caps_weights[1] * w) / caps_weights[2]
    for scale, (wx, ww, wf) in SCALE_WEIGHTS.items():
        expected = PTSD_BASELINES[scale] * (wx * x + ww * w + wf * f)
        np.testing.assert_allclose(scores[scale], expected, rtol=1e-9, atol=1e-9, err_msg=scale)
    assert np.linalg.matrix_rank(np.stack([x, w, f]), tol=1e-3) == 3
    assert f[0] == pytest.approx(1.0) and f[-1] < 0.9
    times = np.array(times_h)
    sessions = [(2.0, 5.0), (26.0, 29.0), (50.0, 53.0)]  # 3 h a day from 2 h after each morning infusion
    falls = np.diff(f) < -0.01  # everyday life weakens it too, but by about 1e-5 a day
    in_session = [any(a <= t0 and t1 <= b for a, b in sessions) for t0, t1 in zip(times[:-1], times[1:], strict=True)]
    assert falls.any() and all(s for s, fall in zip(in_session, falls, strict=True) if fall)
    one_hour = times_h.index(1.0)
    assert 1.0 - w[one_hour] > 1.0 - x[one_hour]

"""Plain-language explanations shown beside each view of the explorer, written for patients and learners.

They describe what the model represents, in the order of the cascade; the sources are those of the model
documentation (docs/model.md) and the literature digest. They state no number the model does not use.
"""

from __future__ import annotations

STAGES: tuple[tuple[str, str, str], ...] = (
    (
        "nmda_occupancy",
        "1. Blocking a glutamate gate",
        "Ketamine slips into the NMDA receptor, a gate that lets the brain's main 'go' messenger, glutamate, "
        "act on a nerve cell, and plugs it. The share of gates blocked follows the drug level in the brain, "
        "which trails the blood by a few minutes.",
    ),
    (
        "glutamate_change",
        "2. A brief glutamate surge",
        "The gates on calming (inhibitory) nerve cells are blocked first, so their brake on other cells "
        "loosens. The front of the brain gets a short burst of glutamate: it peaks within about half an hour "
        "and is over in about three hours.",
    ),
    (
        "bdnf_change",
        "3. A growth signal",
        "The burst releases BDNF, a growth factor for nerve cells. BDNF switches on mTOR, the cell's "
        "protein-building machinery, for an hour or two, and the cell starts making the parts of new "
        "connections.",
    ),
    (
        "spine_density_change",
        "4. New connections",
        "Half a day to a day later, nerve cells in the front of the brain grow new spines: the tiny contacts "
        "where they connect. Long stress and depression leave fewer of them. The new ones fade again over one "
        "to two weeks unless they are used.",
    ),
    (
        "plasticity_window",
        "5. A window for learning",
        "Together these open a window of days when the brain learns new ways of thinking and feeling more "
        "easily (1 = a healthy brain's usual capacity). In the model, therapy sessions inside this window "
        "(green) turn the short-lived change into learning that lasts.",
    ),
)
"""(output, heading, text) for each stage of the cascade, in order."""

CONCENTRATION = (
    "How much ketamine is in the blood. Given into a vein it peaks as the infusion ends and falls by half "
    "within a few hours. Swallowed or held under the tongue, much of the dose is turned by the liver into "
    "norketamine, a weaker relative, before it reaches the blood."
)
NETWORK = (
    "The default mode network is the set of brain regions most active when the mind wanders or dwells on "
    "itself. In depression its hubs are coupled too tightly, which goes with rumination. Ketamine loosens the "
    "coupling while it is in the brain and, through new connections that strengthen control from the front of "
    "the brain, for some days after. The matrix shows how strongly each pair of regions moves together "
    "(red: together, blue: opposite) at the time picked on the slider."
)
SYMPTOMS = (
    "Rating scales as a clinician or the patient would score them. The line is the middle (median) simulated "
    "patient; the darker band holds half of the patients and the light band nine in ten. Relapse shows as the "
    "line drifting back up after the last dose."
)
ACUTE = (
    "Effects felt during and just after a dose: dissociation (feeling detached or dreamlike, CADSS score) and a "
    "rise in blood pressure. Both follow the drug level in the brain and settle within about two hours."
)
MONITORING = (
    "Hours after each ketamine dose until the model's discharge criteria are met: dissociation back under its "
    "threshold and blood pressure back within range, and at least the minimum observation time passed."
)
CONTEXT = (
    "Research and education tool. These are simulated patients of a model, not a prediction for any person "
    "and not medical advice: do not use them to choose a treatment."
)
CHAIN = (
    "Each step drives the next. After a run, every box shows what the middle patient of the first arm reached: "
    "the highest value (the lowest for brain-network coupling and symptoms)."
)
GLOSSARY: tuple[tuple[str, str], ...] = (
    ("Pharmacokinetics (PK)", "How the body takes up, spreads and clears a drug: the drug level over time."),
    ("NMDA receptor", "A gate on nerve cells opened by glutamate; ketamine plugs it."),
    ("Glutamate", "The brain's main excitatory ('go') messenger."),
    ("BDNF", "Brain-derived neurotrophic factor, a growth signal for nerve cells and their connections."),
    ("mTOR", "The cell's protein-building switch that BDNF turns on; it makes the parts of new synapses."),
    ("Dendritic spine", "A tiny bud on a nerve cell where a synapse (connection) sits."),
    ("Default mode network (DMN)", "Brain regions active when the mind wanders; too tightly coupled in depression."),
    ("Plasticity window", "Days after a dose when the brain learns new patterns more easily."),
    ("MADRS, HAM-D, CAPS-5, ...", "Rating scales: questionnaires scored by a clinician or the patient."),
    ("Rater noise", "Two ratings of the same state differ by a few points; 'without rater noise' leaves it out."),
    ("Median, bands", "The middle simulated patient; the bands hold half and nine in ten of the patients."),
)
"""(term, short meaning) for the explorer's glossary."""

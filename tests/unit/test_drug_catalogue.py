"""Drugs are data: the shipped catalogue, a drug added from a file running end to end, and bad entries refused."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import libsbml
import numpy as np
import pytest
import yaml

import ketasim
from ketasim.errors import ProtocolError
from ketasim.parameters.catalogue import default_catalogue

FIXTURE = Path(__file__).resolve().parents[1] / "data" / "drugs" / "memantine.yaml"


def protocol(drugs: list[Any], drug: str = "memantine", route: str = "oral") -> dict[str, Any]:
    return {
        "ketasim": 1,
        "name": "memantine daily",
        "duration": "7 d",
        "population": {"size": 1, "variability": False},
        "drugs": drugs,
        "arms": [
            {
                "name": "drug",
                "treatments": [{"drug": drug, "route": route, "dose": "20 mg", "every": "1 d", "count": 7}],
            },
            {"name": "placebo", "treatments": [{"drug": "placebo", "route": "oral", "every": "1 d", "count": 7}]},
        ],
        "observe": {"every": "6 h", "outputs": ["nmda_occupancy", "glutamate_change", "madrs"]},
    }


def test_the_shipped_catalogue_holds_every_drug_and_what_its_species_do() -> None:
    catalogue = default_catalogue()
    assert set(catalogue.drugs) == {"ketamine", "esketamine", "arketamine", "midazolam", "escitalopram"}
    assert catalogue.acting("nmda_ki") == ("s_ketamine", "r_ketamine", "s_norketamine", "r_norketamine")
    assert catalogue.acting("sedation") == ("midazolam",)
    assert catalogue.acting("sert_half_occupancy") == ("escitalopram",)
    assert catalogue.drug_routes["escitalopram"] == ("oral",)


def test_a_drug_from_a_file_runs_end_to_end(tmp_path: Path) -> None:
    path = tmp_path / "protocol.yaml"
    (tmp_path / "memantine.yaml").write_text(FIXTURE.read_text())
    path.write_text(yaml.safe_dump(protocol(["memantine.yaml"])))
    loaded = ketasim.load_protocol(path)
    assert loaded.source["drugs"][0]["drug"] == "memantine"  # the file is carried as data
    dataset = ketasim.simulate(loaded)
    occupancy = dataset.nmda_occupancy.sel(patient=0)
    assert float(occupancy.sel(arm="drug").max()) > 0.05
    assert float(occupancy.sel(arm="placebo").max()) == 0.0
    assert float(dataset.glutamate_change.sel(arm="drug", patient=0).max()) > 0.0
    document = libsbml.readSBMLFromString(ketasim.export_sbml(loaded))
    species = {document.getModel().getSpecies(i).getId() for i in range(document.getModel().getNumSpecies())}
    assert "memantine_memantine_central" in species
    assert document.getModel().getParameter("nmda_ki_memantine_um").getValue() == 1.0


def test_a_drug_entry_inline_gives_the_same_course_as_its_file(tmp_path: Path) -> None:
    entry = yaml.safe_load(FIXTURE.read_text())
    inline = ketasim.build_protocol(protocol([entry]))
    (tmp_path / "memantine.yaml").write_text(FIXTURE.read_text())
    (tmp_path / "p.yaml").write_text(yaml.safe_dump(protocol(["memantine.yaml"])))
    from_file = ketasim.load_protocol(tmp_path / "p.yaml")
    a = ketasim.simulate(inline).nmda_occupancy.values
    b = ketasim.simulate(from_file).nmda_occupancy.values
    assert np.array_equal(a, b)


def test_the_drug_dose_limits_apply() -> None:
    entry = yaml.safe_load(FIXTURE.read_text())
    data = protocol([entry])
    data["arms"][0]["treatments"][0]["dose"] = "300 mg"
    with pytest.raises(ProtocolError, match="unsafe memantine dose"):
        ketasim.build_protocol(data)


@pytest.mark.parametrize(
    ("edit", "message"),
    [
        (lambda e: e.update(routes=["rectal"]), "unknown routes"),
        (lambda e: e["components"][0].update(species="unknown_species"), "species 'unknown_species' is not defined"),
        (lambda e: e.update(drug="ketamine"), "defined twice"),
        (lambda e: e.pop("components"), "components"),
    ],
)
def test_a_bad_drug_entry_is_one_error_at_drugs(edit: Any, message: str) -> None:
    entry = yaml.safe_load(FIXTURE.read_text())
    edit(entry)
    with pytest.raises(ProtocolError, match=message) as caught:
        ketasim.build_protocol(protocol([entry]))
    assert caught.value.key_path == "drugs" and "\n" not in str(caught.value)


def test_a_mapping_cannot_name_a_drug_file() -> None:
    with pytest.raises(ProtocolError, match="drug entries"):
        ketasim.build_protocol(protocol(["/etc/passwd"]))


def test_an_unknown_drug_without_its_entry_is_refused() -> None:
    with pytest.raises(ProtocolError, match="memantine"):
        ketasim.build_protocol(protocol([]))

"""The ``ketasim`` command (``spec/cli.md``): a thin face over the public API, with no science in it.

Every `KetasimError` (and every file system error) becomes one line ``error: <message>`` on stderr and exit
status 2; ``--debug`` prints the traceback first. Progress goes to stderr (a bar on a terminal, plain lines
otherwise; `ketasim.report.progress`), and ``--quiet`` silences it; tables fit the terminal's width
(`ketasim.report.terminal`). Heavy modules are imported inside the commands so ``--help`` stays fast.

The installed ``ketasim`` command is `entry_point`: it runs `app`, flushes stdout and stderr and leaves the
process at once (``os._exit``), skipping the interpreter's shutdown, which after a simulation spends about 0.7 s
tearing down JAX and the imported modules and has nothing left to save (every file is written and closed by then).
Outside `DASK_COMMANDS` it also runs as on an install without Dask.
"""

from __future__ import annotations

import importlib
import os
import sys
import threading
import traceback
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from ketasim.errors import KetasimError
from ketasim.report.progress import COMPILING, progress_display
from ketasim.version import __version__

if TYPE_CHECKING:
    from collections.abc import Sequence

    import xarray as xr

    from ketasim.parameters.posterior import Posterior
    from ketasim.protocol import Protocol
    from ketasim.report.terminal import Column

DASK_COMMANDS = {"trial"}
"""Commands that may compute on Dask (``trial --scheduler``). In the others the installed command hides Dask:
xarray imports ``dask.array`` the first time it wraps an array whenever Dask is installed (0.3-0.45 s, a tenth of
a one-patient ``ketasim simulate``), only to recognise Dask arrays, of which those commands make none."""

TIMECOURSE_FORMATS = {
    "netcdf": ("timecourses.nc", "write_timecourses"),
    "csv": ("timecourses.csv", "write_timecourses_csv"),
}
"""Each format of ``simulate --format``: its file name and its writer in `ketasim.io.netcdf` (a module imported while
the engine runs, `import_meanwhile`)."""

app = typer.Typer(
    name="ketasim",
    help="Simulate ketamine for depression, anxiety and trauma, from the dose to the rating scale. "
    "Research and education tool; not medical advice.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)

Quiet = Annotated[bool, typer.Option("--quiet", "-q", help="No progress output.")]
Debug = Annotated[bool, typer.Option("--debug", help="Show the traceback of an error.")]
Force = Annotated[
    bool, typer.Option("--force", help="Replace the folder even when it holds other results or other files.")
]
PosteriorPath = Annotated[
    Path | None,
    typer.Option(
        "--posterior", help="Posterior ensemble for --uncertainty (default: the packaged one).", dir_okay=False
    ),
]
ProtocolPath = Annotated[
    Path, typer.Argument(help="Protocol file (YAML, JSON or TOML).", exists=True, dir_okay=False, readable=True)
]


@contextmanager
def _errors_to_exit(debug: bool) -> Iterator[None]:
    """Turn a `KetasimError` or `OSError` into one ``error:`` line and exit status 2."""
    try:
        yield
    except (KetasimError, OSError) as exc:
        if debug:
            traceback.print_exc()
        message = " ".join(str(exc).split()) or type(exc).__name__
        typer.echo(f"error: {message}", err=True)
        raise typer.Exit(2) from None


def _warn(messages: Any) -> None:
    for message in messages:
        typer.echo(f"warning: {message}", err=True)


def _show_version(value: bool) -> None:
    if value:
        typer.echo(f"ketasim {__version__}")
        raise typer.Exit()


@app.callback()
def main(
    version: Annotated[
        bool, typer.Option("--version", help="Print the version and exit.", callback=_show_version, is_eager=True)
    ] = False,
) -> None:
    """Simulate ketamine for depression, anxiety and trauma. Research and education tool; not medical advice."""


@app.command()
def simulate(
    protocol: ProtocolPath,
    out: Annotated[Path, typer.Option("--out", help="Folder for timecourses.nc and plot.html.", file_okay=False)],
    patients: Annotated[int | None, typer.Option("--patients", min=1, help="Patients per arm.")] = None,
    seed: Annotated[int | None, typer.Option("--seed", help="Root seed (overrides `seed`).")] = None,
    fc_at: Annotated[
        list[str] | None,
        typer.Option("--fc-at", help='Also write full FC matrices at this time (repeatable, e.g. "24 h").'),
    ] = None,
    force: Force = False,
    formats: Annotated[
        list[str] | None,
        typer.Option(
            "--format",
            help="Time course file format: netcdf (timecourses.nc, the default) or csv (timecourses.csv); repeatable.",
        ),
    ] = None,
    quiet: Quiet = False,
    debug: Debug = False,
) -> None:
    """Simulate every arm's patients; write DIR/timecourses.nc (or .csv) and DIR/plot.html (and DIR/fc.html with
    --fc-at)."""
    with _errors_to_exit(debug):
        from ketasim.errors import InputError
        from ketasim.protocol import load_protocol
        from ketasim.protocol.run_size import check_simulation_size
        from ketasim.result_files import result_folder
        from ketasim.simulation.run import simulate as simulate_protocol

        _check_seed(seed)
        chosen = list(dict.fromkeys(formats or ["netcdf"]))
        for name in chosen:
            if name not in TIMECOURSE_FORMATS:
                raise InputError("--format", f"unknown format {name!r}", "use netcdf or csv")
        loaded = load_protocol(protocol)
        _warn(loaded.warnings)
        check_simulation_size(loaded, patients, "population.size" if patients is None else "--patients")
        fc_times = _fc_times(fc_at or [], loaded.duration_h)
        size = patients if patients is not None else loaded.population.size
        identity = {"command": "simulate", "input": loaded.name}
        with result_folder(out, identity, force=force) as staging, progress_display(quiet) as bar:
            writers_imported = import_meanwhile("ketasim.io.netcdf", "ketasim.report.timecourse_plot")
            bar.stage(COMPILING, total=size * len(loaded.arms))
            dataset = simulate_protocol(
                loaded, patients=patients, seed=seed, progress=lambda done: bar.advance(done, "simulating")
            )
            bar.stage("writing files")
            writers_imported.join()
            from ketasim.io import netcdf
            from ketasim.report.timecourse_plot import write_timecourse_plot

            written = []
            for name in chosen:
                file_name, writer = TIMECOURSE_FORMATS[name]
                written.append(getattr(netcdf, writer)(dataset, staging / file_name))
            written.append(write_timecourse_plot(dataset, staging / "plot.html", title=loaded.name))
            if fc_times:
                written += _write_fc(loaded, dataset, fc_times, staging)
        for path in written:
            typer.echo(f"wrote {out / path.name}")


def import_meanwhile(*modules: str) -> threading.Thread:
    """Start importing ``modules`` on a thread of their own and return it (join it before using them).

    The engine releases Python's lock while it loads and runs its compiled programs, so the modules a command needs
    only afterwards (the writers: xarray, pandas, h5py, plotly, about 0.6 s) are imported meanwhile instead of
    before. An import that fails there fails again, with its message, where the command imports the module itself.
    """

    def load() -> None:
        for module in modules:
            with suppress(Exception):
                importlib.import_module(module)

    thread = threading.Thread(target=load, name="import-meanwhile", daemon=True)
    thread.start()
    return thread


def _check_seed(seed: int | None, option: str = "--seed") -> None:
    """Refuse a seed outside 0 to 2**63 - 1, as the protocol schema does."""
    from ketasim.errors import InputError
    from ketasim.protocol.schema import MAX_SEED

    if seed is not None and not 0 <= seed <= MAX_SEED:
        raise InputError(option, f"{seed} is outside 0 to {MAX_SEED}", "give a whole number in that range, e.g. 7")


def default_workers() -> int:
    """All cores, or 1 on a single-core machine."""
    return max(1, os.cpu_count() or 1)


def _fc_times(texts: list[str], end: float) -> list[float]:
    """The ``--fc-at`` times in hours, each within the simulated time 0 to ``end`` hours."""
    from ketasim.errors import InputError
    from ketasim.units import parse_quantity

    times = [parse_quantity(text, "time", "--fc-at") for text in texts]
    late = [t for t in times if not 0 <= t <= end]
    if late:
        raise InputError("--fc-at", f"{late[0]:g} h is outside the simulated time", f"use times from 0 to {end:g} h")
    return times


def _write_fc(loaded: Protocol, dataset: xr.Dataset, times: list[float], out: Path) -> list[Path]:
    """FC matrices at the ``--fc-at`` times (hours) as NetCDF and heatmaps."""
    from ketasim.io.netcdf import netcdf_in_memory
    from ketasim.report.fc_heatmaps import write_fc_heatmaps
    from ketasim.result_files import write_file
    from ketasim.simulation.fc import fc_matrices

    fc = fc_matrices(loaded, dataset, times)
    matrices = write_file(out / "fc_matrices.nc", lambda hidden: hidden.write_bytes(netcdf_in_memory(fc.to_dataset())))
    return [matrices, write_fc_heatmaps(fc, out / "fc.html")]


@app.command()
def trial(
    protocol: ProtocolPath,
    out: Annotated[
        Path, typer.Option("--out", help="Folder for summary.json, patients.parquet and report.html.", file_okay=False)
    ],
    patients: Annotated[int | None, typer.Option("--patients", min=1, help="Patients per arm.")] = None,
    seed: Annotated[int | None, typer.Option("--seed", help="Root seed (overrides `seed`).")] = None,
    workers: Annotated[
        int | None, typer.Option("--workers", min=1, help="Local processes computing chunks (default: all cores).")
    ] = None,
    chunk_size: Annotated[int | None, typer.Option("--chunk-size", min=1, help="Patients per chunk.")] = None,
    scheduler: Annotated[
        str | None, typer.Option("--scheduler", help="Address of a running Dask scheduler to compute the chunks.")
    ] = None,
    resume: Annotated[
        bool, typer.Option("--resume", help="Continue an interrupted run in the same --out, keeping finished chunks.")
    ] = False,
    timecourses: Annotated[bool, typer.Option("--timecourses", help="Also write DIR/timecourses.nc.")] = False,
    uncertainty: Annotated[
        int | None,
        typer.Option(
            "--uncertainty",
            help="Also run N posterior draws of the calibrated parameters (64 is a good choice): every endpoint "
            "and comparison gets pi95, the predictive interval over parameters and patients.",
        ),
    ] = None,
    posterior: PosteriorPath = None,
    force: Force = False,
    quiet: Quiet = False,
    debug: Debug = False,
) -> None:
    """Run a virtual trial; write DIR/summary.json, DIR/patients.parquet and DIR/report.html."""
    with _errors_to_exit(debug):
        from ketasim.protocol import load_protocol
        from ketasim.trial.run import run_trial

        _check_seed(seed)
        ensemble = _ensemble(uncertainty, posterior)
        loaded = load_protocol(protocol)
        _warn(loaded.warnings)
        size = patients if patients is not None else loaded.population.size
        phase = ["simulating"]

        def draws_start(total: int) -> None:
            phase[0] = f"{uncertainty} posterior draws"
            bar.stage(f"{phase[0]} ({COMPILING})", total=total)

        with progress_display(quiet) as bar:
            result = run_trial(
                loaded,
                out_dir=out,
                patients=patients,
                seed=seed,
                chunk_size=chunk_size,
                workers=workers or default_workers(),
                scheduler=scheduler,
                resume=resume,
                force=force,
                timecourses=timecourses,
                progress=lambda done: bar.advance(done, phase[0]),
                on_start=lambda: bar.stage(COMPILING, total=size * len(loaded.arms)),
                uncertainty=uncertainty,
                posterior=ensemble,
                on_draws=draws_start,
            )
        if result.summary["failed_patients"]:
            typer.echo(
                f"warning: {result.summary['failed_patients']} patient(s) failed; see patients.parquet", err=True
            )
        if not quiet:
            _print_endpoints(result.summary)
        for key in ("summary", "patients", "report", "timecourses"):
            if key in result.files:
                typer.echo(f"wrote {result.files[key]}")


def _print_table(columns: Sequence[Column], rows: list[list[str]], title: str = "") -> None:
    """Rows as a table that fits the terminal's width (``$COLUMNS`` when not a terminal), no value cut."""
    from rich.console import Console

    from ketasim.report.terminal import fitted_table

    console = Console()
    console.print(fitted_table(columns, rows, console.width, title))


def _print_endpoints(summary: dict[str, Any]) -> None:
    """The endpoints grouped by endpoint (arms side by side), then the comparisons of arms."""
    from ketasim.report.summary_rows import (
        comparison_header,
        comparison_rows,
        endpoint_header,
        endpoint_rows,
        summary_kinds,
    )
    from ketasim.report.terminal import Column

    order = list(summary_kinds(summary))
    rows = sorted(endpoint_rows(summary), key=lambda row: order.index(row[1]))
    intervals = [Column(name, numeric=True) for name in endpoint_header(summary)[4:-1]]
    columns = [Column("endpoint"), Column("arm"), Column("value", numeric=True), *intervals]
    columns += [Column("patients", numeric=True), Column("kind", beneath=True)]
    if rows:
        _print_table(columns, [[r[1], r[0], *r[3:], r[2]] for r in rows])
    differences = comparison_rows(summary, summary_kinds(summary))
    if differences:
        columns = [Column("endpoint"), Column("arms")]
        columns += [Column(name, numeric=True) for name in comparison_header(summary)[2:]]
        _print_table(columns, differences, title="differences between arms (rates in percentage points, pp)")


@contextmanager
def _report_folder(report: Path | None, identity: dict[str, str], force: bool) -> Iterator[Path | None]:
    """The hidden folder that ``--report`` is filled in (checked and locked on entry, before any work, and put in
    place whole on exit), or None without ``--report``."""
    from ketasim.result_files import result_folder

    if report is None:
        yield None
        return
    with result_folder(report, identity, force=force, option="--report") as staging:
        yield staging


@app.command()
def validate(
    targets: Annotated[
        Path, typer.Option("--targets", help="Targets file (spec/targets.md).", exists=True, dir_okay=False)
    ],
    json_out: Annotated[Path, typer.Option("--json", help="Where to write the JSON results.", dir_okay=False)],
    report: Annotated[
        Path | None, typer.Option("--report", help="Folder for an HTML report with one plot per target.")
    ] = None,
    role: Annotated[str, typer.Option("--role", help="Which targets to run: calibration, validation or all.")] = "all",
    uncertainty: Annotated[
        int | None,
        typer.Option(
            "--uncertainty",
            help="Also run N posterior draws: each target's predicted interval and whether it covers the band.",
        ),
    ] = None,
    posterior: PosteriorPath = None,
    force: Force = False,
    quiet: Quiet = False,
    debug: Debug = False,
) -> None:
    """Run every target of a targets file. Exit 0: all ran; 1: some could not run; 2: bad command line or file."""
    with _errors_to_exit(debug):
        from ketasim.result_files import check_writable, write_file
        from ketasim.validation import load_targets, run_targets, with_predictions, with_role, write_results_json
        from ketasim.validation.report import write_report

        ensemble = _ensemble(uncertainty, posterior)
        loaded = with_role(load_targets(targets), role)
        check_writable(json_out)
        identity = {"command": "validate", "input": targets.name}
        with _report_folder(report, identity, force) as staging:
            with progress_display(quiet) as bar:
                bar.stage(COMPILING, total=len(loaded.targets))
                run = run_targets(
                    loaded,
                    on_target=lambda done, target: bar.update(
                        done, f"{target.id} ({COMPILING})" if done == 0 else f"target {target.id}"
                    ),
                )
                bar.update(len(loaded.targets), "validated")
                if ensemble is not None and uncertainty is not None:
                    bar.stage(f"{uncertainty} posterior draws of every target ({COMPILING})")
                    run = with_predictions(run, loaded, ensemble.overrides(uncertainty))
            _warn(run.warnings)
            roles = run.roles()
            if not quiet:
                for name in roles:
                    _print_results(run.of_role(name), title=f"{name} targets")
            for result in run.results:
                if result.error is not None:
                    typer.echo(f"target {result.target.id} could not run: {result.error}", err=True)
            if len(roles) > 1:
                for name in roles:
                    part = run.of_role(name)
                    typer.echo(f"{name}: {part.passed} passed, {part.failed} failed, {part.errors} could not run")
            typer.echo(f"{run.passed} passed, {run.failed} failed, {run.errors} could not run")
            if run.draws is not None:
                typer.echo(
                    f"{run.covered} of {len(run.results)} predicted intervals ({run.draws} draws) cover the band"
                )
            typer.echo(f"wrote {write_file(json_out, lambda hidden: write_results_json(run, hidden))}")
            page = write_report(run, staging).name if staging is not None else None
        if report is not None and page is not None:
            typer.echo(f"wrote {report / page}")
    if run.errors:
        raise typer.Exit(1)


def _ensemble(uncertainty: int | None, posterior: Path | None) -> Posterior | None:
    """The ensemble ``--uncertainty`` draws from (``--posterior``, default: the packaged one), its draw count
    checked; None without ``--uncertainty``."""
    from ketasim.errors import InputError
    from ketasim.parameters.posterior import DEFAULT_DRAWS, interval_draws, load_posterior

    if uncertainty is None:
        if posterior is not None:
            raise InputError(
                "--posterior", "is only read with --uncertainty", f"add e.g. --uncertainty {DEFAULT_DRAWS}"
            )
        return None
    ensemble = load_posterior(posterior)
    interval_draws(ensemble, uncertainty)
    return ensemble


@app.command()
def calibrate(
    targets: Annotated[
        Path, typer.Option("--targets", help="Targets file to fit (spec/targets.md).", exists=True, dir_okay=False)
    ],
    out: Annotated[Path, typer.Option("--out", help="Parameter file to write (.yaml).", dir_okay=False)],
    parameter: Annotated[
        list[str] | None,
        typer.Option(
            "--parameter", help="A parameter to fit (repeatable; default: those the registry marks calibrated)."
        ),
    ] = None,
    patients: Annotated[int, typer.Option("--patients", min=1, help="Patients per arm in each evaluation.")] = 100,
    max_evaluations: Annotated[
        int,
        typer.Option(
            "--max-evaluations",
            min=2,
            help="Batched evaluations at most (each runs all targets for many parameter sets).",
        ),
    ] = 40,
    differences: Annotated[
        str, typer.Option("--differences", help="Finite differences of the Jacobian: forward or central.")
    ] = "forward",
    quiet: Quiet = False,
    debug: Debug = False,
) -> None:
    """Fit the parameters marked calibrated to a targets file (bounded least squares) and write a parameter file."""
    with _errors_to_exit(debug):
        from ketasim.errors import InputError
        from ketasim.inference.calibrate import calibrate as fit
        from ketasim.inference.calibrate import (
            calibrated_names,
            free_parameters,
            refuse_validation_targets,
            write_parameter_file,
        )
        from ketasim.parameters import get_parameter_set
        from ketasim.report.numbers import format_number, with_unit
        from ketasim.result_files import check_writable, write_file
        from ketasim.validation import load_targets

        if out.suffix not in (".yaml", ".yml"):
            raise InputError("--out", f"{out} is not a .yaml file", "write e.g. --out calibrated.yaml")
        check_writable(out)
        loaded = load_targets(targets)
        refuse_validation_targets(loaded)
        pset = get_parameter_set("prior")  # the fit starts from the sources' values, so it is reproducible
        names = parameter or calibrated_names(pset)
        if not names:
            raise InputError(
                "--parameter", "no parameter of the default set is marked calibrated", "name one with --parameter NAME"
            )
        free = free_parameters(pset, names)
        with progress_display(quiet) as bar:
            bar.stage(f"calibrating ({COMPILING})", total=max_evaluations)
            result = fit(
                loaded,
                pset,
                free,
                patients=patients,
                max_evaluations=max_evaluations,
                differences=differences,
                on_evaluation=lambda progress: bar.update(progress.evaluation, _describe(progress)),
            )
        before, after = format_number(result.objective_before, 4), format_number(result.objective_after, 4)
        typer.echo(
            f"objective {before} -> {after} in {result.batched_evaluations} batched evaluations "
            f"({result.evaluations} parameter sets, {_minutes(result.seconds)})"
        )
        for name, value in result.values.items():
            unit = pset.parameter(name).unit
            typer.echo(f"{name}: {format_number(pset[name], 4)} -> {with_unit(format_number(value, 4), unit)}")
        typer.echo(f"{result.run.passed} passed, {result.run.failed} failed, {result.run.errors} could not run")
        written = write_file(out, lambda hidden: write_parameter_file(result, pset, loaded, hidden, patients))
        typer.echo(f"wrote {written}")


@app.command()
def posterior(
    targets: Annotated[
        Path, typer.Option("--targets", help="Calibration targets file (spec/targets.md).", exists=True, dir_okay=False)
    ],
    out: Annotated[Path, typer.Option("--out", help="Ensemble file to write (.yaml).", dir_okay=False)],
    draws: Annotated[int, typer.Option("--draws", min=1, help="Posterior draws, a multiple of 4 (4 chains).")] = 256,
    patients: Annotated[int, typer.Option("--patients", min=1, help="Patients per arm in each evaluation.")] = 64,
    check: Annotated[
        int, typer.Option("--check", min=0, help="Draws simulated to check the surrogate against the model (0: none).")
    ] = 16,
    seed: Annotated[int, typer.Option("--seed", min=0, help="Seed of the sampler.")] = 0,
    surrogate_json: Annotated[
        Path | None,
        typer.Option(
            "--surrogate-json", help="Also write the surrogate (Jacobian, residuals, prior, how measured) as JSON."
        ),
    ] = None,
    from_surrogate: Annotated[
        Path | None,
        typer.Option(
            "--from-surrogate",
            help="Sample a surrogate saved by --surrogate-json instead of measuring the Jacobian.",
            exists=True,
            dir_okay=False,
        ),
    ] = None,
    quiet: Quiet = False,
    debug: Debug = False,
) -> None:
    """Posterior draws of the calibrated parameters given the calibration targets (Laplace-centred linearised
    likelihood, NUTS)."""
    with _errors_to_exit(debug):
        import json

        import numpy as np

        from ketasim.errors import InputError
        from ketasim.inference.calibrate import calibrated_names
        from ketasim.inference.posterior import check_request, make_posterior, posterior_document, write_posterior
        from ketasim.parameters import CALIBRATED_FILE, DEFAULT, get_parameter_set
        from ketasim.report.numbers import format_number
        from ketasim.result_files import check_writable, write_file, write_text
        from ketasim.validation import load_targets

        if out.suffix not in (".yaml", ".yml"):
            raise InputError("--out", f"{out} is not a .yaml file", "write e.g. --out posterior.yaml")
        check_writable(out)
        if surrogate_json is not None:
            check_writable(surrogate_json)
        loaded = load_targets(targets)
        prior, optimum = get_parameter_set("prior"), get_parameter_set(DEFAULT)
        names = calibrated_names(prior)
        check_request(loaded, names, draws=draws, check=check)
        with progress_display(quiet) as bar:
            result = make_posterior(
                loaded,
                prior,
                optimum,
                names,
                patients=patients,
                draws=draws,
                check=check,
                seed=seed,
                surrogate_file=from_surrogate,
                on_stage=lambda line: bar.stage(line),
            )
        ensemble = result.ensemble
        typer.echo(
            f"ESS min {format_number(float(ensemble.ess.min()), 3)}, median "
            f"{format_number(float(np.median(ensemble.ess)), 3)} of {len(ensemble.draws)} draws; r-hat max "
            f"{format_number(float(ensemble.r_hat.max()), 4)}; {ensemble.divergences} divergences"
        )
        if result.check is not None:
            predicted, real = result.check.predicted_objective, result.check.real_objective
            typer.echo(
                f"surrogate check ({len(real)} draws): objective predicted median {format_number(float(np.median(predicted)), 3)}, "
                f"real median {format_number(float(np.median(real)), 3)}"
            )
        document = posterior_document(result, optimum, loaded, CALIBRATED_FILE)
        typer.echo(f"wrote {write_file(out, lambda hidden: write_posterior(document, hidden))}")
        if surrogate_json is not None:
            text = json.dumps(result.measured.to_json(), indent=1) + "\n"
            typer.echo(f"wrote {write_text(surrogate_json, text)}")


def _describe(progress: Any) -> str:
    """What one batched evaluation of a calibration found, for its progress line."""
    from ketasim.report.numbers import format_number

    return (
        f"evaluation {progress.evaluation}/{progress.budget} ({progress.sets} sets): objective "
        f"{format_number(progress.objective, 4)}, {progress.in_band}/{progress.targets} targets in band, "
        f"{_minutes(progress.seconds)}"
    )


@app.command()
def sensitivity(
    protocol: ProtocolPath,
    endpoint: Annotated[str, typer.Option("--endpoint", help="The protocol's endpoint to analyse.")],
    json_out: Annotated[Path, typer.Option("--json", help="Where to write the indices (JSON).", dir_okay=False)],
    arm: Annotated[str | None, typer.Option("--arm", help="The arm (default: the first).")] = None,
    control: Annotated[
        str | None, typer.Option("--control", help="An arm to subtract: analyse the arm-minus-control difference.")
    ] = None,
    parameter: Annotated[
        list[str] | None,
        typer.Option(
            "--parameter",
            "--parameters",
            help="A parameter to vary (repeatable; default: those the registry marks calibrated).",
        ),
    ] = None,
    samples: Annotated[int, typer.Option("--samples", min=2, help="Base samples N, a power of 2.")] = 64,
    patients: Annotated[int, typer.Option("--patients", min=1, help="Patients per arm at each point.")] = 32,
    seed: Annotated[int, typer.Option("--seed", help="Seed of the Sobol' sequence and the bootstrap.")] = 0,
    report: Annotated[
        Path | None, typer.Option("--report", help="Folder for an HTML report with a tornado chart.")
    ] = None,
    force: Force = False,
    quiet: Quiet = False,
    debug: Debug = False,
) -> None:
    """Sobol first- and total-order indices of one endpoint over parameter ranges set by their confidence."""
    with _errors_to_exit(debug):
        import json

        from ketasim.inference.sensitivity import sensitivity as analyse
        from ketasim.inference.sensitivity import sensitivity_problem
        from ketasim.inference.sensitivity_report import write_sensitivity_report
        from ketasim.report.numbers import format_number
        from ketasim.result_files import check_writable, write_text

        problem = sensitivity_problem(
            protocol, endpoint, arm=arm, control=control, names=parameter or (), samples=samples
        )
        check_writable(json_out)
        identity = {"command": "sensitivity", "input": protocol.name}
        with _report_folder(report, identity, force) as staging:
            with progress_display(quiet) as bar:
                bar.stage(f"sensitivity, {problem.points} points ({COMPILING})")
                result = analyse(
                    problem,
                    patients=patients,
                    seed=seed,
                    on_progress=lambda done, total, seconds: bar.update(
                        done, f"sensitivity: {done}/{total} points, {_minutes(seconds)}"
                    ),
                )
            for index in result.indices[:10]:
                low, high = (format_number(x, 3) for x in index.total_ci95)
                typer.echo(
                    f"{index.parameter.name}: ST {format_number(index.total, 3)} ({low} to {high}), "
                    f"S1 {format_number(index.first, 3)}"
                )
            document = json.dumps(result.to_json(), indent=2, allow_nan=False) + "\n"
            typer.echo(f"wrote {write_text(json_out, document)}")
            page = write_sensitivity_report(result, staging).name if staging is not None else None
        if report is not None and page is not None:
            typer.echo(f"wrote {report / page}")


def _minutes(seconds: float) -> str:
    whole = round(seconds)
    return f"{whole // 60}:{whole % 60:02d}"


def _print_results(run: Any, title: str) -> None:
    from ketasim.report.numbers import format_interval, format_number
    from ketasim.report.terminal import Column

    rows = []
    for result in run.results:
        verdict = "error" if result.error is not None else ("pass" if result.passed else "fail")
        simulated = format_number(result.simulated, 4)
        expected = format_number(result.target.expected, 4)
        low, high = result.target.band
        rows.append([result.target.id, simulated, expected, format_interval(low, high, digits=4), verdict])
    columns = [Column("target"), Column("simulated", numeric=True), Column("expected", numeric=True)]
    _print_table([*columns, Column("band", numeric=True), Column("result")], rows, title=title)


@app.command()
def params(
    set_name: Annotated[str, typer.Option("--set", help="Name of the parameter set.")] = "default",
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON (set, description, parameters) instead.")] = False,
    as_csv: Annotated[bool, typer.Option("--csv", help="Print CSV (one row per parameter) instead.")] = False,
    debug: Debug = False,
) -> None:
    """Print the parameter registry: value, unit, source and confidence of every parameter."""
    with _errors_to_exit(debug):
        from ketasim.errors import InputError
        from ketasim.parameters import get_parameter_set
        from ketasim.report.numbers import format_number
        from ketasim.report.terminal import Column

        if as_json and as_csv:
            raise InputError("--json/--csv", "both output formats given", "choose one of --json and --csv")
        pset = get_parameter_set(set_name)
        records = [pset.parameter(name) for name in sorted(pset.parameters)]
        if as_json or as_csv:
            typer.echo(_parameters_json(pset, records) if as_json else _parameters_csv(records), nl=False)
            return
        columns = [Column("parameter"), Column("value", numeric=True), Column("unit")]
        columns += [Column("source", beneath=True), Column("confidence", beneath=True)]
        rows = [[p.name, format_number(p.value, 4), p.unit, p.source, p.confidence] for p in records]
        _print_table(columns, rows, title=f"parameter set {pset.name!r}: {pset.description}")


PARAMETER_FIELDS = ("name", "value", "unit", "source", "confidence", "note")


def _parameters_json(pset: Any, records: list[Any]) -> str:
    import json

    listed = [{field: getattr(p, field) for field in PARAMETER_FIELDS} for p in records]
    document = {"set": pset.name, "description": pset.description, "parameters": listed}
    return json.dumps(document, indent=1, ensure_ascii=False) + "\n"


def _parameters_csv(records: list[Any]) -> str:
    import csv
    import io

    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(PARAMETER_FIELDS)
    writer.writerows(
        [repr(p.value) if field == "value" else getattr(p, field) for field in PARAMETER_FIELDS] for p in records
    )
    return buffer.getvalue()


@app.command()
def cite(
    protocol: ProtocolPath,
    bibtex: Annotated[bool, typer.Option("--bibtex", help="Print BibTeX entries instead of one line each.")] = False,
    debug: Debug = False,
) -> None:
    """Print the references behind everything the protocol uses."""
    with _errors_to_exit(debug):
        from ketasim.parameters import get_parameter_set
        from ketasim.protocol import load_protocol

        loaded = load_protocol(protocol)
        _warn(loaded.warnings)
        references = get_parameter_set(loaded.population.parameter_set).cited()
        if bibtex:
            from ketasim.report.bibtex import bibtex_entries

            typer.echo(bibtex_entries(references), nl=False)
            return
        from ketasim.parameters.listing import format_citations

        typer.echo(format_citations(references))


@app.command("examples")
def list_or_copy_examples(
    names: Annotated[
        list[str] | None, typer.Argument(help="Examples to copy (default with --out: all of them).", show_default=False)
    ] = None,
    out: Annotated[
        Path | None, typer.Option("--out", help="Folder to copy the examples into.", file_okay=False)
    ] = None,
    debug: Debug = False,
) -> None:
    """List the example protocols that come with ketasim, or copy some or all of them into a folder."""
    with _errors_to_exit(debug):
        from ketasim.errors import InputError
        from ketasim.io.examples import copy_examples, examples

        if out is None:
            if names:
                raise InputError("--out", "no folder to copy the examples into", "add e.g. --out my-examples")
            from rich.console import Console
            from rich.table import Table
            from rich.text import Text

            table = Table("example", "what it is", box=None, pad_edge=False)
            table.columns[0].no_wrap = True  # names whole; the descriptions wrap between words
            for example in examples():
                table.add_row(Text(example.name), Text(example.title))
            Console().print(table)
            typer.echo("copy one with: ketasim examples NAME --out DIR (all of them: ketasim examples --out DIR)")
            return
        for path in copy_examples(names or [], out):
            typer.echo(f"wrote {path}")


@app.command()
def serve(
    host: Annotated[str, typer.Option("--host", help="Address to listen on (127.0.0.1: this computer only).")] = (
        "127.0.0.1"
    ),
    port: Annotated[int, typer.Option("--port", min=1, max=65535, help="Port to listen on.")] = 8050,
    time_limit: Annotated[
        float | None,
        typer.Option("--time-limit", min=1, help="Seconds after which a run is stopped (default 120)."),
    ] = None,
    debug: Debug = False,
) -> None:
    """Start the browser explorer: build a protocol, run it, and see each stage from dose to symptoms."""
    with _errors_to_exit(debug):
        try:
            from ketasim.web import serve as serve_explorer
            from ketasim.web.app import check_address
        except ImportError as missing:
            from ketasim.errors import UnsupportedError

            raise UnsupportedError(
                f"the explorer needs {missing.name or 'dash'}, which is not installed (pip install 'ketasim[web]')"
            ) from None
        check_address(host, port)
        typer.echo(f"ketasim explorer on http://{host}:{port}/ (Ctrl+C stops it)")
        if time_limit is None:
            serve_explorer(host=host, port=port)
        else:
            serve_explorer(host=host, port=port, run_time_limit_s=time_limit)


export_app = typer.Typer(
    help="Export the model in exchange formats.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
app.add_typer(export_app, name="export")


@export_app.command("sbml")
def export_sbml(
    protocol: ProtocolPath,
    out: Annotated[Path, typer.Option("--out", help="SBML file to write (.xml or .sbml).", dir_okay=False)],
    arm: Annotated[str | None, typer.Option("--arm", help="Arm to export (default: the first).")] = None,
    debug: Debug = False,
) -> None:
    """Write the full model of the typical patient of one arm (default: the first), with its doses and sessions, as
    SBML."""
    with _errors_to_exit(debug):
        from ketasim.errors import InputError
        from ketasim.io.sbml import write_sbml
        from ketasim.protocol import load_protocol
        from ketasim.result_files import write_file

        loaded = load_protocol(protocol)
        _warn(loaded.warnings)
        names = [a.name for a in loaded.arms]
        if arm is not None and arm not in names:
            raise InputError("--arm", f"the protocol has no arm {arm!r}", f"choose one of {', '.join(names)}")
        index = names.index(arm) if arm is not None else 0
        typer.echo(f"wrote {write_file(out, lambda hidden: write_sbml(loaded, hidden, index))}")


@app.command()
def forecast(
    history: Annotated[
        Path,
        typer.Argument(
            help="Patient history (CSV or JSON), or a NONMEM-style event table (CSV with ID, TIME, EVID/MDV, ...).",
            exists=True,
            dir_okay=False,
            readable=True,
        ),
    ],
    until: Annotated[str, typer.Option("--until", help='Forecast horizon from the first treatment, e.g. "12 w".')],
    json_out: Annotated[Path, typer.Option("--json", help="Where to write the forecast JSON.", dir_okay=False)],
    patient: Annotated[
        list[str] | None,
        typer.Option(
            "--patient", help="Patient facts file (YAML or JSON) and/or key=value facts, e.g. --patient weight=80kg."
        ),
    ] = None,
    plan: Annotated[
        Path | None,
        typer.Option("--plan", help="Planned treatments: a one-arm protocol file.", exists=True, dir_okay=False),
    ] = None,
    cmt: Annotated[
        list[str] | None,
        typer.Option(
            "--cmt",
            help="For a NONMEM-style event table: what a CMT number means (repeatable), e.g. --cmt 1=ketamine:iv "
            "(doses), --cmt 3=madrs (scores in DV), --cmt 5=integration (sessions), --cmt 2=skip.",
        ),
    ] = None,
    patient_id: Annotated[
        str | None, typer.Option("--id", help="For an event table with several patients: the ID to forecast.")
    ] = None,
    report: Annotated[Path | None, typer.Option("--report", help="Folder for the patient report page.")] = None,
    scale: Annotated[str | None, typer.Option("--scale", help="Scale to forecast (default: the most recorded).")] = (
        None
    ),
    sampler: Annotated[str, typer.Option("--sampler", help="smc (default) or nuts.")] = "smc",
    seed: Annotated[int, typer.Option("--seed", help="Seed of the sampler and the rater noise.")] = 0,
    force: Force = False,
    quiet: Quiet = False,
    debug: Debug = False,
) -> None:
    """Forecast one patient from their history: score band, relapse probability and suggested next dose."""
    with _errors_to_exit(debug):
        import dataclasses
        import json

        from ketasim.inference.forecast import forecast as forecast_patient
        from ketasim.inference.forecast_report import write_forecast_report
        from ketasim.inference.samplers import DEFAULT_SETTINGS
        from ketasim.protocol import load_protocol
        from ketasim.protocol.event_table import parse_compartments, read_patient_history
        from ketasim.protocol.history import HistoryError, read_facts
        from ketasim.result_files import check_writable, write_text
        from ketasim.units import parse_quantity

        _check_seed(seed)
        until_h = parse_quantity(until, "time", "--until", HistoryError)
        pairs = [item for item in patient or [] if "=" in item]
        files = [item for item in patient or [] if "=" not in item]
        if len(files) > 1:
            raise HistoryError("--patient", f"{len(files)} facts files given", "give one file and key=value pairs")
        facts = read_facts(files[0] if files else None, pairs)
        loaded = read_patient_history(history, parse_compartments(cmt or []), patient_id)
        planned = load_protocol(plan) if plan is not None else None
        settings = dataclasses.replace(DEFAULT_SETTINGS, method=sampler, seed=seed)
        check_writable(json_out)
        with _report_folder(report, {"command": "forecast", "input": loaded.patient}, force) as staging:
            with progress_display(quiet) as bar:
                result = forecast_patient(
                    loaded,
                    facts,
                    until_h,
                    plan=planned,
                    scale=scale,
                    settings=settings,
                    on_start=lambda: bar.stage(f"fitting and forecasting ({COMPILING})"),
                )
            _warn(result.warnings)
            write_text(json_out, json.dumps(result.to_json(), indent=1) + "\n")
            d = result.diagnostics
            typer.echo(
                f"{d.method}: r-hat {d.r_hat_max:.3f}, ESS {d.ess_min:.0f}, {d.seconds:.1f} s; "
                f"suggested next dose: {_hours_text(result.suggested_next_dose_h)}"
            )
            typer.echo(f"wrote {json_out}")
            page = write_forecast_report(result, staging).name if staging is not None else None
        if report is not None and page is not None:
            typer.echo(f"wrote {report / page}")


def _hours_text(hours: float | None) -> str:
    if hours is None:
        return "none needed before the horizon"
    return f"by {hours:.0f} h (day {hours / 24:.1f})"


def hide_dask_outside_its_commands(arguments: Sequence[str]) -> None:
    """Unless the command (the first word of ``arguments`` that is not an option) is in `DASK_COMMANDS`, make
    Dask unimportable in this process, as on an install without it."""
    if next((word for word in arguments if not word.startswith("-")), None) not in DASK_COMMANDS:
        sys.modules["dask"] = None  # type: ignore[assignment]  # Python's mark of a module that cannot be imported


def entry_point() -> None:
    """The ``ketasim`` command: `app`, then an immediate exit with its status (see the module docstring)."""
    hide_dask_outside_its_commands(sys.argv[1:])
    try:
        app()
        status = 0
    except SystemExit as exc:
        status = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
        if isinstance(exc.code, str):
            print(exc.code, file=sys.stderr)
    for stream in (sys.stdout, sys.stderr):
        with suppress(OSError):  # a closed pipe: nothing more can reach it
            stream.flush()
    os._exit(status)


if __name__ == "__main__":
    entry_point()

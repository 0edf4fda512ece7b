"""Default mode network as a linear stochastic (Ornstein-Uhlenbeck) region network.

Nine regions fluctuate around rest, dx = A x dt + B dW, with drift A = (-damping + W) / tau and diagonal
noise D = B Bᵀ. The stationary covariance S solves the continuous Lyapunov equation A S + S Aᵀ + D = 0 and
functional connectivity (FC) is the correlation matrix of S, so no time series is simulated.

Two scalar controls per patient shape A:

* ``dmn_gain`` (g): the loop gain of the within-DMN couplings (the spectral radius of their weight matrix).
  Depression raises it; NMDA receptor blockade lowers it while the drug is on board.
* ``prefrontal_control`` (c): dlPFC top-down regulation of the DMN, modelled as control-gated local inhibition
  that adds c to the damping of every DMN region (fluctuations die out faster and are less shared). It falls
  with depression and rises for days with prefrontal spine restoration.

FC (PCC-mPFC Fisher z) and a rumination index (0 = healthy, 1 = typical TRD; the model reads it through a smooth
floor at 0, since rumination cannot fall below none) are fitted once per parameter set by a smooth closed form over
(g, c) (a tensor Chebyshev series in the distance to instability and c, `tabulate`), rewritten as polynomials in
powers of the scaled controls and evaluated by Horner's rule in the engine (`surrogate`) and in the SBML export. Full FC matrices at chosen
times come from an exact solve (`fc_matrix`).
See docs/network.md for the equations, sources and calibration.

References
----------
Gilson M et al. (2016) PLoS Comput Biol, doi:10.1371/journal.pcbi.1004762 (Ornstein-Uhlenbeck network, Lyapunov FC).
Scheidegger M et al. (2012) PLoS One 7:e44799, doi:10.1371/journal.pone.0044799.
Evans JW et al. (2018) Biol Psychiatry 84:582, doi:10.1016/j.biopsych.2018.01.027.
Kaiser RH et al. (2015) JAMA Psychiatry 72:603, doi:10.1001/jamapsychiatry.2015.0071.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, NamedTuple

import jax.numpy as jnp
import numpy as np
import scipy.linalg

from ketasim.errors import ParameterError
from ketasim.models.math import ARRAYS, HOST, Math, Value, clip, soft_floor
from ketasim.models.stage import Quantity, Stage, Values
from ketasim.parameters.registry import ParameterSet

if TYPE_CHECKING:
    import jax
    import plotly.graph_objects as go

REGIONS: tuple[str, ...] = (
    "PCC",
    "mPFC",
    "dmPFC",
    "sgACC",
    "hippocampus",
    "angular_gyrus_left",
    "angular_gyrus_right",
    "insula",
    "dlPFC",
)
"""Region order of every matrix in this module."""

DMN_REGIONS: tuple[str, ...] = REGIONS[:7]
"""Regions whose mutual couplings scale with ``dmn_gain`` and whose damping rises with ``prefrontal_control``."""

RUMINATION_REGIONS: tuple[str, ...] = ("PCC", "mPFC", "dmPFC", "sgACC", "hippocampus")
DEGREE = (6, 6)
"""Degree of the surrogate's Chebyshev series in u and in the prefrontal control."""
"""Regions whose mean pairwise FC defines the rumination index."""

_INDEX = {name: i for i, name in enumerate(REGIONS)}
_PCC, _MPFC = _INDEX["PCC"], _INDEX["mPFC"]
_FIRST, _SECOND = np.triu_indices(len(RUMINATION_REGIONS), k=1)
_RUMINATION_ROWS = np.array([_INDEX[r] for r in RUMINATION_REGIONS])[_FIRST]
_RUMINATION_COLS = np.array([_INDEX[r] for r in RUMINATION_REGIONS])[_SECOND]


class NetworkTable(NamedTuple):
    """The network's two readouts over the controls: a smooth surrogate for `lookup` and the exact values on a grid.

    The surrogate is a tensor Chebyshev series in
    u = log(1 − g / (1 + c)) (the log distance of the DMN loop gain from the instability at g = 1 + c) and c,
    fitted by interpolation at Chebyshev nodes over the rectangle the grid spans.

    Attributes
    ----------
    dmn_gain
        Grid of ``dmn_gain``, shape (m,), uniform spacing; its ends bound the surrogate (controls are clamped).
    prefrontal_control
        Grid of ``prefrontal_control``, shape (k,), uniform spacing; its ends bound the surrogate.
    fc_z
        Exact PCC-mPFC Fisher z at every grid point, shape (m, k) (for checks and plots; `lookup` does not read it).
    rumination
        Exact rumination index at every grid point, shape (m, k); 0 = healthy, 1 = typical TRD.
    fc_z_coefficients
        Chebyshev coefficients of the PCC-mPFC Fisher z surrogate, shape (degree_u + 1, degree_c + 1).
    rumination_coefficients
        Chebyshev coefficients of the rumination index surrogate, same shape.
    """

    dmn_gain: np.ndarray
    prefrontal_control: np.ndarray
    fc_z: np.ndarray
    rumination: np.ndarray
    fc_z_coefficients: np.ndarray
    rumination_coefficients: np.ndarray


def dmn_template(p: ParameterSet) -> np.ndarray:
    """Symmetric within-DMN weight matrix over `REGIONS`, scaled to spectral radius 1 (so ``dmn_gain`` is the loop gain).

    Core pairs (PCC, mPFC, both angular gyri) weigh 1; dmPFC, hippocampus and sgACC links weigh the ratios
    ``dmn_dmpfc_coupling_ratio``, ``dmn_hippocampus_coupling_ratio`` and ``dmn_sgacc_coupling_ratio``.
    """
    weights = np.zeros((len(REGIONS), len(REGIONS)))

    def link(partner: str, others: tuple[str, ...], weight: float) -> None:
        for other in others:
            weights[_INDEX[partner], _INDEX[other]] = weights[_INDEX[other], _INDEX[partner]] = weight

    core = ("PCC", "mPFC", "angular_gyrus_left", "angular_gyrus_right")
    for i, a in enumerate(core):
        link(a, core[i + 1 :], 1.0)
    link("dmPFC", ("PCC", "mPFC"), p["dmn_dmpfc_coupling_ratio"])
    link("hippocampus", core, p["dmn_hippocampus_coupling_ratio"])
    link("sgACC", ("PCC", "mPFC", "dmPFC", "hippocampus"), p["dmn_sgacc_coupling_ratio"])
    return weights / np.max(np.linalg.eigvalsh(weights))


def drift_matrix(dmn_gain: np.ndarray | float, prefrontal_control: np.ndarray | float, p: ParameterSet) -> np.ndarray:
    """Drift matrix A (per second) for controls of any broadcastable shape; result shape (..., 9, 9).

    A = (W - diag(1 + c·[region in DMN])) / tau, where W = g·template + fixed salience and control links:
    insula <-> sgACC and dmPFC and insula -> dlPFC (``salience_coupling``), dlPFC -> PCC, mPFC, dmPFC and sgACC
    (``control_direct_inhibition``, negative: the resting anticorrelation of control and default networks).
    """
    g = np.asarray(dmn_gain, dtype=float)[..., None, None]
    c = np.asarray(prefrontal_control, dtype=float)[..., None, None]
    fixed = np.zeros((len(REGIONS), len(REGIONS)))
    salience = p["salience_coupling"]
    for target in ("sgACC", "dmPFC"):
        fixed[_INDEX["insula"], _INDEX[target]] = fixed[_INDEX[target], _INDEX["insula"]] = salience
    fixed[_INDEX["dlPFC"], _INDEX["insula"]] = salience
    for target in ("PCC", "mPFC", "dmPFC", "sgACC"):
        fixed[_INDEX[target], _INDEX["dlPFC"]] = -p["control_direct_inhibition"]
    in_dmn = np.array([r in DMN_REGIONS for r in REGIONS], dtype=float)
    damping = np.eye(len(REGIONS)) * (1.0 + c * in_dmn)
    return (g * dmn_template(p) + fixed - damping) / p["network_time_constant_s"]


def noise_matrix(p: ParameterSet) -> np.ndarray:
    """Diagonal noise intensity D (per second): 2/tau, so an uncoupled region has unit variance."""
    return np.eye(len(REGIONS)) * 2.0 / p["network_time_constant_s"]


def stationary_covariance(drift: np.ndarray, noise: np.ndarray) -> np.ndarray:
    """Solve A S + S Aᵀ + D = 0 for a batch of drift matrices (..., n, n), vectorised over the batch.

    With A = V Λ V⁻¹, S = V X Vᴴ where X_ij = -(V⁻¹ D V⁻ᴴ)_ij / (λ_i + conj(λ_j)). The rare nearly defective A
    (eigenvector condition number above 1e8) is solved by Bartels-Stewart (scipy) instead.
    Raises `ParameterError` if any A has an eigenvalue with non-negative real part (no stationary state).
    """
    n = drift.shape[-1]
    batch = drift.reshape(-1, n, n)
    eigenvalues, vectors = np.linalg.eig(batch)
    worst = float(np.max(eigenvalues.real))
    if worst >= 0.0:
        raise ParameterError(
            f"network drift matrix is unstable (largest eigenvalue real part {worst:.3g} per s); "
            "lower dmn_gain or the network coupling parameters"
        )
    inverse = np.linalg.inv(vectors)
    projected = inverse @ noise @ np.conj(np.swapaxes(inverse, -1, -2))
    inner = -projected / (eigenvalues[:, :, None] + np.conj(eigenvalues[:, None, :]))
    covariance = (vectors @ inner @ np.conj(np.swapaxes(vectors, -1, -2))).real
    for k in np.flatnonzero(np.linalg.cond(vectors) > 1e8):
        covariance[k] = scipy.linalg.solve_continuous_lyapunov(batch[k], -noise)
    covariance = covariance.reshape(drift.shape)
    return 0.5 * (covariance + np.swapaxes(covariance, -1, -2))


def correlation(covariance: np.ndarray) -> np.ndarray:
    """Correlation matrices from covariance matrices of shape (..., n, n)."""
    sd = np.sqrt(np.diagonal(covariance, axis1=-2, axis2=-1))
    return covariance / (sd[..., :, None] * sd[..., None, :])


def fc_matrix(
    dmn_gain: np.ndarray | float, prefrontal_control: np.ndarray | float, p: ParameterSet
) -> tuple[tuple[str, ...], np.ndarray]:
    """Exact FC (correlation) matrices for the given controls: (`REGIONS`, array of shape (..., 9, 9))."""
    covariance = stationary_covariance(drift_matrix(dmn_gain, prefrontal_control, p), noise_matrix(p))
    return REGIONS, correlation(covariance)


def readouts(fc: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """PCC-mPFC Fisher z and mean Fisher z over the `RUMINATION_REGIONS` pairs, from FC matrices (..., 9, 9)."""
    core = fc[..., _RUMINATION_ROWS, _RUMINATION_COLS]
    return np.arctanh(fc[..., _PCC, _MPFC]), np.arctanh(core).mean(axis=-1)


def controls(
    m: Math, occupancy: Value, spine_density_change_pct: Value, severity: Value, v: Values
) -> tuple[Value, Value]:
    """Map per-patient mechanism states to the two network controls (smooth; arrays broadcast).

    dmn_gain = dmn_gain_healthy · exp(dmn_gain_log_increase_per_severity · severity)
               · (1 − dmn_gain_reduction_per_occupancy · occupancy);
    prefrontal_control = prefrontal_control_healthy · exp(−prefrontal_control_log_decrease_per_severity · severity
               + prefrontal_control_log_increase_per_spine_pct · spine_density_change_pct).

    Parameters
    ----------
    m
        How to evaluate (`ketasim.models.math`).
    occupancy
        Cortical NMDA receptor occupancy, 0-1.
    spine_density_change_pct
        Prefrontal spine density change from the patient's own baseline, %.
    severity
        Depression severity on the project's 0-1 scale (0 = healthy; typical TRD is ``typical_severity_trd``).
    v
        The ``network`` parameters by name (a parameter set works).
    """
    gain = (
        v["dmn_gain_healthy"]
        * m.exp(v["dmn_gain_log_increase_per_severity"] * severity)
        * (1.0 - v["dmn_gain_reduction_per_occupancy"] * occupancy)
    )
    control = v["prefrontal_control_healthy"] * m.exp(
        -v["prefrontal_control_log_decrease_per_severity"] * severity
        + v["prefrontal_control_log_increase_per_spine_pct"] * spine_density_change_pct
    )
    return gain, control


def reference_rumination(p: ParameterSet) -> tuple[float, float]:
    """Mean core Fisher z of the untreated healthy person and typical TRD patient.

    Needs ``typical_severity_trd`` (mechanism set) besides the ``network`` parameters, i.e. the merged set.
    """
    gain, control = controls(HOST, np.zeros(2), np.zeros(2), np.array([0.0, p["typical_severity_trd"]]), p)
    _, fc = fc_matrix(gain, control, p)
    _, core = readouts(fc)
    return float(core[0]), float(core[1])


def rumination_index(mean_core_z: np.ndarray, p: ParameterSet) -> np.ndarray:
    """Rescale the mean core Fisher z so the healthy person reads 0 and the typical TRD patient reads 1."""
    healthy, trd = reference_rumination(p)
    if not trd > healthy:
        raise ParameterError(
            "depression must raise within-DMN connectivity for the rumination index to be defined; "
            "check dmn_gain_log_increase_per_severity and prefrontal_control_log_decrease_per_severity"
        )
    return (np.asarray(mean_core_z) - healthy) / (trd - healthy)


def tabulate(
    p: ParameterSet,
    dmn_gain_range: tuple[float, float] = (0.3, 0.92),
    prefrontal_control_range: tuple[float, float] = (0.0, 1.5),
    points: tuple[int, int] = (32, 31),
    degree: tuple[int, int] = DEGREE,
) -> NetworkTable:
    """Fit the `NetworkTable` surrogate of a parameter set and solve the network exactly on a grid of the controls.

    The surrogate interpolates exact solves at (degree_u + 1) × (degree_c + 1) Chebyshev nodes of
    (u = log(1 − g / (1 + c)), c) over the rectangle spanned by the control ranges; with the default parameters and
    degree it is within 1e-5 Fisher z and 1e-4 rumination units of the exact solve everywhere in the ranges (see
    docs/network.md). With the default parameters the ranges cover the whole severity scale, full NMDA blockade
    and spine gains up to about +40 % (healthy) or +47 % (typical TRD); `lookup` clamps controls outside them.
    ``points`` sets the grid of exact values kept for checks and plots.
    Raises `ParameterError` if the network is unstable at any node or grid point.
    """
    gains = np.linspace(*dmn_gain_range, points[0])
    controls_grid = np.linspace(*prefrontal_control_range, points[1])
    _, fc = fc_matrix(gains[:, None], controls_grid[None, :], p)
    fc_z, core = readouts(fc)
    u_range = tuple(float(end) for end in _u_range(dmn_gain_range, prefrontal_control_range))
    u_nodes, c_nodes = _chebyshev_nodes(degree[0]), _chebyshev_nodes(degree[1])
    u = _from_unit(u_nodes, (u_range[0], u_range[1]))[:, None]
    c = _from_unit(c_nodes, prefrontal_control_range)[None, :]
    _, node_fc = fc_matrix((1.0 - np.exp(u)) * (1.0 + c), np.broadcast_to(c, (u.size, c.size)), p)
    node_z, node_core = readouts(node_fc)
    vandermonde = np.polynomial.chebyshev.chebvander2d(
        np.repeat(u_nodes, c_nodes.size), np.tile(c_nodes, u_nodes.size), degree
    )
    shape = (degree[0] + 1, degree[1] + 1)
    z_coefficients = np.linalg.solve(vandermonde, node_z.ravel()).reshape(shape)
    rumination_coefficients = np.linalg.solve(vandermonde, rumination_index(node_core, p).ravel()).reshape(shape)
    return NetworkTable(gains, controls_grid, fc_z, rumination_index(core, p), z_coefficients, rumination_coefficients)


def table_parameters(table: NetworkTable) -> dict[str, float]:
    """The surrogate of a `NetworkTable` as named parameters: the ends of its control ranges and the coefficients
    of its polynomials in powers of the scaled controls (the Chebyshev series of the fit, rewritten exactly)."""
    values = {
        "dmn_gain_lowest": float(table.dmn_gain[0]),
        "dmn_gain_highest": float(table.dmn_gain[-1]),
        "prefrontal_control_lowest": float(table.prefrontal_control[0]),
        "prefrontal_control_highest": float(table.prefrontal_control[-1]),
    }
    for output, chebyshev in (
        ("dmn_connectivity", table.fc_z_coefficients),
        ("rumination", table.rumination_coefficients),
    ):
        coefficients = np.asarray(chebyshev)
        to_x, to_y = _powers(coefficients.shape[0]), _powers(coefficients.shape[1])
        monomial = to_x.T @ coefficients @ to_y
        for i in range(monomial.shape[0]):
            for j in range(monomial.shape[1]):
                values[coefficient_name(output, i, j)] = float(monomial[i, j])
    return values


def _powers(size: int) -> np.ndarray:
    """(size, size) matrix whose row i holds the coefficients of Tᵢ in powers of its argument."""
    matrix = np.zeros((size, size))
    for i in range(size):
        powers = np.polynomial.chebyshev.cheb2poly(np.eye(size)[i])
        matrix[i, : len(powers)] = powers
    return matrix


def coefficient_name(output: str, i: int, j: int) -> str:
    """Name of the surrogate coefficient of xⁱ yʲ for ``output`` (``dmn_connectivity`` or ``rumination``)."""
    return f"{output}_coefficient_{i}_{j}"


def surrogate(
    m: Math, dmn_gain: Value, prefrontal_control: Value, v: Values, degree: tuple[int, int] = DEGREE
) -> dict[str, Value]:
    """The surrogate's quantities: its two scaled arguments, the PCC-mPFC Fisher z and the rumination index.

    Reads the parameters `table_parameters` names. The controls are clamped to the table's ranges and scaled to
    x (from the log distance of the DMN from instability, u = log(1 − g / (1 + c))) and y (from c), each in
    [-1, 1]; each output is a polynomial in x and y evaluated by Horner's rule. Pure arithmetic: jit-able,
    differentiable, vectorised, and written as closed-form formulas in the SBML export.
    """
    gain_low, gain_high = v["dmn_gain_lowest"], v["dmn_gain_highest"]
    control_low, control_high = v["prefrontal_control_lowest"], v["prefrontal_control_highest"]
    gain = clip(m, dmn_gain, gain_low, gain_high)
    control = clip(m, prefrontal_control, control_low, control_high)
    u = m.log1p(-gain / (1.0 + control))
    u_low, u_high = m.log1p(-gain_high / (1.0 + control_low)), m.log1p(-gain_low / (1.0 + control_high))
    out: dict[str, Value] = {
        "surrogate_x": 2.0 * (u - u_low) / (u_high - u_low) - 1.0,
        "surrogate_y": 2.0 * (control - control_low) / (control_high - control_low) - 1.0,
    }
    x, y = m.named(out, "surrogate_x"), m.named(out, "surrogate_y")
    for output in ("dmn_connectivity", "rumination"):
        rows = [
            _horner(y, [v[coefficient_name(output, i, j)] for j in range(degree[1] + 1)]) for i in range(degree[0] + 1)
        ]
        out[output] = _horner(x, rows)
    return out


def _horner(argument: Value, coefficients: list[Value]) -> Value:
    """Σₖ coefficients[k] · argumentᵏ by Horner's rule."""
    result = coefficients[-1]
    for coefficient in reversed(coefficients[:-1]):
        result = result * argument + coefficient
    return result


def lookup(table: NetworkTable, dmn_gain: Any, prefrontal_control: Any) -> tuple[jax.Array, jax.Array]:
    """(PCC-mPFC Fisher z, rumination index) from a table's surrogate, for controls of any broadcastable shape."""
    degree = (table.fc_z_coefficients.shape[0] - 1, table.fc_z_coefficients.shape[1] - 1)
    gain, control = jnp.broadcast_arrays(
        jnp.asarray(dmn_gain, dtype=float), jnp.asarray(prefrontal_control, dtype=float)
    )
    values = surrogate(ARRAYS, gain, control, table_parameters(table), degree)
    return values["dmn_connectivity"], values["rumination"]


def _u_range(gain_range: tuple[Any, Any], control_range: tuple[Any, Any]) -> tuple[Any, Any]:
    """Range of u = log(1 − g / (1 + c)) over the rectangle of controls (u falls with g and rises with c)."""
    return (
        np.log1p(-gain_range[1] / (1.0 + control_range[0])),
        np.log1p(-gain_range[0] / (1.0 + control_range[1])),
    )


def _chebyshev_nodes(degree: int) -> np.ndarray:
    """The degree + 1 Chebyshev points of the first kind on [-1, 1]."""
    return np.cos(np.pi * (np.arange(degree + 1) + 0.5) / (degree + 1))


def _from_unit(x: np.ndarray, bounds: tuple[float, float]) -> np.ndarray:
    return bounds[0] + (x + 1.0) / 2.0 * (bounds[1] - bounds[0])


def fc_heatmap(matrix: np.ndarray, regions: tuple[str, ...] | list[str], title: str) -> go.Figure:
    """A plotly heatmap of one FC matrix (correlations, diverging colour scale fixed to [-1, 1])."""
    import plotly.graph_objects as go

    labels = list(regions)
    figure = go.Figure(
        go.Heatmap(
            z=np.asarray(matrix),
            x=labels,
            y=labels,
            zmin=-1.0,
            zmax=1.0,
            colorscale="RdBu_r",
            colorbar={"title": "correlation"},
            hovertemplate="%{y} - %{x}: %{z:.2f}<extra></extra>",
        )
    )
    figure.update_layout(title=title, yaxis={"autorange": "reversed"}, width=640, height=560)
    return figure


CONTROL_PARAMETERS: tuple[str, ...] = (
    "dmn_gain_healthy",
    "dmn_gain_log_increase_per_severity",
    "dmn_gain_reduction_per_occupancy",
    "prefrontal_control_healthy",
    "prefrontal_control_log_decrease_per_severity",
    "prefrontal_control_log_increase_per_spine_pct",
)
NETWORK_PARAMETERS: tuple[str, ...] = (
    "network_time_constant_s",
    "dmn_dmpfc_coupling_ratio",
    "dmn_hippocampus_coupling_ratio",
    "dmn_sgacc_coupling_ratio",
    "salience_coupling",
    "control_direct_inhibition",
    *CONTROL_PARAMETERS,
    "typical_severity_trd",
)
"""Every parameter the tabulated network depends on."""
_TABLES: dict[tuple[float, ...], NetworkTable] = {}


def clear_tables() -> None:
    """Forget the tabulated networks (each is solved again when next needed)."""
    _TABLES.clear()


def network_table(pset: ParameterSet) -> NetworkTable:
    """The tabulated network of a parameter set, solved once per distinct set of network parameters."""
    key = tuple(pset[name] for name in NETWORK_PARAMETERS)
    if key not in _TABLES:
        _TABLES[key] = tabulate(pset)
    return _TABLES[key]


@dataclass(frozen=True)
class Network(Stage):
    """Default mode network connectivity and the rumination index, read through the tabulated surrogate."""

    name = "network"
    degree: tuple[int, int] = DEGREE

    def quantities(self) -> tuple[Quantity, ...]:
        return (
            Quantity("dmn_gain", "1", "loop gain of the within-DMN couplings"),
            Quantity("prefrontal_control", "1", "dlPFC top-down regulation of the DMN"),
            Quantity("surrogate_x", "1", "log distance of the DMN from instability, scaled to [-1, 1]"),
            Quantity("surrogate_y", "1", "prefrontal control scaled to [-1, 1]"),
            Quantity("dmn_connectivity", "Fisher z", "PCC-mPFC functional connectivity"),
            Quantity(
                "dmn_connectivity_change", "Fisher z", "change of PCC-mPFC connectivity from the patient's baseline"
            ),
            Quantity("rumination", "1", "rumination index: 0 = healthy (its floor), 1 = untreated typical TRD"),
        )

    def registry_parameters(self) -> tuple[str, ...]:
        return (*CONTROL_PARAMETERS, "latent_floor_softness")

    def derived_parameters(self) -> tuple[Quantity, ...]:
        bounds = tuple(
            Quantity(name, "1", "end of the surrogate's range of the control (controls are clamped to it)")
            for name in (
                "dmn_gain_lowest",
                "dmn_gain_highest",
                "prefrontal_control_lowest",
                "prefrontal_control_highest",
            )
        )
        coefficients = tuple(
            Quantity(coefficient_name(output, i, j), unit, f"coefficient of x^{i} y^{j} in the {output} surrogate")
            for output, unit in (("dmn_connectivity", "Fisher z"), ("rumination", "1"))
            for i in range(self.degree[0] + 1)
            for j in range(self.degree[1] + 1)
        )
        baseline = Quantity("baseline_dmn_connectivity", "Fisher z", "untreated PCC-mPFC connectivity")
        return (*bounds, *coefficients, baseline)

    def baselines(self) -> dict[str, str]:
        return {"baseline_dmn_connectivity": "dmn_connectivity"}

    def individual(self, pset: ParameterSet, patients: Any) -> dict[str, np.ndarray]:
        ones = np.ones(patients.count)
        return {name: ones * value for name, value in table_parameters(network_table(pset)).items()}

    def values(self, m: Math, v: Values) -> dict[str, Value]:
        out: dict[str, Value] = dict(
            zip(
                ("dmn_gain", "prefrontal_control"),
                controls(m, v["nmda_occupancy"], v["spine_density_change"], v["severity"], v),
                strict=True,
            )
        )
        out.update(surrogate(m, m.named(out, "dmn_gain"), m.named(out, "prefrontal_control"), v, self.degree))
        out["rumination"] = soft_floor(m, out["rumination"], v["latent_floor_softness"])
        out["dmn_connectivity_change"] = m.named(out, "dmn_connectivity") - v["baseline_dmn_connectivity"]
        return out

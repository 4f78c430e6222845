"""Theory reproduced: the `mean_field`, `born_dead` and `deep_relu_init` presets against theory.

Each preset tags its rows' `claim` column "<preset>/<grid>" (its `hydra.sweeper.grids` ids).
`section(df, figures)` finds those rows, compares every measured quantity with what theory
(experiments.theory) or the paper says, writes `reproduction.csv` beside the report (one row
per compared quantity: paper, quantity, condition, theory, measured, ci_low, ci_high, agrees)
and returns the report's "Theory reproduced" section; an ordinary sweep gets "".

Example:
    python run.py -m experiment=born_dead     # report.html and reproduction.csv in the sweep
    python -m analysis.report results/<sweep>  # rewrites both
"""

import html
import math
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
from scipy import stats as scipy_stats

from analysis import html_table
from analysis.plots import plt
from analysis.stats import rate_interval
from experiments import factors, theory
from experiments.storage import atomic
from experiments.variants.bias_init import layer_bias
from experiments.variants.dataset import DATASET, REAL_SIZES, make_dataset
from experiments.variants.init import layer_kernel

CSV_NAME = "reproduction.csv"
CSV_COLUMNS = ["paper", "quantity", "condition", "theory", "measured", "ci_low", "ci_high",
               "agrees"]
PRESETS = ("mean_field", "born_dead", "deep_relu_init")
BOOTSTRAP = 2000  # resamples of the networks for the intervals of fitted quantities
CONFIDENCE = 0.95
RNG_SEED = 0

CRITICAL_TOLERANCE = 0.05  # issue 10: empirical critical sigma_w^2 within 5% of theory
XI_TOLERANCE = 0.15  # issue 10: empirical xi_c within 15% of theory
C_STAR_TOLERANCE = 0.05  # chaotic phase: measured deep correlation within 0.05 of c*
SETTLED_DEPTH = 8  # jacobian_gain read from networks this deep (q has reached q*)
XI_FIT_RANGE = (1e-11, 0.05)  # 1 - c fitted in its linear regime, above float32 noise
XI_MAX_DEPTH_SHARE = 1 / 4  # fit xi_c only where theory's xi_c <= this share of the depths
ALPHA = 0.05  # born_dead: RAI against symmetric, Fisher's exact test per cell
TRAINED_ACCURACY = 0.5  # digits (10 classes, chance 0.1): a network that reached it trained
LOSS_MOVED = 0.1  # deep_relu_init: training moved the loss when it fell by 10% or more


# -----------------------------------------------------------------------------
# helpers


def _rows_of(df, preset):
    """Rows of a preset's grids that did not fail, with the grid name in `grid`."""
    claim = df["claim"].astype("string")
    mask = claim.str.startswith(f"{preset}/").fillna(False).to_numpy(bool)
    rows = df[mask & (df["status"].astype("string") != "error").to_numpy(bool)].copy()
    rows["grid"] = rows["claim"].astype(str).str.split("/", n=1).str[1]
    return rows


def _condition(**values):
    """'key=value key=value' with floats rounded for reading."""
    def text(v):
        return f"{v:.4g}" if isinstance(v, float) else str(v)

    return " ".join(f"{k}={text(v)}" for k, v in values.items())


def _row(paper, quantity, condition, theory_value, measured, low, high, agrees):
    return {"paper": paper, "quantity": quantity, "condition": condition,
            "theory": float(theory_value), "measured": float(measured),
            "ci_low": float(low), "ci_high": float(high), "agrees": bool(agrees)}


def _bootstrap(groups, statistic, rng):
    """95% BCa bootstrap interval of statistic(list of arrays) over resamples of the networks,
    each group resampled on its own (scipy.stats.bootstrap).

    Where BCa is undefined because every resample gives the same value (e.g. He's loss fell
    further in every pair), the interval is that value twice (as the percentile interval of
    those resamples would be). (nan, nan) when a group has fewer than 2 networks or some
    resample has no value (e.g. no crossing).
    """
    groups = [np.asarray(g, float) for g in groups]
    if any(len(g) < 2 for g in groups):
        return math.nan, math.nan
    with warnings.catch_warnings():  # undefined intervals are nan, handled below
        warnings.simplefilter("ignore", RuntimeWarning)
        warnings.simplefilter("ignore", scipy_stats.DegenerateDataWarning)
        result = scipy_stats.bootstrap(groups, lambda *gs: statistic(list(gs)),
                                       n_resamples=BOOTSTRAP, confidence_level=CONFIDENCE,
                                       method="BCa", vectorized=False, rng=rng)
    low, high = result.confidence_interval
    resamples = result.bootstrap_distribution
    if not np.isfinite([low, high]).all() and np.isfinite(resamples).all() and np.ptp(
            resamples) == 0:
        low = high = resamples[0]
    return float(low), float(high)


def _sq(column):
    """sigma^2 from a sigma column, rounded so that grid points compare equal."""
    return np.round(column.astype(float) ** 2, 6)


def _n_features(dataset):
    """Input features of a dataset option (generated sets: from a tiny sample)."""
    rows = None if dataset in REAL_SIZES else 16
    x = np.asarray(DATASET.get(dataset)(rows, np.random.default_rng(0))[0])
    return int(np.prod(x.shape[1:]))


def _esc(value):
    return html.escape(str(value))


def _number(value):
    if value is None or (isinstance(value, float) and not math.isfinite(value)):
        return "n/a"
    return f"{value:.3g}"


def _comparison_table(rows):
    """'Theory says / we measured' table of CSV rows."""
    return html_table.table(
        ["quantity", "condition", "theory says", "we measured [95% CI]", "agrees"],
        [[r["quantity"], r["condition"], _number(r["theory"]),
          f"{_number(r['measured'])} [{_number(r['ci_low'])}, {_number(r['ci_high'])}]",
          "yes" if r["agrees"] else "no"] for r in rows])


# -----------------------------------------------------------------------------
# born_dead: Lu et al. 2020


# (config key, row column) of the init, bias_init and dataset nodes rebuilt from a row
INIT_FIELDS = factors.node_fields("init")
BIAS_FIELDS = factors.node_fields("bias_init")
DATASET_FIELDS = factors.node_fields("dataset")


def _value(v):
    """A row's value as a config value: NaN/NA -> None, whole floats stay floats."""
    return None if v is None or pd.isna(v) else (v.item() if hasattr(v, "item") else v)


def _node(row, name_column, fields):
    """A config node rebuilt from a row: the option's name and its keys; a missing value reads
    as the catalogue says a config without the key does (experiments.factors)."""
    node = {"name": str(row[name_column])}
    for key, column in fields:
        value = _value(row[column])
        node[key] = _value(factors.missing_value(column)) if value is None else value
    return node


def _network_layers(row, n_features, depth):
    """The float32 (kernel, bias) of the first `depth` hidden layers of a row's network, drawn
    as the engine draws them (experiments.variants.init / experiments.variants.bias_init,
    seeded per layer)."""
    cfg_init = _node(row, "init", INIT_FIELDS)
    cfg_bias = _node(row, "bias_init", BIAS_FIELDS)
    seed, width = int(row["seed"]), int(row["width"])
    layers, fan_in = [], n_features
    for layer in range(depth):
        layers.append((layer_kernel(cfg_init, seed, layer, (fan_in, width)),
                       layer_bias(cfg_init, cfg_bias, seed, layer, fan_in, width)))
        fan_in = width
    return layers


def first_dead_layers(x, layers):
    """(first hidden layer all of whose units output 0 for every input, computed in float64;
    first hidden layer exactly constant over the inputs in float32), 1-based, 0 for none.

    The first is Lu et al.'s dead layer (every pre-activation <= 0 on every input): the network
    is then a constant function. In exact arithmetic a ReLU network is constant on a set of
    inputs only through such a layer (almost surely over continuous weights), so its depth is
    when the network is born dead. The second is what float32 shows (the engine's
    dead_layer): also a layer whose outputs still vary by less than float32 resolves.
    """
    h64, h32 = np.asarray(x, np.float64), np.asarray(x, np.float32)
    zero = constant = 0
    for index, (kernel, bias) in enumerate(layers, start=1):
        h64 = np.maximum(h64 @ kernel.astype(np.float64) + bias.astype(np.float64), 0.0)
        h32 = np.maximum(h32 @ kernel + bias, np.float32(0.0))
        if not zero and not h64.any():
            zero = index
        if not constant and (h32.max(axis=0) == h32.min(axis=0)).all():
            constant = index
        if zero and constant:
            break
    return zero, constant


def exact_death(rows):
    """Per row of the born_dead grids: (dead_exact, constant_float32) bool arrays.

    The networks are drawn again from their seeds (the depth-L network's hidden layers are the
    first L of the deepest network of the same seed, init and width, so each is drawn once)
    and evaluated on their evaluation inputs (experiments.variants.dataset, the row's seed).
    """
    dead = np.zeros(len(rows), bool)
    constant = np.zeros(len(rows), bool)
    if not len(rows):
        return dead, constant
    data_cache = {}
    frame = rows.reset_index(drop=True)
    keys = ["init", "bias_init", "width", "seed", "dataset",
            *(column for _, column in INIT_FIELDS + BIAS_FIELDS + DATASET_FIELDS)]
    for _, group in frame.groupby(keys, sort=False, dropna=False):
        first = group.iloc[0]
        node = _node(first, "dataset", DATASET_FIELDS)
        data_key = (int(first["seed"]), *sorted((k, str(v)) for k, v in node.items()))
        if data_key not in data_cache:
            data_cache[data_key] = make_dataset(node, int(first["seed"]), 0.25).x_eval
        x = data_cache[data_key]
        zero, const = first_dead_layers(x, _network_layers(first, x.shape[1],
                                                           int(group["depth"].max())))
        depth = group["depth"].to_numpy(int)
        dead[group.index] = (zero > 0) & (zero <= depth)
        constant[group.index] = (const > 0) & (const <= depth)
    return dead, constant


def born_dead_cells(rows):
    """Per (grid, depth, width): networks; born dead (the paper's measure, dead_exact: some
    hidden layer outputs 0 for every evaluation input) with its rate and exact interval; the
    share exactly constant in float32 (dead_layer_init, from the engine) and its interval."""
    rows = rows.copy()
    rows["dead_exact"], rows["constant_rebuilt"] = exact_death(rows)
    out = []
    for (grid, depth, width), cell in rows.groupby(["grid", "depth", "width"], sort=True):
        n = len(cell)
        k = int(cell["dead_exact"].sum())
        k32 = int(cell["dead_layer_init"].astype(bool).sum())
        low, high = rate_interval(k, n)
        low32, high32 = rate_interval(k32, n)
        out.append({"grid": grid, "depth": int(depth), "width": int(width), "n": n, "k": k,
                    "rate": k / n if n else math.nan, "ci_low": low, "ci_high": high,
                    "k_f32": k32, "rate_f32": k32 / n if n else math.nan,
                    "ci_low_f32": low32, "ci_high_f32": high32,
                    "rebuilt_agree": int((cell["constant_rebuilt"]
                                          == cell["dead_layer_init"].astype(bool)).sum()),
                    "dead_not_constant": int((cell["dead_exact"]
                                              & ~cell["dead_layer_init"].astype(bool)).sum()),
                    "bound": theory.p_born_dead_bound(int(width), int(depth))})
    return pd.DataFrame(out)


def compare_rates(k_a, n_a, k_b, n_b, alpha=ALPHA):
    """'lower', 'higher' or 'inconclusive': a's rate against b's, Fisher's exact test
    (two-sided) at level alpha; 'same' when both are 0 or both 1 (nothing to tell apart)."""
    if (k_a == 0 and k_b == 0) or (k_a == n_a and k_b == n_b):
        return "same"
    p = scipy_stats.fisher_exact([[k_a, n_a - k_a], [k_b, n_b - k_b]])[1]
    if p >= alpha:
        return "inconclusive"
    return "lower" if k_a / n_a < k_b / n_b else "higher"


def born_dead_checks(cells):
    """The issue's targets on the symmetric grid (and RAI against it), as counts."""
    sym = cells[cells["grid"] == "symmetric"]
    checks = {"cells": len(sym),
              "above_bound": int((sym["ci_low"] > sym["bound"]).sum())}
    depth_drops = width_rises = closer = pairs = 0
    for _, by_width in sym.groupby("width"):
        by_width = by_width.sort_values("depth").to_dict("records")
        for a, b in zip(by_width, by_width[1:]):
            depth_drops += b["ci_high"] < a["ci_low"]  # significantly lower when deeper
        if len(by_width) >= 2 and by_width[-1]["bound"] > 0:
            pairs += 1
            first, last = by_width[0], by_width[-1]
            closer += (last["rate"] / last["bound"]) >= (first["rate"] / first["bound"])
    for _, by_depth in sym.groupby("depth"):
        by_depth = by_depth.sort_values("width").to_dict("records")
        for a, b in zip(by_depth, by_depth[1:]):
            width_rises += b["ci_low"] > a["ci_high"]  # significantly higher when wider
    checks.update(depth_drops=int(depth_drops), width_rises=int(width_rises),
                  closer_with_depth=int(closer), widths=pairs)
    rai = cells[cells["grid"] == "rai"].set_index(["depth", "width"])
    both = sym.set_index(["depth", "width"]).join(rai, rsuffix="_rai", how="inner")
    checks["rai_cells"] = len(both)
    for suffix, name in (("", "rai"), ("_f32", "rai_f32")):
        verdicts = [compare_rates(int(r[f"k{suffix}_rai"]), int(r["n_rai"]),
                                  int(r[f"k{suffix}"]), int(r["n"]))
                    for _, r in both.iterrows()]
        for verdict in ("lower", "higher", "inconclusive", "same"):
            checks[f"{name}_{verdict}"] = verdicts.count(verdict)
        checks[f"{name}_lower_point"] = int((both[f"rate{suffix}_rai"]
                                             < both[f"rate{suffix}"]).sum())
    checks["networks"] = int(cells["n"].sum())
    checks["rebuilt_agree"] = int(cells["rebuilt_agree"].sum())
    checks["dead_not_constant"] = int(cells["dead_not_constant"].sum())
    deepest = sym[sym["depth"] == sym["depth"].max()]
    checks["deepest_ratio"] = float((deepest["rate"] / deepest["bound"]).min()) if len(
        deepest) else math.nan
    return checks


def born_dead_rows(cells):
    """reproduction.csv rows: every symmetric cell against the bound; every RAI cell against
    the symmetric cell, born dead (p_born_dead_rai) and exactly constant in float32
    (p_float32_constant_rai); agrees = RAI not significantly higher (Fisher's exact test)."""
    out = []
    sym = cells[cells["grid"] == "symmetric"].set_index(["depth", "width"])
    for rec in cells.to_dict("records"):
        cond = _condition(width=rec["width"], depth=rec["depth"])
        if rec["grid"] == "symmetric":
            out.append(_row("lu2020", "p_born_dead", cond, rec["bound"], rec["rate"],
                            rec["ci_low"], rec["ci_high"], rec["ci_low"] <= rec["bound"]))
        elif (rec["depth"], rec["width"]) in sym.index:
            base = sym.loc[(rec["depth"], rec["width"])]
            for suffix, quantity in (("", "p_born_dead_rai"),
                                     ("_f32", "p_float32_constant_rai")):
                verdict = compare_rates(rec[f"k{suffix}"], rec["n"], int(base[f"k{suffix}"]),
                                        int(base["n"]))
                out.append(_row("lu2020", quantity, cond, base[f"rate{suffix}"],
                                rec[f"rate{suffix}"], rec[f"ci_low{suffix}"],
                                rec[f"ci_high{suffix}"], verdict != "higher"))
    return out


def born_dead_figure(cells):
    grids = [g for g in ("symmetric", "rai") if g in set(cells["grid"])]
    fig, axes = plt.subplots(1, len(grids), figsize=(5.2 * len(grids), 3.8), squeeze=False,
                             sharey=True)
    widths = sorted(cells["width"].unique())
    colors = plt.cm.viridis(np.linspace(0, 0.9, len(widths)))
    for ax, grid in zip(axes[0], grids, strict=True):
        part = cells[cells["grid"] == grid]
        for width, color in zip(widths, colors, strict=True):
            w = part[part["width"] == width].sort_values("depth")
            err = [w["rate"] - w["ci_low"], w["ci_high"] - w["rate"]]
            ax.errorbar(w["depth"], w["rate"], yerr=err, marker="o", ms=3, color=color,
                        capsize=2, label=f"width {width}")
            if grid == "rai":
                ax.plot(w["depth"], w["rate_f32"], ls=":", marker="o", ms=3, mfc="none",
                        color=color, lw=1)
            depths = np.arange(1, max(cells["depth"]) + 1)
            ax.plot(depths, [theory.p_born_dead_bound(width, d) for d in depths], ls="--",
                    color=color, lw=1)
        ax.set_xscale("log")
        ax.set_xlabel("depth (hidden layers)")
        title = ("symmetric N(0, 2/fan_in), zero biases" if grid == "symmetric"
                 else "RAI (Lu et al. 2020)")
        ax.set_title(title, fontsize=10)
    axes[0][0].set_ylabel("P(born dead)")
    axes[0][0].legend(fontsize=7, loc="upper left")
    fig.tight_layout()
    return fig


def born_dead_section(rows, figures):
    cells = born_dead_cells(rows)
    checks = born_dead_checks(cells)
    csv_rows = born_dead_rows(cells)
    figure = figures.add(born_dead_figure(cells), "reproduction_born_dead",
                         "P(born dead) by depth and width with the single-point bound",
                         "Share of networks born dead (some hidden layer outputs 0 for every "
                         "evaluation input) with exact 95% intervals; dashed: theory's "
                         "1 - (1 - 2^-width)^depth (dead at one input), an upper bound. RAI "
                         "panel, dotted with open markers: the share whose hidden layer is "
                         "exactly constant in float32 (dead, or signal below float32's "
                         "resolution).", wide=True)
    n = int(cells["n"].min()) if len(cells) else 0
    text = (
        f"<p>Theory says: with symmetric weights and zero biases a ReLU network of width n is "
        f"dead at any one input with probability 1 - (1 - 2<sup>-n</sup>)<sup>L</sup>; being "
        f"dead everywhere (born dead: a constant function, through a layer whose every unit "
        f"outputs 0 for every input) is less likely, approaching that bound as depth grows; "
        f"RAI lowers it.</p><p>We measured ({n} or more networks per cell; born dead = some "
        f"hidden layer outputs exactly 0 for every evaluation input, the networks drawn again "
        f"from their seeds and evaluated in float64): "
        f"{checks['above_bound']} of {checks['cells']} cells above the bound by more than "
        f"their interval; {checks['depth_drops']} significant drops with depth and "
        f"{checks['width_rises']} significant rises with width; measured / bound at the "
        f"deepest depth at least {_number(checks['deepest_ratio'])}, and closer to the bound "
        f"at the deepest than at the shallowest depth for {checks['closer_with_depth']} of "
        f"{checks['widths']} widths. RAI against symmetric (Fisher's exact test, "
        f"{ALPHA:g}) over {checks['rai_cells']} cells: significantly lower in "
        f"{checks['rai_lower']}, significantly higher in {checks['rai_higher']}, "
        f"inconclusive in {checks['rai_inconclusive']}, both 0 or both 1 in "
        f"{checks['rai_same']}.</p><p>Exactly constant in float32 (the engine's "
        f"dead_layer_init: dead, or a signal that varies by less than float32 resolves), RAI "
        f"against symmetric: significantly lower in {checks['rai_f32_lower']}, significantly "
        f"higher in {checks['rai_f32_higher']}, inconclusive in "
        f"{checks['rai_f32_inconclusive']}, same in {checks['rai_f32_same']}. Check of the "
        f"redrawn networks: their float32 constancy matches the engine's for "
        f"{checks['rebuilt_agree']} of {checks['networks']} networks; "
        f"{checks['dead_not_constant']} dead networks not constant in the engine.</p>")
    table = _comparison_table([r for r in csv_rows if r["quantity"] == "p_born_dead"])
    rai_table = _comparison_table([r for r in csv_rows if r["quantity"] != "p_born_dead"])
    return ("<h3>Born dead: Lu et al. 2020</h3>" + text + figure
            + "<details><summary>Every cell: theory says / we measured</summary>"
            + table + "</details><details><summary>RAI against symmetric (theory column: "
            "the symmetric cell's rate)</summary>" + rai_table + "</details>"), csv_rows, checks


# -----------------------------------------------------------------------------
# mean_field: Poole et al. 2016, Schoenholz et al. 2017


def _mean_field_frame(rows):
    out = rows.copy()
    out["sigma_w2"] = _sq(out["init_sigma_w"])
    out["sigma_b2"] = _sq(out["bias_stddev"])
    return out


def critical_crossing(sigma_w2, gain):
    """The sigma_w^2 where ln(gain) crosses 0, interpolated linearly in sigma_w^2 between the
    grid points around the first crossing (NaN if it does not cross)."""
    order = np.argsort(sigma_w2)
    s, g = np.asarray(sigma_w2, float)[order], np.log(np.asarray(gain, float)[order])
    for i in range(len(s) - 1):
        if np.isfinite(g[i]) and np.isfinite(g[i + 1]) and g[i] <= 0 < g[i + 1]:
            return float(s[i] + (s[i + 1] - s[i]) * (-g[i]) / (g[i + 1] - g[i]))
    return math.nan


def fit_xi(depths, one_minus_c):
    """Depth scale of 1 - c: -1 / slope of ln(1 - c) against depth, over the points in
    XI_FIT_RANGE (at least 3, else NaN)."""
    d, y = np.asarray(depths, float), np.asarray(one_minus_c, float)
    keep = np.isfinite(y) & (y > XI_FIT_RANGE[0]) & (y < XI_FIT_RANGE[1])
    if keep.sum() < 3:
        return math.nan
    slope = np.polyfit(d[keep], np.log(y[keep]), 1)[0]
    return -1.0 / slope if slope < 0 else math.inf


def map_one_minus_c(activation, sigma_w2, sigma_b2, depths, c_first):
    """1 - c at `depths` when theory's correlation map (at q*) starts from c_first at the
    shallowest of them: what the xi_c fit sees of the theory at these finite depths."""
    depths = sorted(int(d) for d in depths)
    c, out = float(c_first), {}
    for depth in range(depths[0], depths[-1] + 1):
        out[depth] = 1.0 - c
        c = theory.correlation_map(c, activation, sigma_w2, sigma_b2)
    return [out[d] for d in depths]


def mean_field_rows(rows, rng):
    """(csv rows, per-phase-diagram cells) of the mean_field preset's at-init grid."""
    data = _mean_field_frame(rows[rows["grid"] == "at_init"])
    out = []
    for (activation, sb2), part in data.groupby(["activation", "sigma_b2"], sort=True):
        cond = {"activation": activation, "sigma_b2": float(sb2)}
        # 1. the critical sigma_w^2: where the measured chi1 (jacobian_gain) crosses 1
        settled = part[part["depth"] >= SETTLED_DEPTH]
        levels = sorted(settled["sigma_w2"].unique())
        groups = [settled.loc[settled["sigma_w2"] == s, "jacobian_gain_init"].to_numpy(float)
                  for s in levels]
        if len(levels) >= 2 and all(len(g) for g in groups):
            measured = critical_crossing(levels, [np.nanmean(g) for g in groups])
            low, high = _bootstrap(groups, lambda gs, levels=levels: critical_crossing(
                levels, [np.nanmean(g) for g in gs]), rng)
            truth = theory.critical_sigma_w2(activation, float(sb2))
            out.append(_row("poole2016", "critical_sigma_w2", _condition(**cond), truth,
                            measured, low, high,
                            abs(measured - truth) <= CRITICAL_TOLERANCE * truth))
        # 2. xi_c in the ordered phase: how fast 1 - c decays with depth
        max_depth = part["depth"].max()
        for sw2, by_sw in part.groupby("sigma_w2", sort=True):
            sw2 = float(sw2)
            if theory.chi1(activation, sw2, float(sb2)) >= 1.0:
                continue
            xi = theory.xi_c(activation, sw2, float(sb2))
            if not xi <= XI_MAX_DEPTH_SHARE * max_depth:
                continue
            depths = sorted(by_sw["depth"].unique())
            groups = [1.0 - by_sw.loc[by_sw["depth"] == d, "input_correlation_init"].to_numpy(
                float) for d in depths]

            def statistic(gs, depths=depths):
                return fit_xi(depths, [np.nanmean(g) for g in gs])

            measured = statistic(groups)
            low, high = _bootstrap(groups, statistic, rng)
            out.append(_row("schoenholz2017", "xi_c", _condition(**cond, sigma_w2=sw2), xi,
                            measured, low, high,
                            abs(measured - xi) <= XI_TOLERANCE * xi))
            # the same fit applied to theory's own correlation map: from the measured
            # correlation of the shallowest networks, iterated through the same depths
            first_c = float(np.nanmean(1.0 - groups[0]))  # mean correlation, shallowest
            same_fit = fit_xi(depths, map_one_minus_c(activation, sw2, float(sb2), depths,
                                                       first_c))
            out.append(_row("schoenholz2017", "xi_c_same_fit", _condition(**cond, sigma_w2=sw2),
                            same_fit, measured, low, high,
                            abs(measured - same_fit) <= XI_TOLERANCE * same_fit))
        # 3. the chaotic phase's fixed point c* < 1, read at the deepest depth (where theory
        # says correlations have settled, and q* is finite)
        deepest = part[part["depth"] == max_depth]
        for sw2, by_sw in deepest.groupby("sigma_w2", sort=True):
            sw2 = float(sw2)
            if (theory.chi1(activation, sw2, float(sb2)) <= 1.0
                    or not math.isfinite(theory.q_star(activation, sw2, float(sb2)))
                    or not theory.xi_c(activation, sw2, float(sb2))
                    <= XI_MAX_DEPTH_SHARE * max_depth):
                continue
            values = by_sw["input_correlation_init"].to_numpy(float)
            values = values[np.isfinite(values)]
            if not len(values):
                continue
            truth = theory.c_star(activation, sw2, float(sb2))
            low, high = _bootstrap([values], lambda gs: float(np.mean(gs[0])), rng)
            out.append(_row("poole2016", "c_star", _condition(**cond, sigma_w2=sw2,
                                                             depth=int(max_depth)),
                            truth, float(np.mean(values)), low, high,
                            abs(np.mean(values) - truth) <= C_STAR_TOLERANCE))
    return out


def trainability_rows(rows):
    """reproduction.csv rows of the trained grid: trains (accuracy >= TRAINED_ACCURACY) iff
    depth <= 6 xi_c."""
    data = _mean_field_frame(rows[rows["grid"] == "trained"])
    out = []
    for (activation, sb2, sw2, depth), cell in data.groupby(
            ["activation", "sigma_b2", "sigma_w2", "depth"], sort=True):
        limit = theory.trainable_depth(activation, float(sw2), float(sb2))
        k = int((cell["score"].astype(float) >= TRAINED_ACCURACY).sum())
        low, high = rate_interval(k, len(cell))
        predicted = float(depth <= limit)
        measured = k / len(cell)
        out.append(_row("schoenholz2017", "trains_within_6_xi_c",
                        _condition(activation=activation, sigma_b2=float(sb2),
                                   sigma_w2=float(sw2), depth=int(depth)),
                        predicted, measured, low, high, (measured >= 0.5) == bool(predicted)))
    return out


def _phase_axes(ax, cells, value, activation, sb2, label, log=True):
    """Heatmap of `value` over sigma_w^2 x depth with the boundary and the 6 xi_c curve."""
    table = cells.pivot(index="depth", columns="sigma_w2", values=value).sort_index()
    values = table.to_numpy(float)
    shown = np.log10(np.clip(values, 1e-12, None)) if log else values
    sw2s, depths = table.columns.to_numpy(float), table.index.to_numpy(float)
    mesh = ax.pcolormesh(np.arange(len(sw2s) + 1), np.arange(len(depths) + 1), shown,
                         cmap="mako", shading="flat")
    plt.colorbar(mesh, ax=ax, label=label)
    ax.set_xticks(np.arange(len(sw2s)) + 0.5, [f"{s:g}" for s in sw2s], rotation=90,
                  fontsize=7)
    ax.set_yticks(np.arange(len(depths)) + 0.5, [f"{d:g}" for d in depths], fontsize=7)
    ax.set_xlabel("sigma_w^2")
    ax.set_ylabel("depth")

    def x_of(s):  # grid position of a sigma_w^2 (cell centres at i + 0.5)
        return float(np.interp(s, sw2s, np.arange(len(sw2s)) + 0.5))

    def y_of(d):  # depth rows are spaced evenly in log(depth) between their centres
        return float(np.interp(np.log(d), np.log(depths), np.arange(len(depths)) + 0.5))

    try:
        critical = theory.critical_sigma_w2(activation, sb2)
        if sw2s.min() <= critical <= sw2s.max():
            ax.axvline(x_of(critical), color="#f0a030", ls="--", lw=1.5, label="chi1 = 1")
    except ValueError:
        pass
    fine = np.linspace(sw2s.min(), sw2s.max(), 200)
    limit = np.array([theory.trainable_depth(activation, s, sb2) for s in fine])
    inside = np.isfinite(limit) & (limit >= depths.min()) & (limit <= depths.max())
    xs = [x_of(s) if ok else np.nan for s, ok in zip(fine, inside, strict=True)]
    ys = [y_of(d) if ok else np.nan for d, ok in zip(limit, inside, strict=True)]
    if inside.any():
        ax.plot(xs, ys, color="#e04040", lw=1.5, label="6 xi_c")
    ax.set_title(f"{activation}, sigma_b^2 = {sb2:g}", fontsize=9)
    ax.legend(fontsize=6, loc="lower right")


def mean_field_figure(rows):
    data = _mean_field_frame(rows[rows["grid"] == "at_init"])
    cells = (data.groupby(["activation", "sigma_b2", "sigma_w2", "depth"])
             ["rel_output_std_init"].median().reset_index())
    panels = sorted({(a, b) for a, b in zip(cells["activation"], cells["sigma_b2"],
                                            strict=True)})
    trained = _mean_field_frame(rows[rows["grid"] == "trained"])
    n = len(panels) + (1 if len(trained) else 0)
    fig, axes = plt.subplots(1, n, figsize=(4.6 * n, 4.2), squeeze=False)
    for ax, (activation, sb2) in zip(axes[0], panels, strict=False):
        part = cells[(cells["activation"] == activation) & (cells["sigma_b2"] == sb2)]
        _phase_axes(ax, part, "rel_output_std_init", activation, float(sb2),
                    "log10 median rel_output_std at init")
    if len(trained):
        activation, sb2 = trained["activation"].iloc[0], float(trained["sigma_b2"].iloc[0])
        acc = (trained.groupby(["sigma_w2", "depth"])["score"].mean().reset_index())
        _phase_axes(axes[0][-1], acc, "score", activation, sb2, "accuracy after training",
                    log=False)
        axes[0][-1].set_title(f"trained on digits: {activation}, sigma_b^2 = {sb2:g}",
                              fontsize=9)
    fig.tight_layout()
    return fig


def correlation_figure(rows):
    """1 - c against depth in the ordered phase, with theory's slope exp(-depth / xi_c)."""
    data = _mean_field_frame(rows[rows["grid"] == "at_init"])
    panels = sorted({(a, b) for a, b in zip(data["activation"], data["sigma_b2"],
                                            strict=True)})
    fig, axes = plt.subplots(1, len(panels), figsize=(4.4 * len(panels), 3.6), squeeze=False)
    for ax, (activation, sb2) in zip(axes[0], panels, strict=True):
        part = data[(data["activation"] == activation) & (data["sigma_b2"] == sb2)]
        levels = sorted(part["sigma_w2"].unique())
        colors = plt.cm.viridis(np.linspace(0, 0.9, len(levels)))
        for sw2, color in zip(levels, colors, strict=True):
            by = part[part["sigma_w2"] == sw2]
            curve = (1.0 - by.groupby("depth")["input_correlation_init"].mean()).sort_index()
            ax.plot(curve.index, curve.clip(lower=1e-16), marker="o", ms=2, color=color,
                    label=f"{sw2:g}")
            if theory.chi1(activation, float(sw2), float(sb2)) < 1:
                xi = theory.xi_c(activation, float(sw2), float(sb2))
                fit = curve[(curve > XI_FIT_RANGE[0]) & (curve < XI_FIT_RANGE[1])]
                if len(fit) and xi > 0:
                    d0, y0 = fit.index[0], fit.iloc[0]
                    d = np.linspace(d0, curve.index.max(), 50)
                    ax.plot(d, y0 * np.exp(-(d - d0) / xi), ls="--", color=color, lw=0.8)
        ax.set_yscale("log")
        ax.set_ylim(1e-13, 2)
        ax.set_xlabel("depth")
        ax.set_ylabel("1 - mean input correlation")
        ax.set_title(f"{activation}, sigma_b^2 = {float(sb2):g}", fontsize=9)
        ax.legend(title="sigma_w^2", fontsize=6, title_fontsize=7, ncol=2)
    fig.tight_layout()
    return fig


def mean_field_section(rows, figures):
    rng = np.random.default_rng(RNG_SEED)
    csv_rows = mean_field_rows(rows, rng) + trainability_rows(rows)
    parts = ["<h3>Mean-field signal propagation: Poole et al. 2016, Schoenholz et al. 2017</h3>",
             "<p>Theory says: in the ordered phase (chi1 &lt; 1) every pair of inputs becomes "
             "perfectly correlated with depth, as exp(-depth / xi_c), so every input gives the "
             "same output; chi1 = 1 at the critical sigma_w^2; networks train to depth about "
             "6 xi_c. xi_c_same_fit: the same fit applied to theory's correlation map "
             "iterated from the measured depth-1 correlation through the same depths (the "
             "fit's own bias at finite depth: ReLU's map has a (1 - c)^(3/2) term, so 1 - c "
             "shrinks faster than chi1 per layer until it is tiny, and the fit "
             "underestimates a long xi_c). We measured chi1 as the last "
             "hidden layer Jacobian's gain "
             "(jacobian_gain_init, networks of depth 8 or more), xi_c by fitting "
             "ln(1 - input_correlation_init) against depth, and trainability as accuracy "
             f"&ge; {TRAINED_ACCURACY:g} on digits after brief training.</p>"]
    checks = {}
    for quantity in ("critical_sigma_w2", "xi_c", "xi_c_same_fit", "c_star",
                     "trains_within_6_xi_c"):
        chosen = [r for r in csv_rows if r["quantity"] == quantity]
        checks[quantity] = (sum(r["agrees"] for r in chosen), len(chosen))
        if chosen:
            parts.append(f"<p>{_esc(quantity)}: {checks[quantity][0]} of {len(chosen)} agree."
                         "</p>")
            if quantity != "trains_within_6_xi_c":
                parts.append(_comparison_table(chosen))
    at_init = rows[rows["grid"] == "at_init"]
    if len(at_init):
        parts.append(figures.add(
            mean_field_figure(rows), "reproduction_mean_field_phase",
            "median rel_output_std at init over sigma_w^2 and depth",
            "Median output spread / target spread at initialization (log10) over sigma_w^2 x "
            "depth; dashed: theory's order-to-chaos boundary (chi1 = 1); red: 6 xi_c. Last "
            "panel (if trained): mean accuracy after brief training.", wide=True))
        parts.append(figures.add(
            correlation_figure(rows), "reproduction_mean_field_correlation",
            "1 - input correlation against depth",
            "1 - mean correlation between inputs' last hidden pre-activations at "
            "initialization; dashed: theory's decay exp(-depth / xi_c) in the ordered phase.",
            wide=True))
    trained = [r for r in csv_rows if r["quantity"] == "trains_within_6_xi_c"]
    if trained:
        parts.append("<details><summary>Trainability: theory says / we measured</summary>"
                     + _comparison_table(trained) + "</details>")
    return "\n".join(parts), csv_rows, checks


# -----------------------------------------------------------------------------
# deep_relu_init: He et al. 2015


def scale_rows(rows, rng):
    """Output scale at init, Glorot over He, by depth, against theory."""
    data = rows[rows["grid"] == "scale"]
    out = []
    for depth, part in data.groupby("depth", sort=True):
        glorot = part.loc[part["init"] == "glorot", "output_std_init"].to_numpy(float)
        he = part.loc[part["init"] == "he_normal", "output_std_init"].to_numpy(float)
        if not (len(glorot) and len(he)):
            continue
        width, dataset = int(part["width"].iloc[0]), str(part["dataset"].iloc[0])
        n_features = _n_features(dataset)
        sizes = [n_features] + [width] * int(depth) + [1]
        truth = theory.relu_scale_ratio(sizes[:-1], sizes[1:])

        def ratio(gs):
            return float(np.sqrt(np.mean(gs[0] ** 2) / np.mean(gs[1] ** 2)))

        measured = ratio([glorot, he])
        low, high = _bootstrap([glorot, he], ratio, rng)
        out.append(_row("he2015", "output_scale_glorot_over_he",
                        _condition(depth=int(depth), width=width,
                                   two_to_minus_half_depth=2.0 ** (-int(depth) / 2)),
                        truth, measured, low, high, low <= truth <= high))
    return out


def _loss_fall(cell):
    """Relative fall of the evaluation loss; -inf for a network that diverged (no finite
    loss: it fell least of all)."""
    fall = (1.0 - cell["loss"].astype(float) / cell["loss_init"].astype(float)).to_numpy(float)
    return np.where(np.isfinite(fall), fall, -np.inf)


def share_further(a, b):
    """Share of pairs (x in a, y in b) with x > y, ties counting half (the Mann-Whitney
    U / (len(a) len(b)); 0.5 = neither falls further)."""
    a, b = np.asarray(a, float)[:, None], np.asarray(b, float)[None, :]
    return float(np.mean((a > b) + 0.5 * (a == b)))


def training_rows(rows, rng=None):
    """Does training move the loss (by LOSS_MOVED or more) in the fixed budget? He et al.:
    Glorot stalls at 30 layers, He trains; both train at 22, Glorot later. Also, at 22 and 30
    layers, the share of (He, Glorot) pairs of networks in which He's loss fell further (95%
    bootstrap interval; agrees when the interval is above 0.5: He's falls further in the same
    budget, as "Xavier" converging later predicts). A diverged network moves nothing."""
    rng = np.random.default_rng(RNG_SEED) if rng is None else rng
    data = rows[rows["grid"] == "train"]
    out = []
    for (init, depth), cell in data.groupby(["init", "depth"], sort=True):
        drop = _loss_fall(cell)
        k = int((drop >= LOSS_MOVED).sum())
        low, high = rate_interval(k, len(cell))
        predicted = float(not (init == "glorot" and int(depth) >= 30))
        measured = k / len(cell)
        agrees = (measured >= 0.5) == bool(predicted) if int(depth) in (22, 30) else True
        out.append(_row("he2015", "loss_moves", _condition(init=init, depth=int(depth)),
                        predicted if int(depth) in (22, 30) else math.nan, measured, low,
                        high, agrees))
    for depth, part in data.groupby("depth", sort=True):
        if int(depth) not in (22, 30):
            continue
        he, glorot = (_loss_fall(part[part["init"] == name]) for name in ("he_normal", "glorot"))
        if not (len(he) and len(glorot)):
            continue

        def further(gs):
            return share_further(gs[0], gs[1])

        low, high = _bootstrap([he, glorot], further, rng)
        out.append(_row("he2015", "p_he_loss_falls_further", _condition(depth=int(depth)),
                        math.nan, further([he, glorot]), low, high,
                        bool(np.isfinite(low) and low > 0.5)))
    return out


def deep_relu_figure(rows):
    scale = rows[rows["grid"] == "scale"]
    train = rows[rows["grid"] == "train"]
    fig, axes = plt.subplots(1, 2, figsize=(10, 3.8))
    ax = axes[0]
    for init, color in (("glorot", "#b03a48"), ("he_normal", "#2b6cb0")):
        part = scale[scale["init"] == init]
        rms = part.groupby("depth")["output_std_init"].apply(
            lambda v: float(np.sqrt(np.mean(np.asarray(v, float) ** 2))))
        ax.plot(rms.index, rms.to_numpy(), marker="o", color=color, label=init)
    if len(scale):
        depths = np.array(sorted(scale["depth"].unique()), float)
        he = scale[scale["init"] == "he_normal"].groupby("depth")["output_std_init"].apply(
            lambda v: float(np.sqrt(np.mean(np.asarray(v, float) ** 2))))
        ax.plot(depths, he.reindex(depths).to_numpy() * 2.0 ** (-depths / 2), ls="--",
                color="#b03a48", lw=1, label="He x 2^(-L/2)")
    ax.set_yscale("log")
    ax.set_xlabel("depth (hidden ReLU layers)")
    ax.set_ylabel("RMS output spread at init")
    ax.legend(fontsize=7)
    ax = axes[1]
    for init, color in (("glorot", "#b03a48"), ("he_normal", "#2b6cb0")):
        part = train[train["init"] == init]
        drop = (1.0 - part["loss"].astype(float) / part["loss_init"].astype(float))
        mean = drop.groupby(part["depth"]).mean()
        ax.plot(mean.index, mean.to_numpy(), marker="o", color=color, label=init)
    ax.axhline(LOSS_MOVED, color="#888", ls=":", lw=1)
    ax.set_xlabel("depth (hidden ReLU layers)")
    ax.set_ylabel("relative fall of the evaluation loss")
    ax.legend(fontsize=7)
    fig.tight_layout()
    return fig


def _further_verdict(row):
    if row["ci_low"] > 0.5:
        return f"He's falls further, {_number(row['measured'])}"
    if row["ci_high"] < 0.5:
        return f"Glorot's falls further, {_number(row['measured'])}"
    return (f"inconclusive, {_number(row['measured'])} [{_number(row['ci_low'])}, "
            f"{_number(row['ci_high'])}]")


def deep_relu_section(rows, figures):
    rng = np.random.default_rng(RNG_SEED)
    csv_rows = scale_rows(rows, rng) + training_rows(rows, rng)
    scale = [r for r in csv_rows if r["quantity"] == "output_scale_glorot_over_he"]
    moves = [r for r in csv_rows if r["quantity"] == "loss_moves"]
    faster = [r for r in csv_rows if r["quantity"] == "p_he_loss_falls_further"]
    checks = {"scale": (sum(r["agrees"] for r in scale), len(scale)),
              "moves": (sum(r["agrees"] for r in moves), len(moves)),
              "faster": (sum(r["agrees"] for r in faster), len(faster))}
    train = rows[rows["grid"] == "train"]
    budget = ""
    if len(train):
        first = train.iloc[0]
        budget = (f" Budget, the same for every cell: {first['optimizer']} at lr "
                  f"{float(first['lr']):g}, batch {int(first['batch_size'])}, "
                  f"{int(first['epochs'])} epochs on {first['dataset']}; diverged: "
                  + ", ".join(f"{init} {int(depth)} layers {int(cell['diverged'].sum())} of "
                              f"{len(cell)}" for (init, depth), cell in
                              train.groupby(["init", "depth"]) if cell["diverged"].any())
                  + ".")
    parts = ["<h3>Deep ReLU networks, Glorot against He: He et al. 2015</h3>",
             "<p>Theory says: a ReLU layer halves the second moment of its input under Glorot "
             "scaling (weight variance 1/fan_in for square layers) and keeps it under He's "
             "(2/fan_in), so the output scale shrinks about 2^(-L/2) under Glorot: exactly "
             "prod sqrt(fan_in / (fan_in + fan_out)) over the layers. He et al.: a 30-layer "
             "ReLU network stalls with Glorot and trains with He; at 22 layers both train.</p>",
             f"<p>Output scale: theory inside the 95% bootstrap interval of the measured "
             f"ratio at {checks['scale'][0]} of {checks['scale'][1]} depths. Training moves "
             "the loss as He et al. say: "
             f"{checks['moves'][0]} of {checks['moves'][1]} (init, depth) cells; He's loss "
             "falls further than Glorot's (share of pairs, bootstrap interval above 0.5) at "
             f"{checks['faster'][0]} of {checks['faster'][1]} of the depths 22 and 30 ("
             + "; ".join(f"{r['condition']}: {_further_verdict(r)}" for r in faster) + ")."
             f"{_esc(budget)}</p>",
             _comparison_table(scale + moves + faster)]
    if len(rows):
        parts.append(figures.add(
            deep_relu_figure(rows), "reproduction_deep_relu_init",
            "output scale at init and loss fall by depth, Glorot against He",
            "Left: root mean square of the output spread at initialization; dashed: He's "
            "times 2^(-L/2). Right: mean relative fall of the evaluation loss after training "
            f"(dotted: the {LOSS_MOVED:g} that counts as moving).", wide=True))
    return "\n".join(parts), csv_rows, checks


# -----------------------------------------------------------------------------
# the report's section

SECTIONS = {"mean_field": mean_field_section, "born_dead": born_dead_section,
            "deep_relu_init": deep_relu_section}


def presets_in(df):
    """The reproduction presets whose grids trained some of the rows."""
    if "claim" not in df or not len(df):
        return []
    claims = df["claim"].dropna().astype(str)
    return [p for p in PRESETS if claims.str.startswith(f"{p}/").any()]


def reproduce(df, figures):
    """(html, csv rows, {preset: checks}) of every reproduction preset in the rows."""
    parts, csv_rows, checks = [], [], {}
    for preset in presets_in(df):
        text, rows_out, preset_checks = SECTIONS[preset](_rows_of(df, preset), figures)
        parts.append(text)
        csv_rows += rows_out
        checks[preset] = preset_checks
    return "\n".join(parts), csv_rows, checks


def write_csv(csv_rows, sweep_dir):
    """Write `<sweep_dir>/reproduction.csv` (atomically); returns its path."""
    table = pd.DataFrame(csv_rows, columns=CSV_COLUMNS)
    return atomic.write_atomic(Path(sweep_dir) / CSV_NAME,
                               lambda tmp: table.to_csv(tmp, index=False))


def section(df, figures):
    """The report's "Theory reproduced" section ("" for an ordinary sweep); also writes
    reproduction.csv into the sweep folder (the parent of the figures folder)."""
    if not presets_in(df):
        return ""
    text, csv_rows, _ = reproduce(df, figures)
    write_csv(csv_rows, Path(figures.folder).parent)
    return (f'<section id="theory"><h2>Theory reproduced</h2>\n{text}\n'
            f"<p>Every comparison is also in {CSV_NAME} in the sweep folder.</p></section>")

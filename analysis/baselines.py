"""The forecasting baselines beside the networks: for every configuration of a forecasting
dataset (rows with a `persistence_score`), the networks' median R^2 against predicting the
window's last value (persistence) and the training-target mean (`baseline_score`), and the
share of networks that beat persistence with its exact 95% interval.

Unit of analysis: one trained network (a row). A network beats persistence when its
evaluation R^2 is above the persistence R^2 of its own evaluation set.
"""

import html

import numpy as np
import pandas as pd

from analysis import aggregate, html_table, stats, style


def baseline_rows(df):
    """Rows of the baselines table: one per configuration with a finite persistence score."""
    if "persistence_score" not in df:
        return []
    rows = df[np.isfinite(pd.to_numeric(df["persistence_score"], errors="coerce")
                          .to_numpy(dtype=float, na_value=np.nan))]
    rows = rows[(rows["status"].astype("string") != "error").fillna(True)]
    if rows.empty:
        return []
    varied = aggregate.varied_factors(rows)
    out = []
    for config_id, group in rows.groupby("config_id", sort=True):
        score = pd.to_numeric(group["score"], errors="coerce").to_numpy(float, na_value=np.nan)
        persistence = group["persistence_score"].to_numpy(float)
        beats = int(np.sum(score > persistence))  # a NaN score (diverged) does not beat it
        low, high = stats.rate_interval(beats, len(group))
        first = group.iloc[0]
        out.append({"config_id": config_id, **{f: first[f] for f in varied},
                    "n": len(group), "median_score": float(np.nanmedian(score))
                    if np.isfinite(score).any() else float("nan"),
                    "persistence": float(np.median(persistence)),
                    "mean_baseline": float(pd.to_numeric(group["baseline_score"]).median()),
                    "beats": beats, "ci_low": low, "ci_high": high})
    return out


def section(df):
    """HTML of the baselines table, "" without forecasting rows."""
    rows = baseline_rows(df)
    if not rows:
        return ""
    factors = [k for k in rows[0] if k not in (
        "config_id", "n", "median_score", "persistence", "mean_baseline", "beats", "ci_low",
        "ci_high")]
    headers = ["configuration", *[style.display_name(f) for f in factors], "networks",
               "median R² of the networks", "persistence R²", "mean-predictor R²",
               "beat persistence [95% CI]"]
    body = [[r["config_id"], *[str(r[f]) for f in factors], r["n"],
             style.format_number(r["median_score"]), style.format_number(r["persistence"]),
             style.format_number(r["mean_baseline"]),
             f"{r['beats']} of {r['n']} [{style.format_rate(r['ci_low'])}, "
             f"{style.format_rate(r['ci_high'])}]"] for r in rows]
    return "\n".join([
        '<h2 id="baselines">Forecasting baselines</h2>',
        "<p>" + html.escape(
            "A forecaster that has learned something beats persistence (predicting the last "
            "value of the window); one that gives every window the same output scores about "
            "the mean predictor's R² (0) or below. R² on the evaluation set; intervals are "
            "exact (Clopper-Pearson) over networks.") + "</p>",
        html_table.table(headers, body, text_columns=tuple(range(1 + len(factors)))),
    ])

"""Hydra callback: write the heatmap report when a multirun ends."""

import logging

from hydra.experimental.callback import Callback

log = logging.getLogger(__name__)


class ReportCallback(Callback):
    def on_multirun_end(self, config, **kwargs):
        from analysis.report import write_report  # seaborn is only needed at the end

        path = write_report(config.hydra.sweep.dir)
        print(f"report: {path}")

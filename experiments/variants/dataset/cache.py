"""Datasets made once per (node, seed, eval_fraction) and kept for the jobs that share them."""

import json

from omegaconf import DictConfig, OmegaConf

from experiments.variants.dataset.make import make_dataset


def _plain(cfg_data):
    return (OmegaConf.to_container(cfg_data, resolve=True) if isinstance(cfg_data, DictConfig)
            else cfg_data)


class DatasetCache:
    """Datasets made once and kept, up to about `limit` bytes (the oldest go first).

    The engine trains every job of one (dataset, seed) on one copy, and the blocks of a large
    sweep share their seeds' datasets. A sweep's own process makes each block's datasets and
    hands them to the training process (experiments.sweep.trainer), which then never loads
    scikit-learn.
    """

    def __init__(self, limit=256 << 20):
        self.limit, self.items, self.size = limit, {}, 0

    def get(self, cfg_data, seed, eval_fraction):
        """make_dataset(cfg_data, seed, eval_fraction), made the first time."""
        return self._entry(_plain(cfg_data), seed, eval_fraction)[1]

    def of(self, jobs):
        """{key: Data} of every (cfg, seed) job's dataset, made where missing."""
        nodes, out = {}, {}  # replicates share a config: its dataset node is read once
        for cfg, seed in jobs:
            if id(cfg) not in nodes:
                nodes[id(cfg)] = _plain(cfg.dataset), cfg.eval_fraction
            node, eval_fraction = nodes[id(cfg)]
            key, data = self._entry(node, seed, eval_fraction)
            out[key] = data
        return out

    def _entry(self, cfg_data, seed, eval_fraction):
        """(key, Data) of a plain dataset node for one seed, made the first time."""
        key = json.dumps(["data", cfg_data, int(seed), float(eval_fraction)], sort_keys=True)
        if key not in self.items:
            self.add({key: make_dataset(cfg_data, int(seed), float(eval_fraction))})
        return key, self.items[key][0]

    def add(self, datasets):
        """Keep {key: Data} made elsewhere."""
        for key, data in datasets.items():
            if key in self.items:
                continue
            nbytes = sum(getattr(data, f).nbytes for f in ("x_train", "y_train", "x_eval",
                                                             "y_eval"))
            while self.items and self.size + nbytes > self.limit:
                oldest = next(iter(self.items))
                self.size -= self.items.pop(oldest)[1]
            self.items[key], self.size = (data, nbytes), self.size + nbytes


DATASETS = DatasetCache()

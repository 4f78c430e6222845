"""collapse-doctor: diagnose a saved Keras model on its data; optionally test the fixes.

Example:
    collapse-doctor model.keras --data data.npz --json diagnosis.json --html diagnosis.html
    collapse-doctor model.keras --data data.npz --try-fixes --seeds 5

DATA.npz holds arrays `x` and `y` (np.savez("data.npz", x=x, y=y)), the training data as you
have it. Exit status 0 after a diagnosis (collapsed or not; read "collapsed" in the JSON),
2 with one line on stderr for input the doctor cannot use.
"""

import argparse
import json
import os
import sys
import time
import zipfile
from pathlib import Path

EXIT_BAD_INPUT = 2


class BadInput(Exception):
    """A problem with the command's input: printed as one line, exit status 2."""


def parse_args(argv):
    parser = argparse.ArgumentParser(
        prog="collapse-doctor",
        description="Why does my network give the same output for every input? Diagnoses a "
                    "saved Keras model on its training data.")
    parser.add_argument("model", help="saved Keras model (.keras, or legacy .h5)")
    parser.add_argument("--data", required=True, help=".npz file with arrays x and y")
    parser.add_argument("--json", metavar="OUT.json", help="write the diagnosis as JSON "
                        "('-' for stdout)")
    parser.add_argument("--html", metavar="OUT.html", help="write the diagnosis as HTML")
    parser.add_argument("--try-fixes", action="store_true",
                        help="retrain copies with one change each and report which changes "
                             "remove the collapse")
    parser.add_argument("--seeds", type=int, default=5, help="copies per change (default 5)")
    parser.add_argument("--epochs", type=int, default=20, help="epochs per copy (default 20)")
    parser.add_argument("--batch-size", type=int, default=32, help="batch size (default 32)")
    parser.add_argument("--threshold", type=float, default=0.01,
                        help="rel_output_std below this is output collapse (default 0.01)")
    args = parser.parse_args(argv)
    for name in ("seeds", "epochs", "batch_size"):
        if getattr(args, name) < 1:
            parser.error(f"--{name.replace('_', '-')} must be >= 1")
    if not args.threshold > 0:
        parser.error("--threshold must be > 0")
    return args


def load_data(path):
    """(x, y) from an .npz file, or BadInput naming what is wrong."""
    import numpy as np

    if not os.path.isfile(path):
        raise BadInput(f"data file {path} does not exist")
    try:
        with np.load(path, allow_pickle=False) as arrays:
            names = list(arrays.files)
            missing = [k for k in ("x", "y") if k not in names]
            if missing:
                raise BadInput(f"{path} has no array {' or '.join(repr(m) for m in missing)} "
                               f"(arrays: {', '.join(names) or 'none'}); save it with "
                               "np.savez(path, x=x, y=y)")
            return arrays["x"], arrays["y"]
    except (OSError, ValueError, zipfile.BadZipFile, EOFError) as exc:
        raise BadInput(f"cannot read {path} as .npz: {_first_line(exc)}") from exc


def import_tensorflow_quietly():
    """Import Keras and TensorFlow with stderr (file descriptor 2) silenced.

    TensorFlow's C++ start-up messages ignore TF_CPP_MIN_LOG_LEVEL in recent versions; they
    would bury the one line the doctor prints about bad input.
    """
    saved, devnull = os.dup(2), os.open(os.devnull, os.O_WRONLY)
    sys.stderr.flush()
    os.dup2(devnull, 2)
    try:
        import keras  # noqa: F401
        import tensorflow as tf

        tf.constant(0.0) + 1.0  # the first op loads the remaining kernels (and their messages)
    finally:
        sys.stderr.flush()
        os.dup2(saved, 2)
        os.close(saved)
        os.close(devnull)


def load_model(path):
    """The Keras model at `path`, or BadInput."""
    if not os.path.isfile(path):
        raise BadInput(f"model file {path} does not exist")
    if path.endswith(".keras") and not zipfile.is_zipfile(path):
        raise BadInput(f"cannot load {path} as a Keras model: not a .keras (zip) archive")
    import_tensorflow_quietly()
    import keras

    try:
        return keras.saving.load_model(path)
    except Exception as exc:  # Keras raises many kinds for a file it cannot read
        raise BadInput(f"cannot load {path} as a Keras model: {type(exc).__name__}: "
                       f"{_first_line(exc)}") from exc


def _first_line(exc):
    text = str(exc).strip().splitlines()
    return text[0][:200] if text else type(exc).__name__


def run(args):
    """Diagnose (and test fixes); returns the report dict."""
    x, y = load_data(args.data)
    model = load_model(args.model)
    from experiments.doctor import evidence as ev
    from experiments.doctor.diagnosis import diagnose, jsonable

    try:
        facts = ev.model_facts(model)
        report = diagnose(model, x, y, threshold=args.threshold, facts=facts)
    except ev.DoctorInputError as exc:
        raise BadInput(str(exc)) from exc
    except Exception as exc:  # the last guard: one line, never a traceback
        raise BadInput(f"could not measure this model on this data ({type(exc).__name__}: "
                       f"{_first_line(exc)}); please report it with the model") from exc
    if args.try_fixes:
        from experiments.doctor.fixes import EVAL_FRACTION, SMALL_DATA, try_fixes

        start = time.perf_counter()
        try:
            results, notes = try_fixes(model, x, y, seeds=args.seeds, epochs=args.epochs,
                                       batch_size=args.batch_size, threshold=args.threshold,
                                       facts=facts)
        except Exception as exc:  # a copy Keras cannot train: say so in one line
            raise BadInput(f"--try-fixes could not train copies of this model "
                           f"({type(exc).__name__}: {_first_line(exc)})") from exc
        eval_rows = len(x) if len(x) < SMALL_DATA else int(round(len(x) * EVAL_FRACTION))
        report["fixes"] = jsonable({
            "results": results, "notes": notes, "seeds": args.seeds, "epochs": args.epochs,
            "batch_size": args.batch_size, "eval_rows": eval_rows,
            "seconds": round(time.perf_counter() - start, 1)})
    return report


def main(argv=None):
    """The command; returns its exit status: 0, 2 for bad input, 1 when --json or --html
    cannot be written, 130 (143) when interrupted (Ctrl-C, SIGTERM): one line on stderr each,
    and no half-written file."""
    from experiments import faults
    from experiments.storage import atomic

    if argv is None:  # the command itself: SIGTERM stops it like Ctrl-C
        faults.terminate_as_interrupt()
    args = parse_args(sys.argv[1:] if argv is None else argv)
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")  # no TensorFlow start-up chatter
    try:
        report = run(args)
    except BadInput as exc:
        print(f"collapse-doctor: error: {exc}", file=sys.stderr)
        return EXIT_BAD_INPUT
    except KeyboardInterrupt as interrupt:
        what = "trying fixes" if args.try_fixes else "diagnosing"
        print(f"collapse-doctor: interrupted while {what}; nothing was written",
              file=sys.stderr)
        return faults.exit_status(interrupt)
    from experiments.doctor.report import render_html, render_text

    text = json.dumps(report, indent=2)
    if args.json == "-":
        print(text)
    else:
        print(render_text(report))
    try:
        if args.json and args.json != "-":
            atomic.write_text(args.json, text + "\n")
        if args.html:
            atomic.write_text(args.html, render_html(
                report, title=f"collapse-doctor: {Path(args.model).name}"))
    except OSError as exc:
        print(f"collapse-doctor: error: {exc}; nothing was written under that name",
              file=sys.stderr)
        return faults.EXIT_FAILED
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""Render a claims report in headless Chromium: the claims table is there and every figure loads.

Chromium is required, not optional: when it is missing, tests/chromium.py installs Debian's
package (as root, with apt-get, as on CI and a fresh Debian machine); otherwise these tests fail
with a message saying how to install it. Set CHROMIUM to use a browser at another path.
"""

import re
import struct
import subprocess

import pytest

from analysis.report import write_report
from tests import chromium
from tests.test_claims import EXPECTED_VERDICTS, write_claims_sweep

WINDOW = (1366, 900)  # a laptop screen
TIMEOUT_S = 180


def find_chromium():
    """Path of the Chromium executable (tests/chromium.py: found, or installed)."""
    try:
        return chromium.find_or_install()
    except chromium.ChromiumMissing as exc:
        pytest.fail(f"{exc}. This test must not be skipped.", pytrace=False)


def run_chromium(tmp_path, *args):
    """Run headless Chromium with a fresh profile; returns the completed process."""
    command = [
        find_chromium(),
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--hide-scrollbars",
        f"--user-data-dir={tmp_path / 'chromium-profile'}",
        f"--window-size={WINDOW[0]},{WINDOW[1]}",
        "--virtual-time-budget=5000",
        *args,
    ]
    done = subprocess.run(command, capture_output=True, text=True, timeout=TIMEOUT_S, check=False)
    assert done.returncode == 0, f"chromium failed ({done.returncode}): {done.stderr[-2000:]}"
    return done


@pytest.fixture(scope="module")
def report(tmp_path_factory):
    folder = tmp_path_factory.mktemp("browser")
    return write_report(write_claims_sweep(folder / "sweep"))


def test_dom_shows_claims_table_and_every_image_loads(report, tmp_path):
    dom = run_chromium(tmp_path, "--dump-dom", report.resolve().as_uri()).stdout
    body = re.search(r"<body([^>]*)>", dom)
    assert body, "no <body> in the dumped DOM"
    total = re.search(r'data-images-total="(\d+)"', body.group(1))
    loaded = re.search(r'data-images-loaded="(\d+)"', body.group(1))
    assert total and loaded, "the page's load script did not run"
    n_images = report.read_text(encoding="utf-8").count("<img")
    assert int(total.group(1)) == n_images > 0
    assert int(loaded.group(1)) == n_images, "some embedded figures did not decode"
    assert 'id="claims-table"' in dom
    blocks = dom[dom.index('id="claims-table"') : dom.index('id="verdict-rule"')]
    # each claim's folded block opens with its text and its verdict
    verdicts = re.findall(r'<details class="claim"><summary><strong>.*?</strong> '
                          r'<span class="verdict [^"]*">(.*?)</span>', blocks)
    assert verdicts == list(EXPECTED_VERDICTS.values())
    first_heading = re.search(r"<h2>(.*?)</h2>", dom).group(1)
    assert first_heading == "Claims: what the measurements say"


def test_screenshot_on_a_laptop_screen(report, tmp_path):
    shot = tmp_path / "report.png"
    run_chromium(tmp_path, f"--screenshot={shot}", report.resolve().as_uri())
    data = shot.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    width, height = struct.unpack(">II", data[16:24])
    assert (width, height) == WINDOW
    assert len(data) > 20_000  # a rendered page, not a blank one

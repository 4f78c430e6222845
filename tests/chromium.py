"""Find headless Chromium for the browser tests, installing Debian's package if it is missing.

`pytest` on a fresh Debian machine needs no step of its own: when no browser is found and the
tests run as root with apt-get (as CI does), `find_or_install()` runs
`apt-get update && apt-get install -y chromium` once and uses /usr/bin/chromium. Otherwise it
says how to install it. `CHROMIUM=/path/to/browser` chooses another browser; `CHROMIUM_INSTALL=0`
forbids the installation.
"""

import os
import shutil
import subprocess

BROWSER_NAMES = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")
INSTALL = (["apt-get", "update", "-qq"], ["apt-get", "install", "-y", "-qq", "chromium"])
INSTALL_TIMEOUT_S = 900


class ChromiumMissing(RuntimeError):
    """No browser, and none could be installed; the message says what to do."""


def _on_path():
    for name in BROWSER_NAMES:
        path = shutil.which(name)
        if path:
            return path
    return None


def can_install():
    """Root, with apt-get, and not forbidden by CHROMIUM_INSTALL=0."""
    return (os.environ.get("CHROMIUM_INSTALL", "1") != "0" and hasattr(os, "geteuid")
            and os.geteuid() == 0 and shutil.which("apt-get") is not None)


def find_or_install():
    """Path of a Chromium executable: $CHROMIUM, a browser on PATH, or Debian's, installed.

    Raises:
        ChromiumMissing: none found and none installed (the message says how to get one).
    """
    configured = os.environ.get("CHROMIUM")
    if configured:
        if shutil.which(configured):
            return shutil.which(configured)
        raise ChromiumMissing(f"CHROMIUM={configured} is not an executable file")
    path = _on_path()
    if path:
        return path
    how = ("install it with `apt-get install -y chromium` (as root) or set "
           "CHROMIUM=/path/to/chromium")
    if not can_install():
        raise ChromiumMissing(f"Chromium not found (looked for $CHROMIUM, then "
                              f"{', '.join(BROWSER_NAMES)} on PATH): {how}")
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    for step in INSTALL:
        done = subprocess.run(step, capture_output=True, text=True, env=env,
                              timeout=INSTALL_TIMEOUT_S, check=False)
        if done.returncode != 0:
            raise ChromiumMissing(f"Chromium not found, and `{' '.join(step)}` failed "
                                  f"({done.returncode}): {done.stderr.strip()[-500:]}; {how}")
    path = _on_path()
    if not path:
        raise ChromiumMissing(f"apt-get installed chromium but no browser is on PATH; {how}")
    return path

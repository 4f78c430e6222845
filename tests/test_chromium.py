"""The browser tests find Chromium, or install Debian's package, on a machine without it."""

import os
import stat

import pytest

from tests import chromium

FAKE_APT = """#!/bin/sh
echo "$@" >> "{log}"
if [ "$1" = install ]; then
  printf '#!/bin/sh\\necho fake chromium\\n' > "{installed}/chromium"
  /bin/chmod +x "{installed}/chromium"
fi
"""


@pytest.fixture
def fresh_machine(tmp_path, monkeypatch):
    """PATH with a fake apt-get that 'installs' chromium into a folder that is on PATH."""
    bin_dir, installed = tmp_path / "bin", tmp_path / "installed"
    bin_dir.mkdir()
    installed.mkdir()
    apt = bin_dir / "apt-get"
    apt.write_text(FAKE_APT.format(log=tmp_path / "apt.log", installed=installed))
    apt.chmod(apt.stat().st_mode | stat.S_IXUSR)
    monkeypatch.setenv("PATH", f"{bin_dir}{os.pathsep}{installed}")
    monkeypatch.delenv("CHROMIUM", raising=False)
    monkeypatch.delenv("CHROMIUM_INSTALL", raising=False)
    return tmp_path


def test_missing_chromium_is_installed_with_apt_get_as_root(fresh_machine, monkeypatch):
    monkeypatch.setattr(os, "geteuid", lambda: 0)
    path = chromium.find_or_install()
    assert path == str(fresh_machine / "installed" / "chromium")
    assert (fresh_machine / "apt.log").read_text().splitlines() == [
        "update -qq", "install -y -qq chromium"]


def test_without_root_the_message_says_how_to_install(fresh_machine, monkeypatch):
    monkeypatch.setattr(os, "geteuid", lambda: 1000)
    with pytest.raises(chromium.ChromiumMissing, match="apt-get install -y chromium"):
        chromium.find_or_install()
    assert not (fresh_machine / "apt.log").exists()


def test_a_browser_on_path_is_used_as_it_is(fresh_machine, monkeypatch):
    monkeypatch.setattr(os, "geteuid", lambda: 0)
    browser = fresh_machine / "installed" / "chromium"
    browser.write_text("#!/bin/sh\n")
    browser.chmod(0o755)
    assert chromium.find_or_install() == str(browser)
    assert not (fresh_machine / "apt.log").exists()

"""Packaging: the backend profiles live once, in the project's top-level ``backends/``,
and every way of running arraygrad finds them.

* a source checkout (``python -m pytest`` from the repository root imports
  ``./arraygrad`` directly) and an editable install read ``backends/`` itself;
* a wheel carries them as ``arraygrad/_profiles/`` (pyproject.toml maps the folder
  there), and nothing else in the wheel restates a profile.

The builds run on a copy of the checkout's files in a temporary folder: building in
place would leave ``build/`` and ``arraygrad.egg-info/`` in the checkout, and a stale
``build/lib`` from an earlier layout could slip old files into the wheel.
"""
from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import sysconfig
import tarfile
import zipfile
from pathlib import Path

import pytest

import arraygrad
from arraygrad.backends import INSTALLED_PROFILES, profile_dir

REPO = Path(__file__).resolve().parents[1]
PROFILES = sorted((REPO / "backends").glob("*.toml"))
NAMES = sorted(p.stem for p in PROFILES)
# What a build could leave in the checkout.
ARTEFACTS = ("build", "dist", "*.egg-info", "arraygrad/*.egg-info",
             f"arraygrad/{INSTALLED_PROFILES}")

# Prints where arraygrad was imported from and what it found, as JSON.
PROBE = ("import json, arraygrad; from arraygrad import backends as b; "
         "print(json.dumps({'package': arraygrad.__file__, 'dir': str(b.profile_dir()), "
         "'names': sorted(arraygrad.backend.profiles())}))")


def _source_files() -> list[Path]:
    """The checkout's files as a fresh clone (plus new, unignored files) would have
    them: what git tracks or would track, never build outputs or caches."""
    if shutil.which("git") and (REPO / ".git").exists():
        out = subprocess.run(["git", "ls-files", "-z", "--cached", "--others",
                              "--exclude-standard"], cwd=REPO, capture_output=True,
                             check=True).stdout
        files = [REPO / name for name in out.decode().split("\0") if name]
    else:  # pragma: no cover - a source tree without git
        files = [REPO / "pyproject.toml", REPO / "README.md", *PROFILES,
                 *(REPO / "arraygrad").rglob("*.py")]
    return [f for f in files if f.is_file() and "__pycache__" not in f.parts]


def _copy_source(dest: Path) -> Path:
    for f in _source_files():
        target = dest / f.relative_to(REPO)
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(f, target)
    return dest


def _artefacts() -> dict[str, int]:
    """Every path a build could leave in the checkout, with its modification time."""
    found = {}
    for pattern in ARTEFACTS:
        for top in REPO.glob(pattern):
            for p in [top, *top.rglob("*")]:
                found[str(p.relative_to(REPO))] = p.stat().st_mtime_ns
    return found


def _build(kind: str, src: Path, out: Path) -> Path:
    """Build ``kind`` ("editable" or "sdist") of the source copy ``src`` into ``out``
    with setuptools' PEP 517 backend, as a frontend would."""
    _run([sys.executable, "-c", "import sys; from setuptools import build_meta; "
          f"build_meta.build_{kind}(sys.argv[1])", str(out)], cwd=src)
    return out


def _run(args, cwd, env=None, timeout=120):
    done = subprocess.run(args, cwd=cwd, env=env, capture_output=True, text=True,
                          timeout=timeout)
    assert done.returncode == 0, f"{args} failed:\n{done.stdout}\n{done.stderr}"
    return done.stdout


def _probe(args, cwd, env) -> dict:
    return json.loads(_run([sys.executable, *args, "-c", PROBE], cwd, env).splitlines()[-1])


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    """The wheel, built from a copy of the checkout; and the checkout's build
    artefacts before and after."""
    before = _artefacts()
    src = _copy_source(tmp_path_factory.mktemp("src"))
    out = tmp_path_factory.mktemp("wheel")
    _run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation",
          "--no-index", "--disable-pip-version-check", "-q", "-w", str(out), str(src)],
         cwd=out)
    (wheel,) = out.glob("arraygrad-*.whl")
    return wheel, before, _artefacts()


def test_checkout_reads_the_top_level_backends_folder():
    if Path(arraygrad.__file__).resolve().parent != REPO / "arraygrad":
        pytest.skip("arraygrad is not imported from this checkout")
    assert PROFILES, "no profiles in backends/"
    assert profile_dir() == REPO / "backends"
    assert sorted(arraygrad.backend.profiles()) == NAMES
    # Nothing inside the package restates a profile.
    assert not list((REPO / "arraygrad").rglob("*.toml"))


def test_missing_profiles_say_where_they_were_looked_for(tmp_path):
    package = tmp_path / "arraygrad"
    package.mkdir()
    with pytest.raises(FileNotFoundError, match="profiles are missing.*_profiles"):
        profile_dir(package)
    # A "backends" folder beside the package counts only in a source tree.
    (tmp_path / "backends").mkdir()
    with pytest.raises(FileNotFoundError, match="profiles are missing"):
        profile_dir(package)
    (tmp_path / "pyproject.toml").touch()
    assert profile_dir(package) == tmp_path / "backends"
    # The installed folder wins.
    (package / INSTALLED_PROFILES).mkdir()
    assert profile_dir(package) == package / INSTALLED_PROFILES


def test_wheel_carries_each_profile_once_where_the_loader_looks(built):
    wheel, _, _ = built
    with zipfile.ZipFile(wheel) as z:
        names = set(z.namelist())
        tomls = {n for n in names if n.endswith(".toml")}
        expected = {f"arraygrad/{INSTALLED_PROFILES}/{p.name}" for p in PROFILES}
        assert tomls == expected
        for p in PROFILES:
            assert z.read(f"arraygrad/{INSTALLED_PROFILES}/{p.name}") == p.read_bytes()
    assert not any(n.startswith("backends/") for n in names)
    # pyproject.toml lists the packages: every module of the checkout must be there.
    modules = {f.relative_to(REPO).as_posix() for f in _source_files()
               if f.suffix == ".py" and f.relative_to(REPO).parts[0] == "arraygrad"}
    assert modules and modules <= names, sorted(modules - names)


def test_installed_wheel_loads_the_profiles(built, tmp_path):
    wheel, _, _ = built
    site = tmp_path / "site"
    with zipfile.ZipFile(wheel) as z:
        z.extractall(site)
    env = {**os.environ, "PYTHONPATH": str(site)}
    # From a folder outside the checkout, so that only the unpacked wheel provides
    # arraygrad (PYTHONPATH comes before site-packages and its editable finder).
    found = _probe([], cwd=tmp_path, env=env)
    assert Path(found["package"]).resolve() == (site / "arraygrad" / "__init__.py").resolve()
    assert Path(found["dir"]).resolve() == (site / "arraygrad" / INSTALLED_PROFILES).resolve()
    assert found["names"] == NAMES


def test_editable_install_reads_the_source_backends_folder(tmp_path):
    src = _copy_source(tmp_path / "src")
    out = tmp_path / "editable"
    (wheel,) = _build("editable", src, out).glob("arraygrad-*.whl")
    site = tmp_path / "site"
    with zipfile.ZipFile(wheel) as z:
        z.extractall(site)
    # -S: no site-packages processing, so this environment's own editable install of
    # arraygrad stays out; the dependencies come from its site-packages as plain paths,
    # after the editable wheel's folder (its finder module has the same name as this
    # environment's), whose .pth then installs its finder.
    paths = [str(site), *(sysconfig.get_paths()[k] for k in ("purelib", "platlib"))]
    setup = (f"import sys, site; sys.path[1:1] = {paths!r}; "
             f"site.addsitedir({str(site)!r}); ")
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    found = json.loads(_run([sys.executable, "-S", "-c", setup + PROBE], tmp_path, env)
                       .splitlines()[-1])
    assert Path(found["package"]).resolve() == (src / "arraygrad" / "__init__.py").resolve()
    assert Path(found["dir"]).resolve() == (src / "backends").resolve()
    assert found["names"] == NAMES


def test_sdist_carries_the_backends_folder(tmp_path):
    """``python -m build`` makes the wheel from the sdist: it must hold backends/."""
    src = _copy_source(tmp_path / "src")
    out = tmp_path / "sdist"
    (sdist,) = _build("sdist", src, out).glob("arraygrad-*.tar.gz")
    with tarfile.open(sdist) as t:
        members = {m.name.split("/", 1)[1] for m in t.getmembers() if "/" in m.name}
    assert {f"backends/{p.name}" for p in PROFILES} <= members
    assert not any(m.startswith("arraygrad/") and m.endswith(".toml") for m in members)


def test_building_leaves_the_checkout_clean(built):
    _, before, after = built
    assert after == before

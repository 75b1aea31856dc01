"""The GPU scripts run on a machine that reaches no package index (issue 16): their
shared set-up (benchmarks/gpu_env.sh) installs the pinned pure-Python wheels from
``.whl/`` with pip --no-index into ``.gpu-site/``, imports arraygrad from the checkout
and takes a gradient on NumPy; with no CuPy it stops with a clear message.

Each test works on a copy of the needed part of the tree in a temporary folder (the
clone stays clean), with PIP_NO_INDEX=1 and a dead proxy, so that any index access
would fail. The wheels are the real ones from the clone's ``.whl/`` when
``bash benchmarks/fetch_wheels.sh`` has filled it; else (a clean clone, no network)
they are packed from the installed distributions of the pinned versions, the files
pip had unpacked from those same wheels."""
from __future__ import annotations

import importlib.metadata
import os
import re
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
BASH = shutil.which("bash")
SCRIPTS = ["benchmarks/gpu_env.sh", "benchmarks/run_gpu.sh", "conformance/run_gpu.sh"]

pytestmark = pytest.mark.skipif(BASH is None or shutil.which("timeout") is None,
                                reason="the GPU scripts need bash and coreutils' timeout")


def _pins() -> list[tuple[str, str, str]]:
    """(name, version, marker) of each GPU_WHEELS entry of gpu_env.sh."""
    out = subprocess.run([BASH, "-c", '. "$1"; printf "%s\\n" "${GPU_WHEELS[@]}"', "-",
                          str(ROOT / "benchmarks/gpu_env.sh")],
                         capture_output=True, text=True, check=True, timeout=30).stdout
    pins = []
    for line in out.splitlines():
        m = re.fullmatch(r"([A-Za-z0-9_.-]+)==([^;\s]+)\s*(?:;\s*(.*))?", line.strip())
        assert m, f"unpinned entry in GPU_WHEELS: {line!r}"
        pins.append((m[1], m[2], m[3] or ""))
    return pins


def _marker_holds(marker: str) -> bool:
    if not marker:
        return True
    m = re.fullmatch(r"python_version\s*<\s*'(\d+)\.(\d+)'", marker)
    assert m, f"a marker this test cannot read: {marker!r}"
    return sys.version_info[:2] < (int(m[1]), int(m[2]))


def _wheel_name(name: str, version: str) -> str:
    return f"{re.sub(r'[-_.]+', '_', name).lower()}-{version}-py3-none-any.whl"


def _pack_installed(name: str, version: str, dest: Path) -> None:
    """A wheel of the installed distribution ``name`` (its files and .dist-info)."""
    try:
        dist = importlib.metadata.distribution(name)
    except importlib.metadata.PackageNotFoundError:
        pytest.skip(f"no {name} in .whl/ nor installed here: "
                    f"run bash benchmarks/fetch_wheels.sh")
    if dist.version != version:
        pytest.skip(f"no {name} in .whl/, and the installed {name} {dist.version} is not "
                    f"the pinned {version}: run bash benchmarks/fetch_wheels.sh")
    with zipfile.ZipFile(dest / _wheel_name(name, version), "w") as z:
        for f in dist.files or ():
            path = Path(dist.locate_file(f))
            if ".." not in f.parts and "__pycache__" not in f.parts and path.is_file():
                z.write(path, f.as_posix())


@pytest.fixture(scope="module")
def tree(tmp_path_factory) -> Path:
    """A copy of what the scripts need, with the pinned wheels in its .whl/."""
    tmp = tmp_path_factory.mktemp("gpu-offline")
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc")
    shutil.copytree(ROOT / "arraygrad", tmp / "arraygrad", ignore=ignore)
    shutil.copytree(ROOT / "backends", tmp / "backends", ignore=ignore)
    shutil.copy(ROOT / "pyproject.toml", tmp)
    for script in SCRIPTS:
        (tmp / script).parent.mkdir(exist_ok=True)
        shutil.copy(ROOT / script, tmp / script)
    wheels = tmp / ".whl"
    wheels.mkdir()
    for name, version, marker in _pins():
        fetched = ROOT / ".whl" / _wheel_name(name, version)
        if fetched.is_file():
            shutil.copy(fetched, wheels)
        elif _marker_holds(marker):
            _pack_installed(name, version, wheels)
    return tmp


def _run(tree: Path, script: str, *args: str, python: str = sys.executable,
         path_prefix: str | None = None) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("PIP_", "PYTHON")) and k.lower() not in
           ("http_proxy", "https_proxy", "all_proxy", "no_proxy", "virtual_env")}
    dead = "http://127.0.0.1:9"
    env.update(PIP_NO_INDEX="1", PIP_INDEX_URL=dead + "/simple", http_proxy=dead,
               https_proxy=dead, HTTP_PROXY=dead, HTTPS_PROXY=dead, PYTHON=python)
    if path_prefix:
        env["PATH"] = path_prefix + os.pathsep + env.get("PATH", "")
    return subprocess.run([BASH, str(tree / script), *args], cwd=tree, env=env,
                          capture_output=True, text=True, timeout=120)


def test_setup_installs_from_whl_and_imports_from_the_checkout(tree):
    first = _run(tree, "benchmarks/run_gpu.sh", "--check-setup")
    assert first.returncode == 0, first.stdout + first.stderr
    site = tree / ".gpu-site" / f"py{sys.version_info[0]}.{sys.version_info[1]}"
    assert f"installed from {tree / '.whl'} into {site} (no index)" in first.stdout
    # The pinned copies win over this Python's own (PYTHONPATH before site-packages).
    assert f"array_api_compat {_pins()[0][1]} from {site / 'array_api_compat'}" \
        in first.stdout
    assert "gpu_env: threadpoolctl " in first.stdout and "set-up ok" in first.stdout
    assert f"arraygrad from {tree / 'arraygrad'}, backend profiles from " \
           f"{tree / 'backends'}" in first.stdout
    # The second script reuses the installed folder and checks its own module.
    second = _run(tree, "conformance/run_gpu.sh", "--check-setup")
    assert second.returncode == 0, second.stdout + second.stderr
    assert "installed from" not in second.stdout
    assert "gpu_env: hypothesis " in second.stdout and "set-up ok" in second.stdout


def test_no_cupy_fails_clearly_without_installing(tree, tmp_path):
    try:
        import cupy  # noqa: F401
        pytest.skip("CuPy is installed here: the run would start")
    except ImportError:
        pass
    fake = tmp_path / "bin"
    fake.mkdir()
    (fake / "nvidia-smi").write_text(
        '#!/bin/sh\nif [ "$#" -gt 0 ]; then echo "Fake GPU"; else '
        'echo "| NVIDIA-SMI 580.00   Driver Version: 580.00   CUDA Version: 13.0 |"; fi\n')
    (fake / "nvidia-smi").chmod(0o755)
    for script in ("benchmarks/run_gpu.sh", "conformance/run_gpu.sh"):
        done = _run(tree, script, path_prefix=str(fake))
        assert done.returncode == 3, done.stdout + done.stderr
        assert "CuPy is missing" in done.stderr and "install cupy-cuda13x" in done.stderr


def test_no_wheels_and_no_packages_says_what_to_do(tmp_path):
    """Without .whl/ and with a Python that lacks the packages (here: no site-packages),
    the set-up stops and names fetch_wheels.sh."""
    (tmp_path / "benchmarks").mkdir()
    shutil.copy(ROOT / "benchmarks/gpu_env.sh", tmp_path / "benchmarks")
    bare = tmp_path / "python-without-site"
    bare.write_text(f'#!/bin/sh\nexec "{sys.executable}" -S "$@"\n')
    bare.chmod(0o755)
    done = _run(tmp_path, "benchmarks/gpu_env.sh", python=str(bare))
    assert done.returncode == 3, done.stdout + done.stderr
    assert "bash benchmarks/fetch_wheels.sh" in done.stderr
    assert "Nothing is installed from an index" in done.stderr


def test_scripts_call_no_index():
    """Every pip install in the GPU scripts (commands and messages alike) is --no-index."""
    for script in SCRIPTS:
        code = [line.split("#")[0] for line in (ROOT / script).read_text().splitlines()]
        text = "\n".join(code).replace("\\\n", " ")
        for command in re.findall(r"pip\b[^\n]*\binstall\b[^\n]*", text):
            assert "--no-index" in command, (script, command)

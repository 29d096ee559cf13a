"""What a report was built from: input fingerprints, code version, package versions.

The fingerprint decides whether a client's report must be rebuilt: it covers the
client's configuration and processed data (whose manifest carries the raw files'
hashes), the notebooks, the kit's code and report template, and the versions of
the packages that compute and render the numbers.
"""

from __future__ import annotations

import hashlib
import platform
from importlib import metadata
from pathlib import Path

from helpers import __version__, paths

KIT_DIR = Path(__file__).resolve().parents[1]  # the installed helpers package
#: what a report needs besides code, shipped as package data (in a checkout: links to notebooks/ and templates/)
ASSETS_DIR = KIT_DIR / "report" / "assets"
TEMPLATE_DIR = ASSETS_DIR / "templates"
NOTEBOOK_DIR = ASSETS_DIR / "notebooks"
PACKAGES = ("tpkit", "pandas", "numpy", "scipy", "statsmodels", "matplotlib", "seaborn", "ibis-framework",
            "duckdb", "pyarrow", "pandera", "papermill", "nbconvert", "nbformat", "ipykernel")


def _hash_files(h: "hashlib._Hash", files: list[Path], base: Path) -> None:
    for f in sorted(files):
        h.update(f.relative_to(base).as_posix().encode() + b"\0")
        with f.open("rb") as fh:
            for block in iter(lambda: fh.read(1 << 20), b""):
                h.update(block)
        h.update(b"\0")


def _files(folder: Path, pattern: str = "**/*") -> list[Path]:
    if not folder.is_dir():
        return []
    return [p for p in folder.glob(pattern)
            if p.is_file() and "__pycache__" not in p.parts and not p.name.startswith(".")]


def code_hash(template_dir: Path | None = None) -> str:
    """sha256 of the kit's Python code, its resources and the report template."""
    h = hashlib.sha256()
    # the report assets (template, notebooks) are links in a checkout and files in a wheel: the template is
    # hashed below, the notebooks by the fingerprint, so the code digest is the same however the kit is installed
    code = [p for p in _files(KIT_DIR) if p.suffix in (".py", ".txt", ".json", ".yml", ".yaml")
            and ASSETS_DIR not in p.parents]
    _hash_files(h, code, KIT_DIR)
    if template_dir is not None:
        _hash_files(h, _files(template_dir), template_dir)
    return h.hexdigest()


def data_hash(client: str, root: Path) -> str:
    """sha256 of client.yml and everything in processed/ (the manifest holds the raw files' hashes)."""
    from helpers import data

    h = hashlib.sha256()
    cdir = paths.client_dir(client, root)
    try:
        store = data.storage(client, root)
    except Exception:  # an invalid client.yml fails later with its own message; hash the default folder meanwhile
        store = None
    local = store.local if store is not None else paths.processed_dir(client, root)
    logo_files = [p for p in _files(cdir) if p.parent == cdir and p.suffix.lower() in (".png", ".svg", ".jpg", ".jpeg")]
    _hash_files(h, [f for f in [cdir / "client.yml", *logo_files] if f.is_file()], cdir)
    if local is not None:  # the processed tables, wherever the local storage folder is
        h.update(b"processed\0")
        _hash_files(h, _files(local), local)
    if store is not None and store.local is None:  # tables at a remote URI: their names, sizes and times
        h.update(repr(store.stamp()).encode())
    return h.hexdigest()


def package_versions() -> dict[str, str]:
    out = {"python": platform.python_version()}
    for name in PACKAGES:
        try:
            out[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            continue
    return out


def code_version() -> str:
    """The kit's version and a digest of its code and report template.

    The same code gives the same text whether the kit runs from a checkout or from
    an installed wheel, so a report does not change with how the kit was installed.
    """
    return f"tpkit {__version__} (code {code_hash(TEMPLATE_DIR)[:12]})"


def fingerprint(client: str, period: str, root: Path, notebooks: list[Path], code: str, versions: dict) -> str:
    """One hash of everything that can change a client's report for a period."""
    h = hashlib.sha256()
    h.update(f"{client}\0{period}\0{root}\0{code}\0".encode())
    h.update(repr(sorted(versions.items())).encode())
    h.update(data_hash(client, root).encode())
    for nb in notebooks:
        h.update(nb.name.encode() + b"\0" + nb.read_bytes() + b"\0")
    return h.hexdigest()

"""tools/package.py on a small stand-in for chalice's zip: what it leaves out, the bytecode it
adds, and extension modules that still load with their symbol tables blanked.
(tests/e2e/test_package.py builds the real zip.)"""

from __future__ import annotations

import io
import json
import struct
import subprocess
import sys
import zipfile
from pathlib import Path

import _cffi_backend
import pytest

from tools import package

CFFI_BACKEND = Path(_cffi_backend.__file__)
HOST = {0x3E: "x86_64", 0xB7: "arm64"}.get(package.machine(CFFI_BACKEND.read_bytes()) or 0)


SYMTAB = 2


def section_types(elf: bytes) -> list[int]:
    (shoff,) = struct.unpack_from("<Q", elf, 0x28)
    shentsize, shnum = struct.unpack_from("<HH", elf, 0x3A)
    return [struct.unpack_from("<I", elf, shoff + i * shentsize + 4)[0] for i in range(shnum)]


def chalice_zip() -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("app.py", "from chalicelib import words\nVALUE = words.WORD\n")
        zf.writestr("chalicelib/__init__.py", "")
        zf.writestr("chalicelib/words.py", "WORD = 'ok'\n")
        zf.writestr("chalicelib/locales/nl/LC_MESSAGES/messages.po", "msgid ''\n")
        zf.writestr("chalicelib/locales/nl/LC_MESSAGES/messages.mo", b"\xde\x12\x04\x95")
        zf.writestr("cffi/__init__.py", "")
        zf.writestr("pycparser/c_parser.py", "")
        zf.writestr("cffi-2.1.1.dist-info/METADATA", "Name: cffi\n")
        zf.writestr("segno-1.6.6.data/data/share/man/man1/segno.1", "")
        zf.writestr("segno/cli.py", "")
        zf.writestr("fido2/server.py", "")
        zf.writestr("fido2/client/__init__.py", "")
        zf.writestr("fido2/public_suffix_list.dat", "com\n" * 1000)
        zf.writestr("cryptography/py.typed", "")
        zf.writestr("cryptography/x509.pyi", "")
        zf.write(CFFI_BACKEND, CFFI_BACKEND.name)
    return out.getvalue()


@pytest.fixture(scope="module")
def shipped() -> zipfile.ZipFile:
    if HOST is None:
        pytest.skip("no Lambda architecture for this machine")
    return zipfile.ZipFile(io.BytesIO(package.rebuild(chalice_zip(), HOST)))


def test_what_never_loads_is_left_out(shipped):
    names = shipped.namelist()
    assert not [n for n in names if n.startswith(("cffi/", "pycparser/", "fido2/client/"))]
    assert not [n for n in names if ".dist-info/" in n or ".data/" in n]
    assert not [n for n in names if n.endswith((".pyi", "py.typed", ".po", "segno/cli.pyc"))]
    assert "chalicelib/locales/nl/LC_MESSAGES/messages.mo" in names
    assert len(shipped.read("fido2/public_suffix_list.dat")) < 200


def test_modules_ship_as_bytecode_only_and_load_without_sources(shipped, tmp_path):
    names = shipped.namelist()
    assert {"app.pyc", "chalicelib/__init__.pyc", "chalicelib/words.pyc"} <= set(names)
    assert not [n for n in names if n.endswith(".py")]
    shipped.extractall(tmp_path)
    probe = (
        f"import sys; sys.path.insert(0, {str(tmp_path)!r}); import app, json; "
        "print(json.dumps([app.VALUE, app.__file__]))"
    )
    done = subprocess.run(
        [sys.executable, "-I", "-S", "-B", "-c", probe], capture_output=True, text=True, check=True
    )
    value, file = json.loads(done.stdout)
    assert value == "ok" and file.endswith("app.pyc")
    assert not list(tmp_path.rglob("__pycache__"))


def test_extension_modules_still_load_with_their_symbol_tables_blanked(shipped, tmp_path):
    assert SYMTAB in section_types(CFFI_BACKEND.read_bytes())
    assert SYMTAB not in section_types(shipped.read(CFFI_BACKEND.name))
    shipped.extract(CFFI_BACKEND.name, tmp_path)
    probe = f"import sys; sys.path.insert(0, {str(tmp_path)!r}); import _cffi_backend as b; "
    probe += "print(b.__file__, b.FFI().sizeof('int'))"
    done = subprocess.run(
        [sys.executable, "-I", "-S", "-B", "-c", probe], capture_output=True, text=True, check=True
    )
    assert done.stdout.split() == [str(tmp_path / CFFI_BACKEND.name), "4"]


def test_the_same_input_gives_the_same_bytes():
    if HOST is None:
        pytest.skip("no Lambda architecture for this machine")
    assert package.rebuild(chalice_zip(), HOST) == package.rebuild(chalice_zip(), HOST)


def test_an_extension_for_another_architecture_is_refused():
    other = "arm64" if HOST == "x86_64" else "x86_64"
    with pytest.raises(SystemExit, match="not for"):
        package.rebuild(chalice_zip(), other)

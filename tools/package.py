"""`make package`'s last step: the zip `chalice package` built, made into the one Lambda runs.

    python -m tools.package build/package      # rewrites build/package/deployment.zip

What it changes, each for a cold start or the zip's size, none for behaviour:

- Bytecode for the runtime's Python (python3.11, infrastructure/modules/service/lambda.tf), so
  no cold start compiles: Lambda's task root is read-only, so without it every cold start
  compiles every module it imports, and keeps nothing.
- Left out, what never loads at run time: `cffi/` and `pycparser/` (cffi's build-time compiler;
  at run time cryptography and argon2's bindings load only the `_cffi_backend` extension), the
  wheels' `*.dist-info` and `*.data` (nothing the service imports reads its metadata), and the
  rules of fido2's public suffix list (see SHRUNK).
- Blanked: the symbol tables of extension modules (`.symtab`, `.strtab`). They are in no
  segment the dynamic loader maps (it resolves through `.dynsym`); they are there for debuggers.
  Zeroed, they compress to nothing: 0.68 MB less zip for cryptography's Rust extension alone.
- Entries sorted, dated 1980-01-01 and compressed at level 9, so the same input gives the
  same bytes.

It refuses a zip whose extension modules are not for the architecture sam.json declares.
"""

from __future__ import annotations

import argparse
import importlib.util
import io
import json
import marshal
import struct
import sys
import zipfile
from pathlib import Path

RUNTIME = (3, 11)  # lambda.tf's runtime = "python3.11"
LEFT_OUT = ("cffi/", "pycparser/")
# fido2's client half (talking to authenticators over USB, NFC or Windows' API, and checking
# attestation statements): the service uses the server half (fido2.server, .webauthn, .cose,
# .cbor), which imports none of it. And segno's command line, an entry point only.
LEFT_OUT += ("fido2/attestation/", "fido2/client/", "fido2/ctap2/", "fido2/hid/")
LEFT_OUT += ("fido2/ctap.py", "fido2/ctap1.py", "fido2/features.py", "fido2/mds3.py")
LEFT_OUT += ("fido2/payment.py", "fido2/pcsc.py", "segno/cli.py")
# Type stubs and markers for type checkers, and the catalogs' sources (gettext reads the .mo).
LEFT_OUT_SUFFIXES = (".pyi", "/py.typed", ".po")
# fido2.rpid reads this list at import (90 KB zipped, 10 ms) for verify_rp_id, which fido2
# calls only when a Fido2Server is made without verify_origin. The service always passes its
# own (chalicelib/domain/passkey_checks.py compares a passkey's origin exactly), so it never
# consults the list; fido2.client, which would, is not used. An empty list keeps the import
# working; tests/unit/test_package.py checks the passkey checks against the shipped tree.
SHRUNK = {
    "fido2/public_suffix_list.dat": (
        b"// Emptied by tools/package.py: the service passes fido2 its own verify_origin,\n"
        b"// so fido2.rpid.verify_rp_id never runs in the Lambda.\n"
    )
}
# ELF e_machine for each Lambda architecture.
MACHINES = {"x86_64": 0x3E, "arm64": 0xB7}
DATE = (1980, 1, 1, 0, 0, 0)


def keep(name: str) -> bool:
    top = name.split("/", 1)[0]
    if name.startswith(LEFT_OUT) or name.endswith(LEFT_OUT_SUFFIXES):
        return False
    if top.endswith((".dist-info", ".data")):
        return False
    return "__pycache__/" not in name and not name.endswith(".pyc")


def bytecode(source: bytes, name: str) -> bytes:
    """A sourceless .pyc (`module.pyc` in place of `module.py`, which the import system loads
    when no source is there), for the running interpreter, which must be the runtime's.

    Sourceless rather than `__pycache__/module.cpython-311.pyc` beside the source (with an
    unchecked-hash header, since Lambda's unzipped timestamps are not the sources'): measured
    on this service's x86_64 zip on 2026-12-04, that zip is 5,527,243 bytes against 5,082,330,
    and `import app` + service.get() from the unzipped tree took 250 ms against 222 (minimums
    of 12 alternating runs): each module then costs a stat and a read of its source as well.
    The price is that tracebacks in the logs name files and lines but cannot quote them.
    Level 0, not -O or -OO: those drop `assert`s, which libraries use as checks, and
    docstrings, without which dataclasses compute one with inspect.signature at import."""
    code = compile(source, name, "exec", dont_inherit=True, optimize=0)
    # A timestamp header of zeros: a sourceless .pyc is never compared with a source.
    return importlib.util.MAGIC_NUMBER + bytes(12) + marshal.dumps(code)


def blank_symbols(data: bytes) -> bytes:
    """An ELF64 little-endian object with its .symtab and .strtab zeroed and their section
    headers made SHT_NULL; anything else, or a table another section refers to or inside a
    loaded segment, unchanged."""
    if data[:6] != b"\x7fELF\x02\x01":
        return data
    (phoff, shoff) = struct.unpack_from("<QQ", data, 0x20)
    (phentsize, phnum, shentsize, shnum, shstrndx) = struct.unpack_from("<5H", data, 0x36)
    segments = []  # (p_offset, p_offset + p_filesz) of each program header
    for i in range(phnum):
        offset, _, _, filesz = struct.unpack_from("<QQQQ", data, phoff + i * phentsize + 8)
        segments.append((offset, offset + filesz))
    headers = [
        list(struct.unpack_from("<IIQQQQIIQQ", data, shoff + i * shentsize)) for i in range(shnum)
    ]
    symtabs = [i for i, h in enumerate(headers) if h[1] == 2]  # SHT_SYMTAB
    doomed = set(symtabs) | {headers[i][6] for i in symtabs}  # and the strtab it links
    doomed.discard(shstrndx)
    if any(h[6] in doomed for i, h in enumerate(headers) if i not in doomed):
        return data  # something else refers to them
    out = bytearray(data)
    for i in sorted(doomed):
        start, end = headers[i][4], headers[i][4] + headers[i][5]
        if headers[i][2] & 0x2 or any(s < end and start < e for s, e in segments):  # SHF_ALLOC
            return data
        out[start:end] = bytes(end - start)
        struct.pack_into("<IIQQQQIIQQ", out, shoff + i * shentsize, *([0] * 10))
    return bytes(out)


def machine(data: bytes) -> int | None:
    return struct.unpack_from("<H", data, 18)[0] if data[:4] == b"\x7fELF" else None


def architecture(package: Path) -> str:
    sam = json.loads((package / "sam.json").read_text())
    return sam["Resources"]["APIHandler"]["Properties"].get("Architectures", ["x86_64"])[0]


def rebuild(archive: bytes, arch: str) -> bytes:
    """The finished zip's bytes, from chalice's."""
    if sys.version_info[:2] != RUNTIME:
        raise SystemExit(f"bytecode must be made by Python {RUNTIME}, not {sys.version}")
    files: dict[str, tuple[bytes, int]] = {}
    with zipfile.ZipFile(io.BytesIO(archive)) as zf:
        for info in zf.infolist():
            if info.is_dir() or not keep(info.filename):
                continue
            data = SHRUNK.get(info.filename) or zf.read(info)
            if info.filename.endswith(".so"):
                if machine(data) != MACHINES[arch]:
                    raise SystemExit(f"{info.filename} is not for {arch}")
                data = blank_symbols(data)
            if info.filename.endswith(".py"):
                name = info.filename + "c"
                files[name] = (bytecode(data, info.filename), info.external_attr)
            else:
                files[info.filename] = (data, info.external_attr)
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as zf:
        for name in sorted(files):
            data, attributes = files[name]
            info = zipfile.ZipInfo(name, DATE)
            info.external_attr = attributes or 0o644 << 16
            info.compress_type = zipfile.ZIP_DEFLATED
            zf.writestr(info, data, compresslevel=9)
    return out.getvalue()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tools.package", description=__doc__)
    parser.add_argument("package", type=Path, help="chalice package's output directory")
    args = parser.parse_args(argv)
    archive = args.package / "deployment.zip"
    before = archive.stat().st_size
    archive.write_bytes(rebuild(archive.read_bytes(), architecture(args.package)))
    print(f"{archive}: {before:,} -> {archive.stat().st_size:,} bytes")
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""Checks that an executable was built for the expected machine.

    python3 infra/local/elf_machine.py <file> aarch64|x86_64

Reads the ELF header (e_machine) and exits non-zero, naming what it found,
when the file is not an ELF executable for that machine: how `make
arm64-check` proves the cross-compiled binary is one Lambda's arm64
(Graviton) runtime can start.
"""

import sys

MACHINES = {183: "aarch64", 62: "x86_64"}


def machine_of(path: str) -> str:
    with open(path, "rb") as binary:
        header = binary.read(20)
    if len(header) < 20 or header[:4] != b"\x7fELF":
        return "not an ELF file"
    little_endian = header[5] == 1
    e_machine = int.from_bytes(header[18:20], "little" if little_endian else "big")
    return MACHINES.get(e_machine, f"ELF machine {e_machine}")


def main() -> int:
    if len(sys.argv) != 3:
        print(__doc__, file=sys.stderr)
        return 2
    path, expected = sys.argv[1], sys.argv[2]
    found = machine_of(path)
    if found != expected:
        print(f"{path}: {found}, not {expected}", file=sys.stderr)
        return 1
    print(f"{path}: {found} executable")
    return 0


if __name__ == "__main__":
    sys.exit(main())

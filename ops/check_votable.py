#!/usr/bin/env python3
"""Parses a VOTable with astropy and prints its row count and columns.

Usage: ops/check_votable.py FILE
Prints `rows N` then `columns a,b,c` (and one `column NAME datatype unit ucd` line per column).
Exits 1 if astropy is missing or the file does not parse (as VOTable, strictly: warnings fail).
"""
import sys
import warnings

def main() -> int:
    if len(sys.argv) != 2:
        print("usage: check_votable.py FILE", file=sys.stderr)
        return 2
    try:
        from astropy.io.votable import parse
    except ImportError:
        print("check_votable: astropy is not installed (pip install astropy)", file=sys.stderr)
        return 1
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # any VOTable warning (bad UCD, datatype, ...) is a failure
        try:
            votable = parse(sys.argv[1], verify="exception")
            table = votable.get_first_table()
            t = table.to_table()
        except Exception as e:  # noqa: BLE001 - report any parse failure in one line
            print(f"check_votable: {type(e).__name__}: {e}", file=sys.stderr)
            return 1
    print(f"version {votable.version}")
    print(f"rows {len(t)}")
    print("columns " + ",".join(t.colnames))
    for f in table.fields:
        print(f"column {f.name} {f.datatype} {f.unit or '-'} {f.ucd or '-'}")
    return 0

if __name__ == "__main__":
    sys.exit(main())

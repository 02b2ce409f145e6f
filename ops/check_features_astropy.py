#!/usr/bin/env python3
"""Independent check of Balmer's FITS readers and preprocessing.

Reads each file with astropy + numpy, builds the same 140-point feature vector by the steps the
README documents (air->vacuum with Piskunov's formula for air files, optional Gaussian blur in
native pixels truncated at 4 sigma with clamped edges, numpy.interp over the good pixels onto
linspace(6519, 6732, 140), min-max scaling to [-1, 1]) and compares it with `balmer inspect
--json`. Exit 0 when every file agrees to --tolerance, 1 otherwise.

usage: check_features_astropy.py --balmer PATH [--blur SIGMA] [--tolerance 1e-3] FILE...
"""
import argparse
import json
import subprocess
import sys

import numpy as np
from astropy.io import fits

GRID = np.linspace(6519.0, 6732.0, 140)


def air_to_vacuum(wave):
    s2 = (1e4 / wave) ** 2
    n = 1 + 0.00008336624212083 + 0.02408926869968 / (130.1065924522 - s2) \
        + 0.0001599740894897 / (38.92568793293 - s2)
    return wave * n


def read(path):
    """Returns (layout, frame, wavelength, flux, ivar or None)."""
    with fits.open(path) as hdul:
        primary = hdul[0]
        data = primary.data
        header = primary.header
        if data is not None and data.ndim == 2 and data.shape[0] == 5:
            flux = data[0].astype(float)
            ivar = data[1].astype(float)
            row3 = data[2].astype(float)
            if "WAVELENGTH" in str(header.get("EXTEN0", "")).upper() or np.median(row3) > 1000:
                return "lamost-dr2", "vacuum", row3, flux, ivar
            i = np.arange(flux.size)
            wave = 10 ** (header["COEFF0"] + header["COEFF1"] * i)
            return "lamost-dr1", "vacuum", wave, flux, ivar
        if data is not None and data.ndim == 2 and data.shape[0] == 4:
            i = np.arange(data.shape[1])
            wave = 10 ** (header["COEFF0"] + header["COEFF1"] * i)
            sigma = data[2].astype(float)
            ivar = np.where(sigma > 0, 1 / np.where(sigma > 0, sigma, 1) ** 2, 0)
            return "sdss-spspec", "vacuum", wave, data[0].astype(float), ivar
        if data is not None and data.ndim == 1:
            step = header.get("CD1_1", header.get("CDELT1"))
            p = np.arange(1, data.size + 1)
            wave = header["CRVAL1"] + (p - header.get("CRPIX1", 1)) * step
            if header.get("DC-FLAG", 0) == 1:
                wave = 10 ** wave
            frame = "vacuum" if header.get("VACUUM", False) else "air"
            return "ondrejov-iraf", frame, wave, data.astype(float), None
        table = hdul[1].data
        names = [n.lower() for n in table.columns.names]
        if "wavelength" in names and "flux" in names and np.ndim(table["FLUX"][0]) == 1:
            ivar = table["IVAR"][0].astype(float) if "ivar" in names else None
            return "lamost-dr9", "vacuum", table["WAVELENGTH"][0].astype(float), table["FLUX"][0].astype(float), ivar
        if "loglam" in names:
            ivar = table["ivar"].astype(float) if "ivar" in names else None
            return "sdss-spec", "vacuum", 10 ** table["loglam"].astype(float), table["flux"].astype(float), ivar
        if "spectral" in names:
            return "ondrejov-votable", "air", table["spectral"].astype(float), table["flux"].astype(float), None
    raise ValueError("unknown layout")


def blur(flux, sigma):
    radius = int(4 * sigma + 0.5)
    x = np.arange(-radius, radius + 1)
    kernel = np.exp(-0.5 * x ** 2 / sigma ** 2)
    kernel /= kernel.sum()
    padded = np.pad(flux, radius, mode="edge")
    return np.convolve(padded, kernel[::-1], mode="valid")


def features(path, sigma):
    layout, frame, wave, flux, ivar = read(path)
    if frame == "air":
        wave = air_to_vacuum(wave)
    if sigma:
        flux = blur(flux, sigma)
    good = np.isfinite(flux)
    if ivar is not None:
        good &= ivar > 0
    if wave[0] > GRID[0] or wave[-1] < GRID[-1]:
        return layout, None
    out = np.interp(GRID, wave[good], flux[good])
    lo, hi = out.min(), out.max()
    return layout, (out - lo) * 2 / (hi - lo) - 1


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--balmer", required=True)
    parser.add_argument("--blur", type=float)
    parser.add_argument("--tolerance", type=float, default=1e-3)
    parser.add_argument("files", nargs="+")
    args = parser.parse_args()
    command = [args.balmer, "inspect", "--json"] + (["--blur", str(args.blur)] if args.blur else []) + args.files
    run = subprocess.run(command, capture_output=True, text=True)
    if run.returncode != 0:
        print(f"balmer inspect failed ({run.returncode}): {run.stderr.strip()}")
        return 1
    records = [json.loads(line) for line in run.stdout.splitlines() if line.strip()]
    failures = 0
    for record in records:
        layout, expected = features(record["file"], args.blur)
        got = record["features"]
        if layout != record["layout"]:
            print(f"FAIL {record['file']}: layout {record['layout']} vs astropy {layout}")
            failures += 1
        elif expected is None or got is None:
            if (expected is None) != (got is None):
                print(f"FAIL {record['file']}: balmer reject {record['reject']!r}, reference "
                      f"{'rejects' if expected is None else 'accepts'}")
                failures += 1
        else:
            diff = float(np.max(np.abs(np.asarray(got) - expected)))
            status = "ok  " if diff <= args.tolerance else "FAIL"
            failures += diff > args.tolerance
            print(f"{status} {record['file']}: {layout}, max |diff| = {diff:.2e}")
    print(f"{len(records) - failures} passed, {failures} failed")
    return 0 if failures == 0 and records else 1


if __name__ == "__main__":
    sys.exit(main())

#ifndef BALMER_CFITSIO_SHIM_H
#define BALMER_CFITSIO_SHIM_H
// cfitsio's public API is mostly macros (fits_open_file → ffopentest, ...); Swift calls the short
// ff* functions directly. CFITSIO_VERSION and the type codes come through as constants.
#include <fitsio.h>
#endif

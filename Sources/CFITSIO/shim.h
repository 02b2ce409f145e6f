#ifndef BALMER_CFITSIO_SHIM_H
#define BALMER_CFITSIO_SHIM_H
// cfitsio's public API is mostly macros (fits_open_file → ffopentest, ...); Swift calls the short
// ff* functions directly. CFITSIO_VERSION and the type codes come through as constants.
#include <stdlib.h>
#include <fitsio.h>

// cfitsio's own gzip decompressor (zcompress.c). It is exported by libcfitsio but declared only
// in the private fitsio2.h. Balmer calls it so that decompression runs outside the global lock
// cfitsio holds while it opens a compressed file, which otherwise serialises every thread.
int uncompress2mem_from_mem(char *inmemptr, size_t inmemsize, char **buffptr, size_t *buffsize,
                            void *(*mem_realloc)(void *p, size_t newsize), size_t *filesize, int *status);

// The largest decompressed FITS file Balmer accepts (hostile gzip streams cannot exhaust memory).
#define BALMER_MAX_FITS_BYTES ((size_t)512 * 1024 * 1024)

static inline void *balmer_capped_realloc(void *p, size_t newsize) {
    return newsize > BALMER_MAX_FITS_BYTES ? NULL : realloc(p, newsize);
}
#endif

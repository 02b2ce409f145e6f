#ifndef BALMER_OPENBLAS_SHIM_H
#define BALMER_OPENBLAS_SHIM_H
#include <cblas.h>
#endif

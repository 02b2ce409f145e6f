#ifndef BALMER_LIBPQ_SHIM_H
#define BALMER_LIBPQ_SHIM_H
#include <libpq-fe.h>
#endif

#ifndef BALMER_RDKAFKA_SHIM_H
#define BALMER_RDKAFKA_SHIM_H
#include <librdkafka/rdkafka.h>
#include <librdkafka/rdkafka_mock.h>
#endif

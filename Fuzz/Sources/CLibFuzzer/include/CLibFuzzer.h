#ifndef BALMER_CLIBFUZZER_H
#define BALMER_CLIBFUZZER_H
// libFuzzer's public driver entry (compiler-rt FuzzerInterface.h / FuzzerDriver.cpp), provided
// by libclang_rt.fuzzer when linking with -sanitize=fuzzer.
#include <stddef.h>
#include <stdint.h>

int LLVMFuzzerRunDriver(int *argc, char ***argv, int (*callback)(const uint8_t *data, size_t size));
#endif

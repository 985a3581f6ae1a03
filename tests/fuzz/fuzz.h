/* SPDX-License-Identifier: MIT */
/* tests/fuzz/fuzz.h: what the libFuzzer targets share. Each target is
 * one file defining LLVMFuzzerTestOneInput over one parser of outside
 * input; tests/fuzz/corpus/<target>/ holds its seeds (docs/reliability.md). */
#ifndef GNX_TESTS_FUZZ_H
#define GNX_TESTS_FUZZ_H

#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* The input as a file that the parsers can open and fstat by name: an
 * anonymous memfd (nothing lands on a disk or in /dev/shm), named
 * /proc/self/fd/N in path. Returns the fd (close it), or -1. */
static inline int gnx_fuzz_file(const uint8_t *data, size_t size, char *path, size_t len) {
  int fd = memfd_create("gnx-fuzz", MFD_CLOEXEC);
  if (fd < 0) {
    return -1;
  }
  size_t off = 0;
  while (off < size) {
    ssize_t w = write(fd, data + off, size - off);
    if (w <= 0) {
      close(fd);
      return -1;
    }
    off += (size_t)w;
  }
  snprintf(path, len, "/proc/self/fd/%d", fd);
  return fd;
}

/* The input as a NUL-terminated string (malloc'd). */
static inline char *gnx_fuzz_str(const uint8_t *data, size_t size) {
  char *s = malloc(size + 1);
  if (s) {
    memcpy(s, data, size);
    s[size] = '\0';
  }
  return s;
}

/* A failed check inside a target: a crash the fuzzer reports. */
#define GNX_FUZZ_ASSERT(c)                                                             \
  do {                                                                                 \
    if (!(c)) {                                                                        \
      fprintf(stderr, "%s:%d: fuzz invariant failed: %s\n", __FILE__, __LINE__, #c);   \
      abort();                                                                         \
    }                                                                                  \
  } while (0)

#endif

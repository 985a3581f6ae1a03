/* SPDX-License-Identifier: MIT */
/* workloads/gnn/npy.c: NumPy .npy files of float32 matrices, so that X can
 * come from and OUT can go to any tool that speaks NumPy. Only what gnn needs:
 * 2-D, '<f4', C order; format 1.0 and 2.0 on read, 1.0 on write. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "gnx/err.h"
#include "gnn/gnn.h"

#define GNN_NPY_MAGIC "\x93NUMPY"

/* '<f4' is read and written as the host's floats. */
#if __BYTE_ORDER__ != __ORDER_LITTLE_ENDIAN__
#error "gnn's .npy I/O assumes a little-endian host"
#endif

/* The value after 'key': in the header dict, or NULL. Keys are quoted with
 * ' (what NumPy writes) or ". */
static const char *gnn_npy_value(const char *hdr, const char *key) {
  char q1[40], q2[40];
  snprintf(q1, sizeof q1, "'%s'", key);
  snprintf(q2, sizeof q2, "\"%s\"", key);
  const char *p = strstr(hdr, q1);
  if (!p) {
    p = strstr(hdr, q2);
  }
  if (!p) {
    return NULL;
  }
  p += strlen(q1);
  while (*p == ' ') {
    p++;
  }
  if (*p != ':') {
    return NULL;
  }
  p++;
  while (*p == ' ') {
    p++;
  }
  return p;
}

/* Parse the header dict. Returns 0 or GNX_EFORMAT with `why`. */
static int gnn_npy_header(const char *path, const char *hdr, uint64_t *shape, unsigned *ndim,
                          char *why, size_t why_len) {
  const char *d = gnn_npy_value(hdr, "descr");
  if (!d || (*d != '\'' && *d != '"')) {
    snprintf(why, why_len, "--features %s: the header has no 'descr'", path);
    return GNX_EFORMAT;
  }
  char q = *d++;
  const char *e = strchr(d, q);
  if (!e || (size_t)(e - d) != 3 || memcmp(d, "<f4", 3) != 0) {
    snprintf(why, why_len, "--features %s: dtype '%.*s', expected '<f4' (little-endian float32)",
             path, e ? (int)(e - d > 16 ? 16 : e - d) : 0, d);
    return GNX_EFORMAT;
  }
  const char *f = gnn_npy_value(hdr, "fortran_order");
  if (!f || strncmp(f, "False", 5) != 0) {
    snprintf(why, why_len, "--features %s: %s, expected C order (fortran_order False)", path,
             f && strncmp(f, "True", 4) == 0 ? "Fortran order" : "no valid 'fortran_order'");
    return GNX_EFORMAT;
  }
  const char *s = gnn_npy_value(hdr, "shape");
  if (!s || *s != '(') {
    snprintf(why, why_len, "--features %s: the header has no valid 'shape'", path);
    return GNX_EFORMAT;
  }
  s++;
  *ndim = 0;
  for (;;) {
    while (*s == ' ') {
      s++;
    }
    if (*s == ')') {
      break;
    }
    char *end = NULL;
    errno = 0;
    unsigned long long v = strtoull(s, &end, 10);
    if (end == s || errno || *s == '-' || *ndim == 8) {
      snprintf(why, why_len, "--features %s: the header has no valid 'shape'", path);
      return GNX_EFORMAT;
    }
    shape[(*ndim)++] = v;
    s = end;
    while (*s == ' ') {
      s++;
    }
    if (*s == ',') {
      s++;
    } else if (*s != ')') {
      snprintf(why, why_len, "--features %s: the header has no valid 'shape'", path);
      return GNX_EFORMAT;
    }
  }
  return 0;
}

int gnn_npy_read_f32(const char *path, uint64_t rows, float **data, uint64_t *cols, char *why,
                     size_t why_len) {
  FILE *f = fopen(path, "rb");
  if (!f) {
    int rc = -errno;
    snprintf(why, why_len, "--features %s: cannot open: %s", path, strerror(errno));
    return rc;
  }
  int rc = 0;
  char *hdr = NULL;
  float *x = NULL;
  unsigned char pre[12];
  size_t got = fread(pre, 1, 10, f);
  if (got < 6 || memcmp(pre, GNN_NPY_MAGIC, 6) != 0) {
    snprintf(why, why_len, "--features %s: not a NumPy .npy file (bad magic)", path);
    rc = GNX_EFORMAT;
    goto out;
  }
  if (got < 10) {
    snprintf(why, why_len, "--features %s: truncated header", path);
    rc = GNX_EFORMAT;
    goto out;
  }
  uint64_t hlen;
  if (pre[6] == 1 && pre[7] == 0) {
    hlen = (uint64_t)pre[8] | (uint64_t)pre[9] << 8;
  } else if (pre[6] == 2 && pre[7] == 0) {
    if (fread(pre + 10, 1, 2, f) != 2) {
      snprintf(why, why_len, "--features %s: truncated header", path);
      rc = GNX_EFORMAT;
      goto out;
    }
    hlen = (uint64_t)pre[8] | (uint64_t)pre[9] << 8 | (uint64_t)pre[10] << 16 |
           (uint64_t)pre[11] << 24;
  } else {
    snprintf(why, why_len, "--features %s: .npy format %u.%u, expected 1.0 or 2.0", path, pre[6],
             pre[7]);
    rc = GNX_EFORMAT;
    goto out;
  }
  struct stat st;
  uint64_t fsize = fstat(fileno(f), &st) == 0 && S_ISREG(st.st_mode) ? (uint64_t)st.st_size : 0;
  uint64_t data_at = (pre[6] == 1 ? 10 : 12) + hlen;
  if (hlen > (1u << 20) || data_at > fsize) {
    snprintf(why, why_len, "--features %s: header length %llu is implausible", path,
             (unsigned long long)hlen);
    rc = GNX_EFORMAT;
    goto out;
  }
  hdr = malloc(hlen + 1);
  if (!hdr) {
    rc = -ENOMEM;
    goto out;
  }
  if (fread(hdr, 1, hlen, f) != hlen) {
    snprintf(why, why_len, "--features %s: truncated header", path);
    rc = GNX_EFORMAT;
    goto out;
  }
  hdr[hlen] = '\0';
  uint64_t shape[8];
  unsigned ndim = 0;
  rc = gnn_npy_header(path, hdr, shape, &ndim, why, why_len);
  if (rc < 0) {
    goto out;
  }
  if (ndim != 2 || rows == 0 || shape[0] != rows || shape[1] == 0) {
    char dims[96] = "";
    size_t o = 0;
    for (unsigned i = 0; i < ndim && o < sizeof dims - 24; i++) {
      o += (size_t)snprintf(dims + o, sizeof dims - o, "%s%llu", i ? ", " : "",
                            (unsigned long long)shape[i]);
    }
    snprintf(why, why_len, "--features %s: shape (%s%s), expected (%llu, F): one row per node",
             path, dims, ndim == 1 ? "," : "", (unsigned long long)rows);
    rc = GNX_EFORMAT;
    goto out;
  }
  /* the shape must match the file before anything is allocated for it: a
   * 131-byte header may claim (2, 11111111111) */
  uint64_t have = fsize - data_at;
  double want = (double)rows * (double)shape[1] * sizeof(float);
  if (want != (double)have) {
    if (want > (double)have) {
      snprintf(why, why_len, "--features %s: truncated: %llu of %.0f data bytes of shape (%llu, "
                             "%llu)",
               path, (unsigned long long)have, want, (unsigned long long)shape[0],
               (unsigned long long)shape[1]);
    } else {
      snprintf(why, why_len, "--features %s: bytes after the %.0f data bytes of shape (%llu, %llu)",
               path, want, (unsigned long long)shape[0], (unsigned long long)shape[1]);
    }
    rc = GNX_EFORMAT;
    goto out;
  }
  size_t count = (size_t)(rows * shape[1]);
  x = malloc(count * sizeof *x);
  if (!x) {
    snprintf(why, why_len, "--features %s: out of memory for %zu floats", path, count);
    rc = -ENOMEM;
    goto out;
  }
  size_t n = fread(x, 1, count * sizeof *x, f);
  if (n != count * sizeof *x) {
    snprintf(why, why_len, "--features %s: truncated: %zu of %zu data bytes", path, n,
             count * sizeof *x);
    rc = GNX_EFORMAT;
    goto out;
  }
  if (fgetc(f) != EOF) {
    snprintf(why, why_len, "--features %s: bytes after the %zu data bytes of shape (%llu, %llu)",
             path, count * sizeof *x, (unsigned long long)shape[0],
             (unsigned long long)shape[1]);
    rc = GNX_EFORMAT;
    goto out;
  }
  *data = x;
  *cols = shape[1];
  x = NULL;
out:
  free(x);
  free(hdr);
  fclose(f);
  return rc;
}

int gnn_npy_write_f32(const char *path, const float *data, uint64_t rows, uint64_t cols) {
  char hdr[128];
  int len = snprintf(hdr, sizeof hdr,
                     "{'descr': '<f4', 'fortran_order': False, 'shape': (%llu, %llu), }",
                     (unsigned long long)rows, (unsigned long long)cols);
  /* Pad with spaces and end with '\n' so the data starts 64-byte aligned,
   * as NumPy does. */
  size_t total = 10 + (size_t)len + 1;
  size_t padded = (total + 63) / 64 * 64;
  size_t hlen = padded - 10;
  unsigned char pre[10 + 128 + 64];
  memcpy(pre, GNN_NPY_MAGIC, 6);
  pre[6] = 1;
  pre[7] = 0;
  pre[8] = (unsigned char)(hlen & 255);
  pre[9] = (unsigned char)(hlen >> 8);
  memcpy(pre + 10, hdr, (size_t)len);
  memset(pre + 10 + len, ' ', hlen - (size_t)len - 1);
  pre[padded - 1] = '\n';
  FILE *f = fopen(path, "wb");
  if (!f) {
    return -errno;
  }
  int rc = 0;
  size_t count = (size_t)(rows * cols);
  if (fwrite(pre, 1, padded, f) != padded || fwrite(data, sizeof *data, count, f) != count) {
    rc = errno ? -errno : -EIO;
  }
  if (fclose(f) != 0 && rc == 0) {
    rc = -errno;
  }
  return rc;
}

/* SPDX-License-Identifier: MIT */
/* gnx/err.h: error codes shared by the harness, engines and workloads.
 *
 * Every function of the contract returns 0 on success or a negative code:
 * either -errno (a failed system call) or one of the GNX_E* codes below.
 * GNX_ERRNO_MAP is the one table: it makes the enum and the messages, so a
 * code can never exist without its text. Only the harness prints them. */
#ifndef GNX_ERR_H
#define GNX_ERR_H


#ifdef __cplusplus
extern "C" {
#endif
/* XX(name, message) */
#define GNX_ERRNO_MAP(XX)                                                     \
  XX(EUSAGE, "invalid command line")                                          \
  XX(EVERIFY, "result differs from the reference")                            \
  XX(EWORKER, "a worker process died")                                        \
  XX(ESTOPPED, "stopped by a signal (SIGINT or SIGTERM)")                      \
  XX(EUNAVAIL, "not available in this build")                                 \
  XX(EFORMAT, "malformed input")                                              \
  XX(ETOOBIG, "item larger than the transport slot")                          \
  XX(ESTAGE, "a workload stage failed")                                       \
  XX(ETRACE, "trace buffer full")                                             \
  XX(EGNUPLOT, "gnuplot failed")

enum gnx_err {
  GNX_OK = 0,
  GNX__EBASE = -10000, /* below every errno value */
#define GNX__ERR_ENUM(name, msg) GNX_##name,
  GNX_ERRNO_MAP(GNX__ERR_ENUM)
#undef GNX__ERR_ENUM
  GNX__ELAST
};

/* The message for a code: a GNX_E* text, strerror(-err) for -errno, or
 * "success" for 0. Never NULL; the string is static. */
const char *gnx_strerror(int err);

/* The symbolic name ("GNX_EVERIFY", "ENOENT"). Never NULL. */
const char *gnx_err_name(int err);

#ifdef __cplusplus
}
#endif

#endif

/* SPDX-License-Identifier: MIT */
/* core/err.c: the one place where error codes become text. */
#include <string.h>

#include "gnx/err.h"

static const char *const gnx_err_msgs[] = {
#define GNX__ERR_MSG(name, msg) msg,
    GNX_ERRNO_MAP(GNX__ERR_MSG)
#undef GNX__ERR_MSG
};
static const char *const gnx_err_names[] = {
#define GNX__ERR_NAME(name, msg) "GNX_" #name,
    GNX_ERRNO_MAP(GNX__ERR_NAME)
#undef GNX__ERR_NAME
};

const char *gnx_strerror(int err) {
  if (err == 0) {
    return "success";
  }
  if (err > GNX__EBASE && err < GNX__ELAST) {
    return gnx_err_msgs[err - GNX__EBASE - 1];
  }
  return strerror(-err);
}

const char *gnx_err_name(int err) {
  if (err == 0) {
    return "OK";
  }
  if (err > GNX__EBASE && err < GNX__ELAST) {
    return gnx_err_names[err - GNX__EBASE - 1];
  }
  const char *n = strerrorname_np(-err);
  return n ? n : "EUNKNOWN";
}

/* SPDX-License-Identifier: MIT */
#include "tests/test.h"

struct gnx_test_case gnx_tests[GNX_TEST_MAX];
int gnx_n_tests;

int main(int argc, char **argv) {
  if (argc < 2) {
    for (int i = 0; i < gnx_n_tests; i++) {
      printf("%s\n", gnx_tests[i].name);
    }
    return 0;
  }
  for (int i = 0; i < gnx_n_tests; i++) {
    if (strcmp(gnx_tests[i].name, argv[1]) == 0) {
      gnx_tests[i].fn();
      printf("PASS: %s\n", argv[1]);
      return 0;
    }
  }
  fprintf(stderr, "no test case named %s\n", argv[1]);
  return 2;
}

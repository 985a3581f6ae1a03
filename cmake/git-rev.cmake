# SPDX-License-Identifier: MIT
# Run at every build (not at configure time), so a report never names an
# older revision than the binary it came from. Rewrites OUT only when the
# revision changed, so an unchanged tree rebuilds nothing.
execute_process(COMMAND git describe --always --dirty --abbrev=12
                WORKING_DIRECTORY ${SRC}
                OUTPUT_VARIABLE rev OUTPUT_STRIP_TRAILING_WHITESPACE ERROR_QUIET)
if(NOT rev)
  set(rev "unknown")
endif()
set(text "/* generated at build time by cmake/git-rev.cmake */\n#define GNX_GIT_REV \"${rev}\"\n")
if(EXISTS ${OUT})
  file(READ ${OUT} old)
endif()
if(NOT "${old}" STREQUAL "${text}")
  file(WRITE ${OUT} "${text}")
endif()

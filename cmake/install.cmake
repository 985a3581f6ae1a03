# SPDX-License-Identifier: MIT
# Installing gnxbench like a Unix tool (cmake --install, make install) and
# packaging it as a .deb (cpack -G DEB, make deb): the binary, gnxbench(1),
# the bash and zsh completions, and docs/ (with the report schema).
include(GNUInstallDirs)

install(TARGETS gnxbench RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR})
install(FILES ${CMAKE_SOURCE_DIR}/man/gnxbench.1 DESTINATION ${CMAKE_INSTALL_MANDIR}/man1)
install(FILES ${CMAKE_SOURCE_DIR}/completions/gnxbench.bash
        DESTINATION ${CMAKE_INSTALL_DATADIR}/bash-completion/completions RENAME gnxbench)
install(FILES ${CMAKE_SOURCE_DIR}/completions/_gnxbench
        DESTINATION ${CMAKE_INSTALL_DATADIR}/zsh/site-functions)
install(DIRECTORY ${CMAKE_SOURCE_DIR}/docs/ DESTINATION ${CMAKE_INSTALL_DOCDIR})

# The Debian packages of the libraries the binary links (ldd, then dpkg -S),
# only those of the features this build has.
set(_deps "libc6" "libjansson4")
if(LIBUV_FOUND)
  list(APPEND _deps "libuv1")
endif()
if(HWLOC_FOUND)
  list(APPEND _deps "libhwloc15")
endif()
if(PAPI_FOUND)
  list(APPEND _deps "libpapi7.0" "libsde1")
endif()
if(BLAS_FOUND)
  # libopenblas.so.0 comes from one of the three builds (alternatives)
  list(APPEND _deps "libopenblas0-pthread | libopenblas0-openmp | libopenblas0-serial")
endif()
list(JOIN _deps ", " CPACK_DEBIAN_PACKAGE_DEPENDS)

set(CPACK_PACKAGE_NAME gnxbench)
set(CPACK_PACKAGE_VENDOR gnxbench)
set(CPACK_PACKAGE_CONTACT "gnxbench maintainers <gnxbench@localhost>")
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY
    "which parallel strategy should this pipeline use, and why: a benchmark harness")
set(CPACK_PACKAGING_INSTALL_PREFIX /usr)
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)
set(CPACK_DEBIAN_PACKAGE_SECTION devel)
set(CPACK_DEBIAN_PACKAGE_RECOMMENDS "gnuplot-nox")
set(CPACK_STRIP_FILES OFF)
include(CPack)

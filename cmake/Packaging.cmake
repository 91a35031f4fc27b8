# Install rules beyond the binary (systemd units, man pages, example agent
# config, rollout playbook) and the Debian package built by CPack.
#   cmake -S . -B build-deb -DCMAKE_BUILD_TYPE=Release -DCK_TEST_HOOKS=OFF \
#         -DCK_TESTS=OFF -DCMAKE_INSTALL_PREFIX=/usr
#   cmake --build build-deb && (cd build-deb && cpack -G DEB)
# tests/deploy/deb.sh does exactly that, then installs the package.
include(GNUInstallDirs)

set(CK_SYSTEMD_UNITDIR "${CMAKE_INSTALL_PREFIX}/lib/systemd/system"
    CACHE PATH "Where the systemd units are installed")
set(CK_PKG_DIR ${CMAKE_SOURCE_DIR}/deploy)

# The units in deploy/ name /usr/bin/clawkeeper so they verify and read as
# they are installed by the package; another prefix gets its own path.
set(CK_UNITS
    ${CK_PKG_DIR}/systemd/clawkeeper@.service
    ${CK_PKG_DIR}/systemd/clawkeeper.service
    ${CK_PKG_DIR}/systemd/openclaw-gateway@.service)
foreach(unit ${CK_UNITS})
  get_filename_component(name ${unit} NAME)
  file(READ ${unit} text)
  string(REPLACE "/usr/bin/clawkeeper" "${CMAKE_INSTALL_FULL_BINDIR}/clawkeeper"
         text "${text}")
  file(CONFIGURE OUTPUT ${CMAKE_BINARY_DIR}/deploy/systemd/${name}
       CONTENT "${text}" @ONLY)
  set_property(DIRECTORY APPEND PROPERTY CMAKE_CONFIGURE_DEPENDS ${unit})
  install(FILES ${CMAKE_BINARY_DIR}/deploy/systemd/${name}
          DESTINATION ${CK_SYSTEMD_UNITDIR})
endforeach()

install(FILES ${CMAKE_SOURCE_DIR}/docs/man/clawkeeper.8
        DESTINATION ${CMAKE_INSTALL_MANDIR}/man8)
install(FILES ${CMAKE_SOURCE_DIR}/docs/man/clawkeeper.json.5
        DESTINATION ${CMAKE_INSTALL_MANDIR}/man5)
install(FILES ${CK_PKG_DIR}/agent.example.json
        DESTINATION ${CMAKE_INSTALL_DATADIR}/clawkeeper)
install(FILES ${CK_PKG_DIR}/ansible/rollout.yml ${CK_PKG_DIR}/ansible/ansible.cfg
              ${CK_PKG_DIR}/ansible/inventory.example.yml
        DESTINATION ${CMAKE_INSTALL_DATADIR}/clawkeeper/ansible)
install(FILES ${CMAKE_SOURCE_DIR}/docs/deploy.md ${CMAKE_SOURCE_DIR}/docs/api.md
        DESTINATION ${CMAKE_INSTALL_DOCDIR})

# ---- the .deb
set(CPACK_GENERATOR "DEB")
set(CPACK_PACKAGE_NAME "clawkeeper")
set(CPACK_PACKAGE_VERSION "${PROJECT_VERSION}")
set(CPACK_PACKAGE_CONTACT "clawkeeper maintainers <clawkeeper@example.invalid>")
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY
    "per-instance agent for managed OpenClaw hosting")
set(CPACK_PACKAGE_DESCRIPTION
    "clawkeeper runs beside one OpenClaw instance: config, credential and
failover health, config regeneration, verified upgrades with rollback,
over an authenticated HTTP API and a CLI.")
set(CPACK_PACKAGING_INSTALL_PREFIX "${CMAKE_INSTALL_PREFIX}")
set(CPACK_STRIP_FILES ON)
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)
set(CPACK_DEBIAN_PACKAGE_SECTION "admin")
set(CPACK_DEBIAN_PACKAGE_PRIORITY "optional")
# Library dependencies come from dpkg-shlibdeps (libjansson4,
# libmicrohttpd12, libcurl4, libssl3, libarchive13, libsystemd0,
# libsqlite3-0 on bookworm); the list is the fallback where it is missing.
find_program(CK_DPKG_SHLIBDEPS dpkg-shlibdeps)
if(CK_DPKG_SHLIBDEPS)
  set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)
  set(CPACK_DEBIAN_PACKAGE_DEPENDS "adduser")
else()
  set(CPACK_DEBIAN_PACKAGE_DEPENDS "adduser, libc6, libjansson4, libmicrohttpd12, \
libcurl4, libssl3, libarchive13, libsystemd0, libsqlite3-0")
endif()
set(CPACK_DEBIAN_PACKAGE_RECOMMENDS "systemd")
set(CPACK_DEBIAN_PACKAGE_SUGGESTS "ansible")
set(CPACK_DEBIAN_PACKAGE_CONTROL_EXTRA
    ${CK_PKG_DIR}/debian/postinst ${CK_PKG_DIR}/debian/prerm
    ${CK_PKG_DIR}/debian/postrm)
set(CPACK_DEBIAN_PACKAGE_CONTROL_STRICT_PERMISSION TRUE)

# A package is a Release build without the crash-test hooks, installed
# under /usr (the units name that path): refuse anything else.
set(CK_PACKAGE_PROBLEMS "")
if(CK_TEST_HOOKS)
  string(APPEND CK_PACKAGE_PROBLEMS " -DCK_TEST_HOOKS=OFF")
endif()
if(NOT CMAKE_BUILD_TYPE STREQUAL "Release")
  string(APPEND CK_PACKAGE_PROBLEMS " -DCMAKE_BUILD_TYPE=Release")
endif()
if(NOT CMAKE_INSTALL_PREFIX STREQUAL "/usr")
  string(APPEND CK_PACKAGE_PROBLEMS " -DCMAKE_INSTALL_PREFIX=/usr")
endif()
# CPack reads this file first, before building or installing anything.
file(CONFIGURE OUTPUT ${CMAKE_BINARY_DIR}/ck-package-check.cmake CONTENT
"if(NOT \"@CK_PACKAGE_PROBLEMS@\" STREQUAL \"\")
  message(FATAL_ERROR \"clawkeeper: packages are built with@CK_PACKAGE_PROBLEMS@ \"
          \"(reconfigure this build dir, or use tests/deploy/deb.sh)\")
endif()
" @ONLY)
set(CPACK_PROJECT_CONFIG_FILE ${CMAKE_BINARY_DIR}/ck-package-check.cmake)

include(CPack)

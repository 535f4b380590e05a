# The freestanding hypervisor image: bulkhead.elf and the bootable bulkhead.iso.
# Included from the top-level CMakeLists.txt when the toolchain file
# (cmake/toolchain-x86_64-bulkhead.cmake) selected the kernel build.

if(NOT BULKHEAD_OUTPUT_DIR)
  set(BULKHEAD_OUTPUT_DIR ${CMAKE_BINARY_DIR})
endif()
if(NOT DEFINED BULKHEAD_CMDLINE OR BULKHEAD_CMDLINE STREQUAL "")
  set(BULKHEAD_CMDLINE "on_exit=emulator")
endif()
message(STATUS "bulkhead: kernel toolchain: ${BULKHEAD_TOOLCHAIN_KIND} (${CMAKE_CXX_COMPILER})")

set(CMAKE_CXX_STANDARD 20)
set(CMAKE_CXX_STANDARD_REQUIRED ON)
set(CMAKE_CXX_EXTENSIONS OFF)

# Why each flag: no exceptions/RTTI/threadsafe statics (no runtime support);
# no red zone (interrupts push onto the stack below RSP); general registers only
# (the hypervisor never saves guest or host SSE state implicitly); no PIC/PIE
# (linked at a fixed physical address); no stack protector (no TLS canary);
# no unwind tables (nothing unwinds); no loop-to-memset rewriting (memset
# itself would recurse).
set(BULKHEAD_FREESTANDING_FLAGS
  -ffreestanding -fno-exceptions -fno-rtti -fno-threadsafe-statics
  -fno-use-cxa-atexit -mno-red-zone -mgeneral-regs-only -fno-pic -fno-pie
  -fno-stack-protector -fno-asynchronous-unwind-tables -fno-unwind-tables
  -fno-tree-loop-distribute-patterns -fno-omit-frame-pointer -nostdlib)
set(BULKHEAD_WARNING_FLAGS -Wall -Wextra -Werror -Wshadow -Wno-missing-field-initializers)

file(GLOB BULKHEAD_KERNEL_SOURCES CONFIGURE_DEPENDS
  ${CMAKE_SOURCE_DIR}/boot/*.S
  ${CMAKE_SOURCE_DIR}/arch/x86_64/*.S
  ${CMAKE_SOURCE_DIR}/arch/x86_64/*.cpp
  ${CMAKE_SOURCE_DIR}/kernel/*.cpp
  ${CMAKE_SOURCE_DIR}/kernel/lib/*.cpp
  ${CMAKE_SOURCE_DIR}/drivers/*.cpp
  ${CMAKE_SOURCE_DIR}/vmm/*.S
  ${CMAKE_SOURCE_DIR}/vmm/*.cpp)

set(BULKHEAD_LINKER_SCRIPT ${CMAKE_SOURCE_DIR}/boot/linker.ld)
add_executable(bulkhead.elf ${BULKHEAD_KERNEL_SOURCES})
set_target_properties(bulkhead.elf PROPERTIES
  RUNTIME_OUTPUT_DIRECTORY ${BULKHEAD_OUTPUT_DIR}
  LINK_DEPENDS ${BULKHEAD_LINKER_SCRIPT})
target_include_directories(bulkhead.elf PRIVATE ${CMAKE_SOURCE_DIR} ${CMAKE_SOURCE_DIR}/include)
target_compile_options(bulkhead.elf PRIVATE
  ${BULKHEAD_FREESTANDING_FLAGS}
  $<$<COMPILE_LANGUAGE:CXX>:${BULKHEAD_WARNING_FLAGS}>)
target_link_options(bulkhead.elf PRIVATE
  -nostdlib -static -no-pie
  -Wl,-n -Wl,-z,max-page-size=0x1000 -Wl,--build-id=none
  -T ${BULKHEAD_LINKER_SCRIPT})
target_link_libraries(bulkhead.elf PRIVATE gcc)

# The bootable hybrid BIOS+UEFI ISO. scripts/mkiso is the one place that knows
# how to lay out GRUB's configuration; tests use it too for ISOs with other
# command lines and guest modules.
set(BULKHEAD_ISO ${BULKHEAD_OUTPUT_DIR}/bulkhead.iso)
add_custom_command(
  OUTPUT ${BULKHEAD_ISO}
  COMMAND ${CMAKE_SOURCE_DIR}/scripts/mkiso --kernel $<TARGET_FILE:bulkhead.elf>
          --output ${BULKHEAD_ISO} --cmdline "${BULKHEAD_CMDLINE}"
  DEPENDS bulkhead.elf ${CMAKE_SOURCE_DIR}/scripts/mkiso
  COMMENT "Building ${BULKHEAD_ISO}"
  VERBATIM)
add_custom_target(iso ALL DEPENDS ${BULKHEAD_ISO})
include(cmake/guests.cmake)

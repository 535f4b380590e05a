# Toolchain for the freestanding hypervisor image.
#
# A GNU cross toolchain (x86_64-elf-gcc, -g++, -ld) is used when it is on the
# PATH: it has no host C library or host assumptions to leak in. Otherwise the
# host GNU toolchain is used with freestanding flags (cmake/kernel.cmake), which
# works on x86_64 Debian because the target architecture is the same.
set(CMAKE_SYSTEM_NAME Generic)
set(CMAKE_SYSTEM_PROCESSOR x86_64)
set(BULKHEAD_KERNEL_BUILD ON)

find_program(BULKHEAD_CROSS_GXX x86_64-elf-g++)
if(BULKHEAD_CROSS_GXX)
  set(CMAKE_C_COMPILER x86_64-elf-gcc)
  set(CMAKE_CXX_COMPILER x86_64-elf-g++)
  set(CMAKE_ASM_COMPILER x86_64-elf-gcc)
  set(BULKHEAD_TOOLCHAIN_KIND cross)
else()
  set(CMAKE_C_COMPILER gcc)
  set(CMAKE_CXX_COMPILER g++)
  set(CMAKE_ASM_COMPILER gcc)
  set(BULKHEAD_TOOLCHAIN_KIND host)
endif()

# Nothing can be linked or run while CMake probes the compiler.
set(CMAKE_TRY_COMPILE_TARGET_TYPE STATIC_LIBRARY)

# Test guests (tests/guests/): freestanding payloads that run inside
# partitions and check, from the guest's side, what the hypervisor promises.
# Built with the kernel toolchain into ${BULKHEAD_OUTPUT_DIR}/guests/.

set(GUEST_DIR ${CMAKE_SOURCE_DIR}/tests/guests)
set(GUEST_OUTPUT_DIR ${BULKHEAD_OUTPUT_DIR}/guests)
set(GUEST_COMMON_FLAGS -ffreestanding -fno-pic -fno-pie -fno-stack-protector -fno-asynchronous-unwind-tables
    -mno-red-zone -mgeneral-regs-only -nostdlib -O2 -Wall -Wextra -Werror)

function(add_guest64 name)
  cmake_parse_arguments(G "" "" "SOURCES;DEFINES" ${ARGN})
  add_executable(${name} ${GUEST_DIR}/crt64.S ${G_SOURCES})
  set_target_properties(${name} PROPERTIES OUTPUT_NAME ${name}.elf RUNTIME_OUTPUT_DIRECTORY ${GUEST_OUTPUT_DIR}
                        LINK_DEPENDS ${GUEST_DIR}/guest64.ld)
  target_include_directories(${name} PRIVATE ${GUEST_DIR} ${CMAKE_SOURCE_DIR}/include)
  target_compile_definitions(${name} PRIVATE ${G_DEFINES})
  target_compile_options(${name} PRIVATE ${GUEST_COMMON_FLAGS})
  target_link_options(${name} PRIVATE -nostdlib -static -no-pie -Wl,--build-id=none -Wl,--no-warn-rwx-segments
                      -T ${GUEST_DIR}/guest64.ld)
  add_dependencies(iso ${name})
endfunction()

add_guest64(hello64 SOURCES ${GUEST_DIR}/hello64.c)
add_guest64(probe64 SOURCES ${GUEST_DIR}/probe64.c)
add_guest64(bench64 SOURCES ${GUEST_DIR}/bench64.c)
add_guest64(worker64 SOURCES ${GUEST_DIR}/worker64.c)
add_guest64(share64 SOURCES ${GUEST_DIR}/share64.c)
add_guest64(slices64 SOURCES ${GUEST_DIR}/slices64.c)
add_guest64(ticker64 SOURCES ${GUEST_DIR}/ticker64.c)
add_guest64(control64 SOURCES ${GUEST_DIR}/control64.c)
add_guest64(irq64 SOURCES ${GUEST_DIR}/irq64.c)
add_guest64(pacer64 SOURCES ${GUEST_DIR}/pacer64.c)
add_guest64(reset64 SOURCES ${GUEST_DIR}/reset64.c)
add_guest64(beat64 SOURCES ${GUEST_DIR}/beat64.c)
add_guest64(tracee64 SOURCES ${GUEST_DIR}/tracee64.c)
foreach(attack READ_OTHER WRITE_HYPERVISOR UART_NEIGHBOUR VMXON TRIPLE_FAULT JUMP_GARBAGE INVD HALT SPIN)
  string(TOLOWER ${attack} attack_name)
  string(REPLACE "_" "-" attack_name ${attack_name})
  add_guest64(hostile-${attack_name} SOURCES ${GUEST_DIR}/hostile64.c DEFINES ATTACK_${attack})
endforeach()

# The 32-bit multiboot guest: an ELF32 image entered as a multiboot v1 loader would.
add_executable(hello32 ${GUEST_DIR}/crt32.S ${GUEST_DIR}/hello32.c)
set_target_properties(hello32 PROPERTIES OUTPUT_NAME hello32.elf RUNTIME_OUTPUT_DIRECTORY ${GUEST_OUTPUT_DIR}
                      LINK_DEPENDS ${GUEST_DIR}/guest32.ld)
target_include_directories(hello32 PRIVATE ${GUEST_DIR} ${CMAKE_SOURCE_DIR}/include)
target_compile_options(hello32 PRIVATE -m32 ${GUEST_COMMON_FLAGS})
target_link_options(hello32 PRIVATE -m32 -nostdlib -static -no-pie -Wl,--build-id=none -Wl,--no-warn-rwx-segments -T ${GUEST_DIR}/guest32.ld)
add_dependencies(iso hello32)

# The 16-bit guest: a flat binary loaded at 0x7c00, like a boot sector.
add_executable(hello16 ${GUEST_DIR}/hello16.S)
set_target_properties(hello16 PROPERTIES OUTPUT_NAME hello16.bin RUNTIME_OUTPUT_DIRECTORY ${GUEST_OUTPUT_DIR})
target_compile_options(hello16 PRIVATE -m32)
target_link_options(hello16 PRIVATE -m32 -nostdlib -static -no-pie -Wl,--build-id=none -Wl,--oformat=binary
                    -Wl,-Ttext=0x7c00 -Wl,-e,_start)
add_dependencies(iso hello16)

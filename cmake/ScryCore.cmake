# What scry's middle end and runtime (sema, codegen, runtime) need beyond their sources, shared
# by the main build (CMakeLists.txt, target scry_core) and the fuzz build (tests/fuzz, target
# scry_middle_fuzzable), so that the two cannot drift apart.
#
#   scry_core_generated(OUT_VAR SOURCE_DIR)
#     Adds the commands that generate, under ${CMAKE_BINARY_DIR}/generated/:
#       syscall_numbers.inc   the build machine's system call numbers (sema/tracepoint_attach.cpp)
#       stdlib_files.inc      stdlib/*.bt, the standard library's macros (sema/stdlib.cpp)
#       stdlib_bitcode.inc    stdlib/*.bpf.c compiled by clang-16 to BPF LLVM bitcode
#                             (codegen/stdlib_bitcode.cpp links it into programs that call it)
#     and sets OUT_VAR to the generated files, to be listed among the target's sources.
#
#   scry_core_link(TARGET)
#     Links TARGET with LLVM 16 (the BPF target and its assembly parser, the optimisation passes,
#     the bitcode reader and the linker), libbpf and elfutils' libdw and libelf (with the
#     compression libraries they read sections with), statically, and adds LLVM's include
#     directory and definitions.

function(scry_core_generated out_var source_dir)
  set(gen ${CMAKE_BINARY_DIR}/generated)

  set(syscall_numbers ${gen}/syscall_numbers.inc)
  add_custom_command(
    OUTPUT ${syscall_numbers}
    COMMAND ${CMAKE_COMMAND} -E make_directory ${gen}
    COMMAND sh ${source_dir}/cmake/syscall_numbers.sh ${CMAKE_C_COMPILER} ${syscall_numbers}
    DEPENDS ${source_dir}/cmake/syscall_numbers.sh
    COMMENT "Generating system call numbers")

  file(GLOB stdlib_files CONFIGURE_DEPENDS ${source_dir}/stdlib/*.bt)
  set(stdlib_embedded ${gen}/stdlib_files.inc)
  string(REPLACE ";" "|" stdlib_file_list "${stdlib_files}")
  add_custom_command(
    OUTPUT ${stdlib_embedded}
    COMMAND ${CMAKE_COMMAND} -E make_directory ${gen}
    COMMAND ${CMAKE_COMMAND} -DOUTPUT=${stdlib_embedded} "-DFILES=${stdlib_file_list}"
            -P ${source_dir}/cmake/embed_stdlib.cmake
    DEPENDS ${stdlib_files} ${source_dir}/cmake/embed_stdlib.cmake
    COMMENT "Embedding the standard library"
    VERBATIM)

  # Each stdlib/*.bpf.c becomes a bitcode module for BPF (little-endian, as codegen's modules),
  # optimised, with debug information: the BTF of the maps a file defines (usdt.bpf.c's, from
  # libbpf's usdt.bpf.h) comes from it. codegen/stdlib_bitcode.cpp strips it from the functions
  # once linked, so that their instructions take the line of the call they are inlined into.
  find_program(SCRY_BPF_CLANG NAMES clang-16 REQUIRED)
  file(GLOB bpf_sources CONFIGURE_DEPENDS ${source_dir}/stdlib/*.bpf.c)
  file(GLOB bpf_headers CONFIGURE_DEPENDS ${source_dir}/stdlib/*.h)
  set(bitcode_files "")
  foreach(src ${bpf_sources})
    get_filename_component(name ${src} NAME)
    set(bc ${gen}/stdlib/${name}.bc)
    add_custom_command(
      OUTPUT ${bc}
      COMMAND ${CMAKE_COMMAND} -E make_directory ${gen}/stdlib
      COMMAND ${SCRY_BPF_CLANG} -target bpfel -mcpu=v3 -O2 -g -emit-llvm -c -Wall -Werror
              -D__TARGET_ARCH_x86 -I/usr/include/${CMAKE_LIBRARY_ARCHITECTURE}
              -fno-asynchronous-unwind-tables -o ${bc} ${src}
      DEPENDS ${src} ${bpf_headers}
      COMMENT "Compiling ${name} to BPF bitcode"
      VERBATIM)
    list(APPEND bitcode_files ${bc})
  endforeach()
  set(bitcode_embedded ${gen}/stdlib_bitcode.inc)
  string(REPLACE ";" "|" bitcode_file_list "${bitcode_files}")
  add_custom_command(
    OUTPUT ${bitcode_embedded}
    COMMAND ${CMAKE_COMMAND} -DOUTPUT=${bitcode_embedded} "-DFILES=${bitcode_file_list}"
            -P ${source_dir}/cmake/embed_bitcode.cmake
    DEPENDS ${bitcode_files} ${source_dir}/cmake/embed_bitcode.cmake
    COMMENT "Embedding the standard library's bitcode"
    VERBATIM)

  set(${out_var} ${syscall_numbers} ${stdlib_embedded} ${bitcode_embedded} PARENT_SCOPE)
endfunction()

function(scry_core_link target)
  find_program(LLVM_CONFIG NAMES llvm-config-16 REQUIRED)
  execute_process(COMMAND ${LLVM_CONFIG} --includedir OUTPUT_VARIABLE llvm_include_dir
                  OUTPUT_STRIP_TRAILING_WHITESPACE)
  execute_process(COMMAND ${LLVM_CONFIG} --libdir OUTPUT_VARIABLE llvm_lib_dir
                  OUTPUT_STRIP_TRAILING_WHITESPACE)
  execute_process(COMMAND ${LLVM_CONFIG} --link-static --libs bpfcodegen bpfdesc bpfinfo bpfasmparser passes
                          bitreader linker
                  OUTPUT_VARIABLE llvm_libs OUTPUT_STRIP_TRAILING_WHITESPACE)
  separate_arguments(llvm_libs)
  find_library(LIBBPF_STATIC NAMES libbpf.a REQUIRED)
  find_library(LIBDW_STATIC NAMES libdw.a REQUIRED)
  find_library(LIBELF_STATIC NAMES libelf.a REQUIRED)
  find_library(LIBBZ2_STATIC NAMES libbz2.a REQUIRED)
  find_library(LIBLZMA_STATIC NAMES liblzma.a REQUIRED)
  find_library(LIBZ_STATIC NAMES libz.a REQUIRED)
  find_library(LIBZSTD_STATIC NAMES libzstd.a REQUIRED)
  target_include_directories(${target} PRIVATE ${CMAKE_BINARY_DIR}/generated)
  target_include_directories(${target} SYSTEM PUBLIC ${llvm_include_dir})
  # Clang's own headers (stddef.h), for C parsed against kernel headers with -nostdinc.
  target_compile_definitions(${target} PUBLIC _GNU_SOURCE __STDC_CONSTANT_MACROS
                             __STDC_FORMAT_MACROS __STDC_LIMIT_MACROS
                             SCRY_CLANG_RESOURCE_DIR="${llvm_lib_dir}/clang/16")
  target_link_directories(${target} PUBLIC ${llvm_lib_dir})
  target_link_libraries(${target} PUBLIC ${llvm_libs} ${LIBBPF_STATIC} ${LIBDW_STATIC}
                        ${LIBELF_STATIC} ${LIBBZ2_STATIC} ${LIBLZMA_STATIC} ${LIBZ_STATIC}
                        ${LIBZSTD_STATIC} tinfo pthread dl)
endfunction()

# Writes files as C++ initializers of their bytes, one `{"NAME", {0x42, 0x43, ...}},` per file
# (NAME without a final .bc), sorted by name: the standard library's bitcode for
# src/codegen/stdlib_bitcode.cpp, libbpf's headers for src/cc/compile_bpf_c.cpp.
#
#   cmake -DOUTPUT=FILE -DFILES="a.bpf.c.bc|b.bpf.c.bc" -P cmake/embed_bitcode.cmake
string(REPLACE "|" ";" FILES "${FILES}")
set(text "")
list(SORT FILES)
foreach(file ${FILES})
  file(READ ${file} hex HEX)
  string(REGEX REPLACE "([0-9a-f][0-9a-f])" "0x\\1," bytes "${hex}")
  get_filename_component(name ${file} NAME)
  string(REGEX REPLACE "\\.bc$" "" name "${name}")
  string(APPEND text "{\"${name}\", {${bytes}}},\n")
endforeach()
file(WRITE ${OUTPUT}.tmp "${text}")
file(COPY_FILE ${OUTPUT}.tmp ${OUTPUT} ONLY_IF_DIFFERENT)
file(REMOVE ${OUTPUT}.tmp)

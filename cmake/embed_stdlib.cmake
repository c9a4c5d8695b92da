# Writes the standard library's *.bt files as C++ initializers, one
# `{"NAME.bt", R"scry_stdlib(TEXT)scry_stdlib"},` per file, sorted by name, for
# src/sema/stdlib.cpp.
#
#   cmake -DOUTPUT=FILE -DFILES="a.bt|b.bt" -P cmake/embed_stdlib.cmake
string(REPLACE "|" ";" FILES "${FILES}")
set(text "")
list(SORT FILES)
foreach(file ${FILES})
  file(READ ${file} content)
  if(content MATCHES "\\)scry_stdlib\"")
    message(FATAL_ERROR "${file} contains the raw-string delimiter )scry_stdlib\"")
  endif()
  get_filename_component(name ${file} NAME)
  string(APPEND text "{\"${name}\", R\"scry_stdlib(${content})scry_stdlib\"},\n")
endforeach()
file(WRITE ${OUTPUT}.tmp "${text}")
file(COPY_FILE ${OUTPUT}.tmp ${OUTPUT} ONLY_IF_DIFFERENT)
file(REMOVE ${OUTPUT}.tmp)

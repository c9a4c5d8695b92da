# The front end's sources: src/base/*.cpp (the foundation below the parser: source text,
# diagnostics, types, JSON text) and src/parser/*.cpp, plus the lexer and parser that Flex and Bison generate
# from src/parser/lexer.l and src/parser/parser.yy. Shared by the main build and the fuzz build
# (tests/fuzz/CMakeLists.txt), which compiles the same sources again with clang and libFuzzer.
#
# scry_parser_sources(<out-var> <source-root>)
#   Sets <out-var> to the list of source files, and SCRY_PARSER_INCLUDE_DIRS to the include
#   directories they need: <source-root>/src, the build directory, and the generated files'
#   directory ${CMAKE_BINARY_DIR}/parser (parser.tab.hh and lexer.hh, which src/parser/*.cpp
#   include as "parser.tab.hh"). Generated sources get SCRY_GENERATED_WARNING_FLAGS.

find_package(FLEX 2.6 REQUIRED)
find_package(BISON 3.8 REQUIRED)

# g++ 12 compiles both generated files without a warning. clang warns that Bison's lalr1.cc
# skeleton sets `yynerrs_` and never reads it; that is not ours to fix.
set(SCRY_GENERATED_WARNING_FLAGS -Wno-unused-but-set-variable)

function(scry_parser_sources out_var source_root)
  set(gen_dir ${CMAKE_BINARY_DIR}/parser)
  file(MAKE_DIRECTORY ${gen_dir})

  bison_target(scry_parser ${source_root}/src/parser/parser.yy ${gen_dir}/parser.tab.cc
               DEFINES_FILE ${gen_dir}/parser.tab.hh)
  flex_target(scry_lexer ${source_root}/src/parser/lexer.l ${gen_dir}/lexer.cc
              DEFINES_FILE ${gen_dir}/lexer.hh)
  add_flex_bison_dependency(scry_lexer scry_parser)

  set(generated ${BISON_scry_parser_OUTPUT_SOURCE} ${FLEX_scry_lexer_OUTPUTS})
  list(FILTER generated INCLUDE REGEX "\\.cc$")
  set_source_files_properties(${generated} PROPERTIES COMPILE_OPTIONS
                              "${SCRY_GENERATED_WARNING_FLAGS}")

  file(GLOB handwritten CONFIGURE_DEPENDS ${source_root}/src/base/*.cpp
       ${source_root}/src/parser/*.cpp)
  set(${out_var} ${handwritten} ${generated} PARENT_SCOPE)
  set(SCRY_PARSER_INCLUDE_DIRS ${source_root}/src ${CMAKE_BINARY_DIR} ${gen_dir} PARENT_SCOPE)
endfunction()

// `import "path";`: the files a program imports, read and parsed into its AST (the newest
// bpftrace's ResolveRootImports and ImportExternalScripts passes). Reads the program's Import
// nodes and the files they name; writes the imported definitions into the Program and the
// files into the SourceFile (for diagnostics).
#include "parser/parse.h"

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>
#include <sys/stat.h>

namespace scry {

namespace {

namespace fs = std::filesystem;

/// Whether others may write `path` or the directory holding it (the newest bpftrace refuses to
/// import from there: anyone could put code into the traced program).
bool others_may_write(const fs::path &path) {
  auto writable = [](const fs::path &p) {
    struct stat st;
    return stat(p.c_str(), &st) == 0 && (st.st_mode & S_IWOTH) != 0;
  };
  const fs::path parent = path.has_parent_path() ? path.parent_path() : fs::path(".");
  return writable(path) || writable(parent);
}

class Importer {
public:
  Importer(ast::Program &program, SourceFile &source, ast::Context &ctx, Diagnostics &diags)
      : program_(program), source_(source), ctx_(ctx), diags_(diags) {
    const fs::path script(source.name());
    base_ = source.name() == "stdin" || source.name() == "-" || !script.has_parent_path()
                ? fs::path(".")
                : script.parent_path();
  }

  /// Imports what `from`'s import statements name (the main program, then each imported one).
  void run(const std::vector<ast::Import *> &imports) {
    for (ast::Import *imp : imports)
      import_name(*imp);
  }

private:
  void import_name(const ast::Import &imp) {
    if (!names_.insert(imp.path).second)
      return; // imported already
    const fs::path path = base_ / imp.path;
    std::error_code ec;
    if (!fs::exists(path, ec)) {
      diags_.error(DiagCode::ImportFailed, imp.loc,
                   "unable to find suitable path for import \"" + imp.path + "\"",
                   "checked: " + path.string() +
                       " (imports are relative to the script's "
                       "directory)");
      return;
    }
    if (others_may_write(path)) {
      diags_.error(DiagCode::ImportFailed, imp.loc,
                   "refusing to import from a directory with global write permissions: " +
                       path.string(),
                   "move the file to a directory only its owner may write");
      return;
    }
    if (imp.in_block && (fs::is_directory(path, ec) || path.extension() == ".bt")) {
      diags_.error(DiagCode::ImportFailed, imp.loc,
                   "an import statement in a block may import only a C source (.bpf.c), header "
                   "(.h) or object (.bpf.o) file",
                   "import .bt files and directories at the top of the program");
      return;
    }
    if (fs::is_directory(path, ec)) {
      // Every .bt, .bpf.c, .bpf.o and .h file in it (not in its subdirectories); other files
      // are left out.
      std::vector<fs::path> entries;
      for (const auto &entry : fs::directory_iterator(path, ec)) {
        const fs::path &p = entry.path();
        const bool bpf_stem = p.stem().extension() == ".bpf";
        if (!entry.is_directory() &&
            (p.extension() == ".bt" || p.extension() == ".h" ||
             ((p.extension() == ".c" || p.extension() == ".o") && bpf_stem)))
          entries.push_back(p);
      }
      std::sort(entries.begin(), entries.end());
      for (const fs::path &p : entries)
        import_file(imp, p, imp.path + "/" + p.filename().string());
      return;
    }
    import_file(imp, path, imp.path);
  }

  /// Imports the file at `path`, named `name` in diagnostics (as bpftrace names it: the import's
  /// path, and for a directory's file, the directory's then the file's name).
  void import_file(const ast::Import &imp, const fs::path &path, const std::string &name) {
    const std::string ext = path.extension().string();
    const bool bpf_stem = path.stem().extension().string() == ".bpf";
    if (ext == ".h" || ((ext == ".c" || ext == ".o") && bpf_stem)) {
      import_c(imp, path,
               ext == ".h"   ? ast::ImportedC::Kind::Header
               : ext == ".c" ? ast::ImportedC::Kind::Source
                             : ast::ImportedC::Kind::Object);
      return;
    }
    if (ext != ".bt") {
      diags_.error(DiagCode::ImportFailed, imp.loc,
                   "unknown import type: " + path.filename().string(),
                   "an import names a .bt, .bpf.c or .h file, or a directory of .bt files");
      return;
    }
    std::string body;
    if (!read_once(imp, path, body))
      return;
    if (std::count(body.begin(), body.end(), '\n') >= SourceFile::kImportedLines - 1) {
      diags_.error(DiagCode::ImportFailed, imp.loc,
                   "import '" + path.string() + "' has too many lines");
      return;
    }
    const SourceFile *file = source_.add_imported(name, body);
    if (!file) {
      diags_.error(DiagCode::ImportFailed, imp.loc,
                   "too many imported files (at most " + std::to_string(SourceFile::kMaxImported) +
                       ")");
      return;
    }
    ast::Program *imported = parse(*file, ctx_, diags_);
    if (imported->config)
      diags_.error(DiagCode::InvalidConfig, imported->config->loc, "invalid `config` within import",
                   "set config in the main script");
    auto append = [](auto &to, const auto &from) { to.insert(to.end(), from.begin(), from.end()); };
    append(program_.c_definitions, imported->c_definitions);
    append(program_.map_decls, imported->map_decls);
    append(program_.macros, imported->macros);
    append(program_.probes, imported->probes);
    run(imported->imports);
  }

  /// Reads the file at `path` into `text` unless it was read already (by another name): false
  /// then, and after an error at `imp`.
  bool read_once(const ast::Import &imp, const fs::path &path, std::string &text) {
    std::error_code ec;
    if (!files_.insert(fs::weakly_canonical(fs::absolute(path, ec), ec).string()).second)
      return false;
    std::ifstream in(path, std::ios::binary);
    std::stringstream bytes;
    bytes << in.rdbuf();
    if (!in) {
      diags_.error(DiagCode::ImportFailed, imp.loc,
                   "error reading import '" + path.string() + "': " + std::strerror(errno));
      return false;
    }
    text = bytes.str();
    return true;
  }

  /// Reads a C file for sema to compile (a .bpf.c file) or to give to those compiles (a .h file),
  /// or a compiled BPF object (a .bpf.o file) to link.
  void import_c(const ast::Import &imp, const fs::path &path, ast::ImportedC::Kind kind) {
    ast::ImportedC c;
    if (!read_once(imp, path, c.text))
      return;
    std::error_code ec;
    c.kind = kind;
    c.loc = imp.loc;
    c.name = path.filename().string();
    c.path = fs::weakly_canonical(fs::absolute(path, ec), ec).string();
    program_.c_imports.push_back(std::move(c));
  }

  ast::Program &program_;
  SourceFile &source_;
  ast::Context &ctx_;
  Diagnostics &diags_;
  fs::path base_;
  std::set<std::string> names_; // import names seen, as bpftrace dedups them
  std::set<std::string> files_; // files read
};

} // namespace

void import_files(ast::Program &program, SourceFile &source, ast::Context &ctx,
                  Diagnostics &diags) {
  if (program.imports.empty())
    return;
  Importer(program, source, ctx, diags).run(program.imports);
}

} // namespace scry

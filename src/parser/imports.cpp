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
    if (fs::is_directory(path, ec)) {
      // Every .bt file in it (not in its subdirectories); other files are left out.
      std::vector<fs::path> entries;
      for (const auto &entry : fs::directory_iterator(path, ec))
        if (entry.path().extension() == ".bt" && !entry.is_directory())
          entries.push_back(entry.path());
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
    if (ext != ".bt") {
      const bool known = ext == ".h" || ((ext == ".c" || ext == ".o") &&
                                         path.stem().extension().string() == ".bpf");
      diags_.error(known ? DiagCode::NotSupported : DiagCode::ImportFailed, imp.loc,
                   known ? "importing " + path.filename().string() +
                               " is not supported by scry yet: only .bt files can be imported"
                         : "unknown import type: " + path.filename().string(),
                   "an import names a .bt file or a directory of them");
      return;
    }
    std::error_code ec;
    const fs::path canonical = fs::weakly_canonical(path, ec);
    if (!files_.insert(canonical.string()).second)
      return;
    std::ifstream in(path);
    std::stringstream text;
    text << in.rdbuf();
    if (!in) {
      diags_.error(DiagCode::ImportFailed, imp.loc,
                   "error reading import '" + path.string() + "': " + std::strerror(errno));
      return;
    }
    const std::string body = text.str();
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

//! `wasmgate new --lang LANG NAME`: a handler project that builds as it
//! stands, anywhere. It holds the shared example policy in that language,
//! the language's SDK and the WIT contract (both vendored, so the project
//! does not depend on where wasmgate's sources are), a `langgraph.json` with
//! the demo keys, and `build.sh`.

use std::path::{Path, PathBuf};

/// A file of a template: its path in the project, and its text.
type File = (&'static str, &'static str);

/// Files every project gets.
const COMMON: &[File] = &[
    ("README.md", include_str!("../templates/README.md")),
    (
        "langgraph.json",
        include_str!("../templates/langgraph.json"),
    ),
    ("wit/auth/auth.wit", include_str!("../../wit/auth/auth.wit")),
    (
        "wit/graph/graph.wit",
        include_str!("../../wit/graph/graph.wit"),
    ),
];

const RUST: &[File] = &[
    ("Cargo.toml", include_str!("../templates/rust/Cargo.toml")),
    ("build.sh", include_str!("../templates/rust/build.sh")),
    (".gitignore", include_str!("../templates/rust/gitignore")),
    (
        "src/lib.rs",
        include_str!("../../examples/owner-scoping/src/lib.rs"),
    ),
    (
        "wasmgate-guest/Cargo.toml",
        include_str!("../templates/rust/sdk-Cargo.toml"),
    ),
    (
        "wasmgate-guest/src/lib.rs",
        include_str!("../../guest-sdk/src/lib.rs"),
    ),
    (
        "wasmgate-guest/src/graph.rs",
        include_str!("../../guest-sdk/src/graph.rs"),
    ),
    (
        "wasmgate-guest/src/auth/mod.rs",
        include_str!("../../guest-sdk/src/auth/mod.rs"),
    ),
    (
        "wasmgate-guest/src/auth/authorize.rs",
        include_str!("../../guest-sdk/src/auth/authorize.rs"),
    ),
    (
        "wasmgate-guest/src/auth/error.rs",
        include_str!("../../guest-sdk/src/auth/error.rs"),
    ),
    (
        "wasmgate-guest/src/auth/request.rs",
        include_str!("../../guest-sdk/src/auth/request.rs"),
    ),
    (
        "wasmgate-guest/src/auth/settings.rs",
        include_str!("../../guest-sdk/src/auth/settings.rs"),
    ),
    (
        "wasmgate-guest/src/auth/user.rs",
        include_str!("../../guest-sdk/src/auth/user.rs"),
    ),
];

const PYTHON: &[File] = &[
    (
        "auth.py",
        include_str!("../../examples/policy-python/auth.py"),
    ),
    ("build.sh", include_str!("../templates/python/build.sh")),
    (".gitignore", include_str!("../templates/python/gitignore")),
    (
        "wasmgate_auth/_core.py",
        include_str!("../../guest-sdk/python/wasmgate_auth/_core.py"),
    ),
    (
        "wasmgate_auth/__init__.py",
        include_str!("../../guest-sdk/python/wasmgate_auth/__init__.py"),
    ),
    (
        "wasmgate_auth/settings.py",
        include_str!("../../guest-sdk/python/wasmgate_auth/settings.py"),
    ),
    (
        "wasmgate_auth/component.py",
        include_str!("../../guest-sdk/python/wasmgate_auth/component.py"),
    ),
    (
        "wasmgate_auth/exceptions.py",
        include_str!("../../guest-sdk/python/wasmgate_auth/exceptions.py"),
    ),
    (
        "wasmgate_auth/build.py",
        include_str!("../../guest-sdk/python/wasmgate_auth/build.py"),
    ),
    (
        "wasmgate_auth/types.py",
        include_str!("../../guest-sdk/python/wasmgate_auth/types.py"),
    ),
    (
        "wasmgate_auth/_auth.py",
        include_str!("../../guest-sdk/python/wasmgate_auth/_auth.py"),
    ),
];

const JS: &[File] = &[
    (
        "auth.mts",
        include_str!("../../examples/policy-js/auth.mts"),
    ),
    ("build.sh", include_str!("../templates/js/build.sh")),
    (".gitignore", include_str!("../templates/js/gitignore")),
    (
        "wasmgate-js/package.json",
        include_str!("../../guest-sdk/js/package.json"),
    ),
    (
        "wasmgate-js/package-lock.json",
        include_str!("../../guest-sdk/js/package-lock.json"),
    ),
    (
        "wasmgate-js/build.mjs",
        include_str!("../../guest-sdk/js/build.mjs"),
    ),
    (
        "wasmgate-js/lib/bundle.mjs",
        include_str!("../../guest-sdk/js/lib/bundle.mjs"),
    ),
    (
        "wasmgate-js/lib/lower-async.mjs",
        include_str!("../../guest-sdk/js/lib/lower-async.mjs"),
    ),
    (
        "wasmgate-js/src/auth.js",
        include_str!("../../guest-sdk/js/src/auth.js"),
    ),
    (
        "wasmgate-js/src/auth.d.ts",
        include_str!("../../guest-sdk/js/src/auth.d.ts"),
    ),
    (
        "wasmgate-js/src/component.js",
        include_str!("../../guest-sdk/js/src/component.js"),
    ),
    (
        "wasmgate-js/src/async.js",
        include_str!("../../guest-sdk/js/src/async.js"),
    ),
    (
        "wasmgate-js/src/utf8.js",
        include_str!("../../guest-sdk/js/src/utf8.js"),
    ),
];

const C: &[File] = &[
    ("auth.c", include_str!("../../examples/policy-c/auth.c")),
    ("build.sh", include_str!("../templates/c/build.sh")),
    (".gitignore", include_str!("../templates/c/gitignore")),
    (
        "wasmgate-c/build-component.sh",
        include_str!("../../guest-sdk/c/build-component.sh"),
    ),
    (
        "wasmgate-c/wasmgate_auth.h",
        include_str!("../../guest-sdk/c/wasmgate_auth.h"),
    ),
    (
        "wasmgate-c/wasmgate_auth.c",
        include_str!("../../guest-sdk/c/wasmgate_auth.c"),
    ),
    (
        "wasmgate-c/wasmgate_json.h",
        include_str!("../../guest-sdk/c/wasmgate_json.h"),
    ),
    (
        "wasmgate-c/wasmgate_json.c",
        include_str!("../../guest-sdk/c/wasmgate_json.c"),
    ),
];

const GO: &[File] = &[
    ("auth.go", include_str!("../../examples/policy-go/auth.go")),
    (
        "auth_test.go",
        include_str!("../../examples/policy-go/auth_test.go"),
    ),
    ("build.sh", include_str!("../templates/go/build.sh")),
    ("test.sh", include_str!("../templates/go/test.sh")),
    (".gitignore", include_str!("../templates/go/gitignore")),
    (
        "wasmgate-go/build-component.sh",
        include_str!("../../guest-sdk/go/build-component.sh"),
    ),
    (
        "wasmgate-go/test-handler.sh",
        include_str!("../../guest-sdk/go/test-handler.sh"),
    ),
    (
        "wasmgate-go/wasmgate/wasmgate.go",
        include_str!("../../guest-sdk/go/wasmgate/wasmgate.go"),
    ),
    (
        "wasmgate-go/glue/export_langgraph_auth_authenticate/glue.go",
        include_str!("../../guest-sdk/go/glue/export_langgraph_auth_authenticate/glue.go"),
    ),
    (
        "wasmgate-go/glue/export_langgraph_auth_authorize/glue.go",
        include_str!("../../guest-sdk/go/glue/export_langgraph_auth_authorize/glue.go"),
    ),
];

/// The languages `wasmgate new` knows, with their files and the display name.
pub const LANGUAGES: &[(&str, &str, &[File])] = &[
    ("rust", "Rust", RUST),
    ("python", "Python", PYTHON),
    ("js", "JavaScript", JS),
    ("go", "Go", GO),
    ("c", "C", C),
];

/// Why a project could not be created.
#[derive(Debug, thiserror::Error)]
pub enum ScaffoldError {
    /// Not one of [`LANGUAGES`].
    #[error("unknown language `{0}`: wasmgate new knows {known}", known = known())]
    UnknownLanguage(String),
    /// The name cannot be a package name.
    #[error("invalid project name `{0}`: use letters, digits, `-` and `_`, starting with a letter")]
    InvalidName(String),
    /// The folder exists and is not empty.
    #[error("{0} already exists and is not empty; choose another name or remove it")]
    Exists(PathBuf),
    /// Writing failed.
    #[error("cannot write {path}: {source}")]
    Write {
        /// The file.
        path: PathBuf,
        /// The I/O error.
        source: std::io::Error,
    },
}

fn known() -> String {
    LANGUAGES
        .iter()
        .map(|(l, _, _)| *l)
        .collect::<Vec<_>>()
        .join(", ")
}

/// Creates project `name` (its folder, in `parent`) for `lang`. Returns the
/// folder.
pub fn new_project(lang: &str, name: &str, parent: &Path) -> Result<PathBuf, ScaffoldError> {
    let Some((_, display, files)) = LANGUAGES.iter().find(|(l, _, _)| *l == lang) else {
        return Err(ScaffoldError::UnknownLanguage(lang.to_string()));
    };
    let valid = name.chars().next().is_some_and(|c| c.is_ascii_alphabetic())
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_');
    if !valid {
        return Err(ScaffoldError::InvalidName(name.to_string()));
    }
    let dir = parent.join(name);
    if dir.read_dir().is_ok_and(|mut d| d.next().is_some()) {
        return Err(ScaffoldError::Exists(dir));
    }
    let crate_name = name.replace('-', "_");
    for (path, text) in COMMON.iter().chain(files.iter()) {
        let text = text
            .replace("{{name}}", name)
            .replace("{{crate}}", &crate_name)
            .replace("{{lang}}", display);
        let file = dir.join(path);
        let write = |file: &Path| -> std::io::Result<()> {
            if let Some(p) = file.parent() {
                std::fs::create_dir_all(p)?;
            }
            std::fs::write(file, text)?;
            if file.extension().is_some_and(|e| e == "sh") {
                use std::os::unix::fs::PermissionsExt;
                std::fs::set_permissions(file, std::fs::Permissions::from_mode(0o755))?;
            }
            Ok(())
        };
        write(&file).map_err(|source| ScaffoldError::Write {
            path: file.clone(),
            source,
        })?;
    }
    Ok(dir)
}

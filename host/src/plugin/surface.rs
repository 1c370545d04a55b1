//! What a component imports and exports, and what that says about it: which
//! wasmgate contract (and version) it implements, and the imports wasmgate
//! does not grant, each with the reason and the usual fix. Used to explain a
//! refused module (in load errors) and by `wasmgate check`.

use wasmtime::Engine;
use wasmtime::component::Component;

/// The WIT version of the contracts this wasmgate implements.
pub const CONTRACT_VERSION: &str = "0.1.0";

/// Interfaces every module may import (WASI preview 2, with no files,
/// sockets or environment actually granted at run time).
const WASI_PREFIXES: &[&str] = &[
    "wasi:cli/",
    "wasi:io/",
    "wasi:clocks/",
    "wasi:random/",
    "wasi:filesystem/",
    "wasi:sockets/",
];

/// A component's imports and exports, by WIT name.
#[derive(Debug, Clone, Default)]
pub struct Surface {
    /// e.g. `wasi:cli/environment@0.2.6`.
    pub imports: Vec<String>,
    /// e.g. `langgraph:auth/authenticate@0.1.0`.
    pub exports: Vec<String>,
}

/// The contract a component implements, from its exports.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Contract {
    /// `langgraph:auth` (world `authenticator`, or `authorizer` when it
    /// exports `authorize`).
    Auth {
        /// The package version it was built against.
        version: String,
        /// Whether it exports `authorize`.
        authorize: bool,
    },
    /// `langgraph:graph` (world `agent`).
    Graph {
        /// The package version it was built against.
        version: String,
    },
    /// Neither.
    Unknown,
}

impl Surface {
    /// Reads the surface of a compiled component.
    pub fn of(engine: &Engine, component: &Component) -> Surface {
        let ty = component.component_type();
        Surface {
            imports: ty.imports(engine).map(|(n, _)| n.to_string()).collect(),
            exports: ty.exports(engine).map(|(n, _)| n.to_string()).collect(),
        }
    }

    /// Which contract the exports implement.
    pub fn contract(&self) -> Contract {
        let version_of = |prefix: &str| {
            self.exports
                .iter()
                .find_map(|e| e.strip_prefix(prefix))
                .map(|v| v.to_string())
        };
        if let Some(version) = version_of("langgraph:auth/authenticate@") {
            let authorize = self
                .exports
                .iter()
                .any(|e| e.starts_with("langgraph:auth/authorize@"));
            return Contract::Auth { version, authorize };
        }
        if let Some(version) = version_of("langgraph:graph/graph@") {
            return Contract::Graph { version };
        }
        Contract::Unknown
    }

    /// Everything wrong with the surface, each as one sentence that says
    /// why and what to do. Empty when the component fits a contract.
    pub fn problems(&self) -> Vec<String> {
        let mut problems = Vec::new();
        match self.contract() {
            Contract::Unknown => problems.push(format!(
                "it exports neither `langgraph:auth/authenticate@{CONTRACT_VERSION}` (an auth handler) nor `langgraph:graph/graph@{CONTRACT_VERSION}` (a graph); it exports [{}]. Build it against the WIT in wasmgate's `wit/` folder, world `authenticator`, `authorizer` or `agent`",
                self.exports.join(", ")
            )),
            Contract::Auth { version, .. } | Contract::Graph { version }
                if version != CONTRACT_VERSION =>
            {
                problems.push(format!(
                    "it implements version {version} of the contract, and this wasmgate implements {CONTRACT_VERSION}: rebuild it against the WIT shipped with this wasmgate (`wit/`)"
                ))
            }
            _ => {}
        }
        for import in &self.imports {
            if let Some(why) = ungranted(import) {
                problems.push(why);
            }
        }
        problems
    }
}

/// Why an import is not granted, or `None` if it is.
fn ungranted(import: &str) -> Option<String> {
    if WASI_PREFIXES.iter().any(|p| import.starts_with(p)) {
        return None;
    }
    let ours = [
        format!("langgraph:auth/settings@{CONTRACT_VERSION}"),
        format!("langgraph:auth/types@{CONTRACT_VERSION}"),
        format!("langgraph:graph/host@{CONTRACT_VERSION}"),
    ];
    if ours.iter().any(|o| o == import) {
        return None;
    }
    if let Some(rest) = import.strip_prefix("langgraph:") {
        return Some(format!(
            "it imports `langgraph:{rest}`, a version or interface of the contract this wasmgate (contract {CONTRACT_VERSION}) does not provide: rebuild it against the WIT shipped with this wasmgate"
        ));
    }
    if import.starts_with("wasi:http/") {
        return Some(format!(
            "it imports `{import}` (outgoing HTTP): wasmgate gives handlers no network. A JavaScript build with componentize-js (StarlingMonkey) adds it unless you pass `-d http fetch-event`; componentize-qjs does not add it"
        ));
    }
    Some(format!(
        "it imports `{import}`, which wasmgate does not grant: handlers and graphs get no network, files, environment or other host capabilities beyond `settings` (and `host.emit` for graphs); remove the dependency that needs it"
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn surface(imports: &[&str], exports: &[&str]) -> Surface {
        Surface {
            imports: imports.iter().map(|s| s.to_string()).collect(),
            exports: exports.iter().map(|s| s.to_string()).collect(),
        }
    }

    #[test]
    fn explains_versions_and_ungranted_imports() {
        let ok = surface(
            &[
                "wasi:cli/environment@0.2.6",
                "langgraph:auth/settings@0.1.0",
            ],
            &[
                "langgraph:auth/authenticate@0.1.0",
                "langgraph:auth/authorize@0.1.0",
            ],
        );
        assert!(ok.problems().is_empty(), "{:?}", ok.problems());
        assert_eq!(
            ok.contract(),
            Contract::Auth {
                version: "0.1.0".into(),
                authorize: true
            }
        );
        let old = surface(&[], &["langgraph:auth/authenticate@0.2.0"]);
        assert!(old.problems()[0].contains("version 0.2.0"));
        let http = surface(
            &["wasi:http/types@0.2.3"],
            &["langgraph:auth/authenticate@0.1.0"],
        );
        assert!(http.problems()[0].contains("-d http fetch-event"));
        let odd = surface(&["acme:secrets/vault"], &["langgraph:graph/graph@0.1.0"]);
        assert!(odd.problems()[0].contains("acme:secrets/vault"));
        let none = surface(&[], &["run"]);
        assert!(none.problems()[0].contains("exports neither"));
    }
}

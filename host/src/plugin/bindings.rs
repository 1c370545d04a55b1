//! Generated bindings, walled off: the only `bindgen!` calls in the host.
//! Nothing outside `plugin/` sees these types; `plugin::auth` and
//! `plugin::graph` convert them to and from the host's own types.

pub(crate) mod auth {
    wasmtime::component::bindgen!({
        path: "../wit/auth",
        world: "authenticator",
        exports: { default: async },
    });
}

/// The `authorizer` world reuses the `types` and `settings` of
/// [`auth`], so one linker (and one `settings` host impl) serves both worlds.
pub(crate) mod authz {
    wasmtime::component::bindgen!({
        path: "../wit/auth",
        world: "authorizer",
        exports: { default: async },
        with: {
            "langgraph:auth/types": super::auth::langgraph::auth::types,
            "langgraph:auth/settings": super::auth::langgraph::auth::settings,
        },
    });
}

pub(crate) mod graph {
    wasmtime::component::bindgen!({
        path: "../wit/graph",
        world: "agent",
        exports: { default: async },
    });
}

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

pub(crate) mod graph {
    wasmtime::component::bindgen!({
        path: "../wit/graph",
        world: "agent",
        exports: { default: async },
    });
}

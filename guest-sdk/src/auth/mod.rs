//! Auth handlers: the `authorizer` world of `wit/auth`.
//!
//! A handler implements [`Handler`] and names its type in [`export_auth!`](crate::export_auth).
//! It sees a [`Request`] (method, path, query and headers; never the body) and returns a
//! [`User`] or an [`HttpError`]. The handler's own settings, declared in `langgraph.json`, are
//! read with the [`settings`] functions.
//!
//! A handler may also authorize each resource action (LangGraph's `@auth.on`): its
//! [`Handler::authorization`] returns [`Rules`] that route `threads.create`, `store.put`... to
//! handler functions deciding with an [`AuthContext`] and the action's value (see
//! [`authorize`]). A handler without rules authenticates only.
//!
//! wasmgate runs the handler once per request on a fresh instance, so nothing survives between
//! calls. A panic is a *fault*, not a refusal: the request fails closed with a 500 and nobody is
//! authenticated.

pub mod authorize;
mod error;
mod request;
pub mod settings;
mod user;

pub use authorize::{AuthContext, Decision, Rules, Verdict, metadata_mut, namespace};
pub use error::HttpError;
pub use request::Request;
pub use user::{InvalidUser, User};

/// Generated bindings for the `authorizer` world. Not part of the API: use the types of
/// [`crate::auth`] instead.
#[doc(hidden)]
#[allow(missing_docs, unsafe_code, unreachable_pub, clippy::all)]
pub mod bindings {
    wit_bindgen::generate!({
        world: "authorizer",
        path: "../wit/auth",
        pub_export_macro: true,
        export_macro_name: "export",
        default_bindings_module: "wasmgate_guest::auth::bindings",
    });
}

use bindings::exports::langgraph::auth::authenticate as wit_export;
use bindings::exports::langgraph::auth::authorize as wit_authorize;
use bindings::langgraph::auth::types as wit;

/// An auth handler: authentication, and optionally authorization rules.
///
/// Implement it on a unit struct and export that struct with
/// [`export_auth!`](crate::export_auth):
///
/// ```
/// use wasmgate_guest::auth::{Handler, HttpError, Request, User};
///
/// struct Auth;
///
/// impl Handler for Auth {
///     fn authenticate(request: Request) -> Result<User, HttpError> {
///         match request.bearer_token() {
///             Some("let-me-in") => Ok(User::new("alice").permission("threads:write")),
///             _ => Err(HttpError::unauthorized("invalid token").header("www-authenticate", "Bearer")),
///         }
///     }
/// }
///
/// wasmgate_guest::export_auth!(Auth);
/// ```
pub trait Handler {
    /// Turn a request into a user (the request proceeds as that user) or refuse it with an
    /// [`HttpError`] (the client receives its status and `{"detail": ...}`).
    ///
    /// Panicking is a fault: wasmgate answers 500 and authenticates nobody.
    fn authenticate(request: Request) -> Result<User, HttpError>;

    /// The authorization rules: which function decides which (resource, action). The default
    /// has none, so the component authenticates only and every action is allowed.
    ///
    /// wasmgate asks for the covered keys once when it loads the module, then calls the
    /// component on a fresh instance for each action; both calls build the rules with this
    /// function, so the listed keys and the routing always agree. Being a function rather than
    /// a static, it can read [`settings`]. Keep it cheap: it runs once per authorized action.
    ///
    /// ```
    /// use serde_json::json;
    /// use wasmgate_guest::auth::{Decision, Handler, HttpError, Request, Rules, User};
    ///
    /// struct Auth;
    ///
    /// impl Handler for Auth {
    ///     fn authenticate(request: Request) -> Result<User, HttpError> {
    ///         request
    ///             .bearer_token()
    ///             .map(User::new)
    ///             .ok_or_else(|| HttpError::unauthorized("missing token"))
    ///     }
    ///
    ///     fn authorization() -> Rules {
    ///         Rules::new()
    ///             .global(|ctx, _| Ok(Decision::filter(json!({"owner": ctx.identity()}))))
    ///             .on("threads", "delete", |_, _| Ok(Decision::Deny))
    ///     }
    /// }
    ///
    /// wasmgate_guest::export_auth!(Auth);
    /// ```
    fn authorization() -> Rules {
        Rules::default()
    }
}

/// Export an auth [`Handler`] as the component's `authenticate` and `authorize` interfaces.
///
/// Use it exactly once, at the top level of a `cdylib` crate that targets `wasm32-wasip2`. The
/// crate only needs to depend on `wasmgate-guest`.
#[macro_export]
macro_rules! export_auth {
    ($handler:ty) => {
        const _: () = {
            type __WasmgateAuthExport = $crate::auth::__private::Export<$handler>;
            $crate::auth::bindings::export!(
                __WasmgateAuthExport with_types_in $crate::auth::bindings
            );
        };
    };
}

/// Glue between the generated bindings and [`Handler`]; used by [`export_auth!`](crate::export_auth).
#[doc(hidden)]
pub mod __private {
    use core::marker::PhantomData;

    use super::{Handler, Request, wit, wit_authorize, wit_export};

    /// The type the generated export macro is given: forwards to `H`.
    pub struct Export<H>(PhantomData<H>);

    impl<H: Handler> wit_export::Guest for Export<H> {
        fn authenticate(request: wit::Request) -> Result<wit::User, wit::HttpError> {
            H::authenticate(Request::from_wit(request))
                .map(|user| user.into_wit())
                .map_err(|error| error.into_wit())
        }
    }

    impl<H: Handler> wit_authorize::Guest for Export<H> {
        fn handlers() -> Vec<wit_authorize::HandlerKey> {
            H::authorization().wit_keys()
        }

        fn authorize(context: wit_authorize::AuthContext, value: String) -> wit_authorize::Outcome {
            H::authorization().authorize_wit(context, &value)
        }
    }
}

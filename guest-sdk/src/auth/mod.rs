//! Authentication handlers: the `authenticator` world of `wit/auth`.
//!
//! A handler implements [`Handler`] and names its type in [`export_auth!`](crate::export_auth).
//! It sees a [`Request`] (method, path, query and headers; never the body) and returns a
//! [`User`] or an [`HttpError`]. The handler's own settings, declared in `langgraph.json`, are
//! read with the [`settings`] functions.
//!
//! wasmgate runs the handler once per request on a fresh instance, so nothing survives between
//! calls. A panic is a *fault*, not a refusal: the request fails closed with a 500 and nobody is
//! authenticated.

mod error;
mod request;
pub mod settings;
mod user;

pub use error::HttpError;
pub use request::Request;
pub use user::User;

/// Generated bindings for the `authenticator` world. Not part of the API: use the types of
/// [`crate::auth`] instead.
#[doc(hidden)]
#[allow(missing_docs, unsafe_code, unreachable_pub, clippy::all)]
pub mod bindings {
    wit_bindgen::generate!({
        world: "authenticator",
        path: "../wit/auth",
        pub_export_macro: true,
        export_macro_name: "export",
        default_bindings_module: "wasmgate_guest::auth::bindings",
    });
}

use bindings::exports::langgraph::auth::authenticate as wit_export;
use bindings::langgraph::auth::types as wit;

/// An authentication handler.
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
}

/// Export an auth [`Handler`] as the component's `authenticate` function.
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

    use super::{Handler, Request, wit, wit_export};

    /// The type the generated export macro is given: forwards to `H`.
    pub struct Export<H>(PhantomData<H>);

    impl<H: Handler> wit_export::Guest for Export<H> {
        fn authenticate(request: wit::Request) -> Result<wit::User, wit::HttpError> {
            H::authenticate(Request::from_wit(request))
                .map(|user| user.into_wit())
                .map_err(|error| error.into_wit())
        }
    }
}

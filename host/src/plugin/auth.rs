//! Authentication handlers: the host side of `langgraph:auth/authenticate`.

use std::collections::BTreeMap;
use std::sync::Arc;

use wasmtime::component::Component;

use super::bindings::auth::AuthenticatorPre;
use super::bindings::auth::langgraph::auth::types as wit;
use super::{Fault, LoadError, ModuleInfo, Runtime, guarded};
use crate::config::{Limits, ModuleConfig};

/// The request as the handler sees it.
#[derive(Debug, Clone, Default)]
pub struct AuthRequest {
    /// Upper-case method.
    pub method: String,
    /// Path without the query string.
    pub path: String,
    /// Raw query string without `?`.
    pub query: String,
    /// Headers with lower-case names, raw values, in arrival order.
    pub headers: Vec<(String, Vec<u8>)>,
}

/// The user exactly as the guest returned it, before normalisation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GuestUser {
    /// `identity`.
    pub identity: String,
    /// `display-name`.
    pub display_name: Option<String>,
    /// `is-authenticated`.
    pub is_authenticated: Option<bool>,
    /// `permissions`.
    pub permissions: Vec<String>,
    /// `custom-fields`: JSON text, not yet validated.
    pub custom_fields: String,
}

/// The handler refused the request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Denial {
    /// HTTP status.
    pub status: u16,
    /// `detail`, if the handler gave one.
    pub detail: Option<String>,
    /// Headers to add to the response.
    pub headers: Vec<(String, String)>,
}

/// A compiled, linked authentication handler, ready to instantiate.
pub struct AuthModule {
    runtime: Runtime,
    pre: AuthenticatorPre<super::state::HostState>,
    info: ModuleInfo,
    settings: Arc<BTreeMap<String, String>>,
    limits: Limits,
}

impl AuthModule {
    pub(super) fn link(
        runtime: Runtime,
        component: Component,
        info: ModuleInfo,
        module: &ModuleConfig,
    ) -> Result<Self, LoadError> {
        let world_error = |reason: String| LoadError::World {
            path: info.path.clone(),
            sha256: info.sha256.clone(),
            world: "langgraph:auth/authenticator@0.1.0",
            reason,
        };
        let pre = runtime
            .inner
            .auth_linker
            .instantiate_pre(&component)
            .map_err(|e| world_error(format!("{e:#}")))?;
        let pre = AuthenticatorPre::new(pre).map_err(|e| world_error(format!("{e:#}")))?;
        Ok(AuthModule {
            runtime,
            pre,
            info,
            settings: module.settings.clone(),
            limits: module.limits,
        })
    }

    /// Which file, which bytes, loaded when.
    pub fn info(&self) -> &ModuleInfo {
        &self.info
    }

    /// Calls `authenticate` on a fresh instance.
    ///
    /// `Ok(Ok(user))`: authenticated. `Ok(Err(denial))`: the handler refused
    /// the request. `Err(fault)`: the handler failed; nobody is authenticated.
    pub async fn authenticate(
        &self,
        request: &AuthRequest,
    ) -> Result<Result<GuestUser, Denial>, Fault> {
        let _permit = self.runtime.permit()?;
        let request = wit::Request {
            method: request.method.clone(),
            path: request.path.clone(),
            query: request.query.clone(),
            headers: request
                .headers
                .iter()
                .map(|(name, value)| wit::Header {
                    name: name.clone(),
                    value: value.clone(),
                })
                .collect(),
        };
        let limits = self.limits;
        let mut store = self.runtime.store(self.settings.clone(), limits);
        let pre = &self.pre;
        let result = guarded(&self.info, limits, &mut store, async |store| {
            let instance = pre.instantiate_async(&mut *store).await?;
            instance
                .langgraph_auth_authenticate()
                .call_authenticate(&mut *store, &request)
                .await
        })
        .await?;
        Ok(match result {
            Ok(user) => Ok(GuestUser {
                identity: user.identity,
                display_name: user.display_name,
                is_authenticated: user.is_authenticated,
                permissions: user.permissions,
                custom_fields: user.custom_fields,
            }),
            Err(err) => Err(Denial {
                status: err.status,
                detail: err.detail,
                headers: err.headers,
            }),
        })
    }

    /// Proves a freshly loaded handler works before it takes over: one call
    /// with a synthetic request on a fresh instance. A refusal is fine; a
    /// fault (trap, deadline, memory) means the module must not serve.
    pub async fn canary(&self) -> Result<(), Fault> {
        let request = AuthRequest {
            method: "GET".into(),
            path: "/__wasmgate/canary".into(),
            query: String::new(),
            headers: vec![("user-agent".into(), b"wasmgate-canary".to_vec())],
        };
        self.authenticate(&request).await.map(|_| ())
    }

    /// The settings and limits it was loaded with.
    pub fn config(&self) -> (&Arc<BTreeMap<String, String>>, Limits) {
        (&self.settings, self.limits)
    }
}

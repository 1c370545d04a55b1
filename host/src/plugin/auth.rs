//! Authentication and authorization handlers: the host side of
//! `langgraph:auth/authenticate` and `langgraph:auth/authorize`.
//!
//! A component implements the `authenticator` world (authentication only) or
//! the `authorizer` world (both); which one is detected when it loads. For an
//! authorizer, `handlers()` is called once at load time, so the host knows
//! which (resource, action) pairs it covers before any request.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use wasmtime::component::Component;

use super::bindings::auth::AuthenticatorPre;
use super::bindings::auth::langgraph::auth::types as wit;
use super::bindings::authz::AuthorizerPre;
use super::bindings::authz::exports::langgraph::auth::authorize as wit_authz;
use super::{Fault, LoadError, ModuleInfo, Runtime, explain, guarded};
use crate::config::{Limits, ModuleConfig};

/// Where one call on a fresh instance spent its time.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct CallPhases {
    /// Creating the store and instantiating the component (for a Python
    /// guest, mostly filling in its function tables).
    pub instantiate: Duration,
    /// The exported function, from its first instruction to its result
    /// (page faults on the guest's memory land here).
    pub call: Duration,
    /// Dropping the instance, which resets its memory slot for the next one.
    pub teardown: Duration,
}

impl CallPhases {
    /// The median of each phase over `samples` (zero when there are none).
    pub fn median(samples: &[CallPhases]) -> CallPhases {
        let median = |part: fn(&CallPhases) -> Duration| {
            let mut v: Vec<Duration> = samples.iter().map(part).collect();
            v.sort();
            v.get(v.len() / 2).copied().unwrap_or_default()
        };
        CallPhases {
            instantiate: median(|p| p.instantiate),
            call: median(|p| p.call),
            teardown: median(|p| p.teardown),
        }
    }
}

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

/// One authorization question, as the handler receives it.
#[derive(Debug, Clone)]
pub struct AuthzRequest {
    /// The exposed user JSON (custom fields included).
    pub user: String,
    /// Permissions from authentication.
    pub permissions: Vec<String>,
    /// e.g. `threads`.
    pub resource: String,
    /// e.g. `create`.
    pub action: String,
    /// Whether the caller is the Studio user.
    pub is_studio_user: bool,
    /// The action's value, JSON text.
    pub value: String,
}

/// What an authorization handler decided, before the host validates it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AuthzDecision {
    /// Proceed unfiltered.
    Allow,
    /// 403 `Forbidden`.
    Deny,
    /// A filter, JSON text not yet validated.
    Filter(String),
    /// Refuse with this error.
    Error(Denial),
}

/// A decision plus the value as the handler edited it (JSON text), if it did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuthzOutcome {
    /// The decision.
    pub decision: AuthzDecision,
    /// The edited value, or `None` when unchanged.
    pub value: Option<String>,
}

/// The world a handler implements.
enum Pre {
    Authenticator(AuthenticatorPre<super::state::HostState>),
    Authorizer(AuthorizerPre<super::state::HostState>),
}

/// The WIT name of the authorize export, which tells the worlds apart.
const AUTHORIZE_EXPORT: &str = "langgraph:auth/authorize@0.1.0";

/// A compiled, linked authentication handler, ready to instantiate.
pub struct AuthModule {
    runtime: Runtime,
    pre: Pre,
    info: ModuleInfo,
    settings: Arc<BTreeMap<String, String>>,
    limits: Limits,
    /// The (resource, action) keys `handlers()` returned; empty for an
    /// authentication-only handler.
    coverage: Vec<(String, String)>,
}

impl AuthModule {
    pub(super) fn link(
        runtime: Runtime,
        component: Component,
        info: ModuleInfo,
        module: &ModuleConfig,
    ) -> Result<Self, LoadError> {
        let engine = &runtime.inner.engine;
        let authorizer = component
            .component_type()
            .exports(engine)
            .any(|(name, _)| name == AUTHORIZE_EXPORT);
        let world = if authorizer {
            "langgraph:auth/authorizer@0.1.0"
        } else {
            "langgraph:auth/authenticator@0.1.0"
        };
        let problems = super::surface::Surface::of(&runtime.inner.engine, &component).problems();
        let world_error = |reason: String| LoadError::World {
            path: info.path.clone(),
            sha256: info.sha256.clone(),
            world,
            reason: explain(reason, &problems),
        };
        let linked = runtime
            .inner
            .auth_linker
            .instantiate_pre(&component)
            .map_err(|e| world_error(format!("{e:#}")))?;
        let pre = if authorizer {
            Pre::Authorizer(AuthorizerPre::new(linked).map_err(|e| world_error(format!("{e:#}")))?)
        } else {
            Pre::Authenticator(
                AuthenticatorPre::new(linked).map_err(|e| world_error(format!("{e:#}")))?,
            )
        };
        Ok(AuthModule {
            runtime,
            pre,
            info,
            settings: module.settings.clone(),
            limits: module.limits,
            coverage: Vec::new(),
        })
    }

    /// Asks an authorizer which pairs it covers (once, at load time). A
    /// fault here refuses the module.
    pub(super) async fn discover_coverage(&mut self) -> Result<(), LoadError> {
        let Pre::Authorizer(pre) = &self.pre else {
            return Ok(());
        };
        let _permit = self.runtime.permit().map_err(|f| self.load_fault(&f))?;
        let mut store = self.runtime.store(self.settings.clone(), self.limits);
        let keys = guarded(&self.info, self.limits, &mut store, async |store| {
            let instance = pre.instantiate_async(&mut *store).await?;
            instance
                .langgraph_auth_authorize()
                .call_handlers(&mut *store)
                .await
        })
        .await
        .map_err(|f| self.load_fault(&f))?;
        self.coverage = keys.into_iter().map(|k| (k.resource, k.action)).collect();
        Ok(())
    }

    fn load_fault(&self, fault: &Fault) -> LoadError {
        LoadError::World {
            path: self.info.path.clone(),
            sha256: self.info.sha256.clone(),
            world: "langgraph:auth/authorizer@0.1.0",
            reason: format!("`handlers()` failed: {fault}"),
        }
    }

    /// The (resource, action) keys the handler covers (`*` wildcards);
    /// empty when it only authenticates.
    pub fn coverage(&self) -> &[(String, String)] {
        &self.coverage
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
        self.authenticate_phased(request).await.0
    }

    /// [`AuthModule::authenticate`], and where its time went (for
    /// `wasmgate check` and the benchmarks).
    pub async fn authenticate_phased(
        &self,
        request: &AuthRequest,
    ) -> (Result<Result<GuestUser, Denial>, Fault>, CallPhases) {
        let _permit = match self.runtime.permit() {
            Ok(permit) => permit,
            Err(fault) => return (Err(fault), CallPhases::default()),
        };
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
        let started = Instant::now();
        let mut store = self.runtime.store(self.settings.clone(), limits);
        let pre = &self.pre;
        let mut instantiated = None;
        let result = guarded(&self.info, limits, &mut store, async |store| match pre {
            Pre::Authenticator(pre) => {
                let instance = pre.instantiate_async(&mut *store).await?;
                instantiated = Some(Instant::now());
                instance
                    .langgraph_auth_authenticate()
                    .call_authenticate(&mut *store, &request)
                    .await
            }
            Pre::Authorizer(pre) => {
                let instance = pre.instantiate_async(&mut *store).await?;
                instantiated = Some(Instant::now());
                instance
                    .langgraph_auth_authenticate()
                    .call_authenticate(&mut *store, &request)
                    .await
            }
        })
        .await;
        let returned = Instant::now();
        drop(store);
        let instantiated = instantiated.unwrap_or(returned);
        let phases = CallPhases {
            instantiate: instantiated - started,
            call: returned - instantiated,
            teardown: returned.elapsed(),
        };
        let result = result.map(|result| match result {
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
        });
        (result, phases)
    }

    /// Calls `authorize` on a fresh instance. `Err(fault)`: the handler
    /// failed, and the action must not proceed. Only for authorizers.
    pub async fn authorize(&self, request: &AuthzRequest) -> Result<AuthzOutcome, Fault> {
        let Pre::Authorizer(pre) = &self.pre else {
            return Ok(AuthzOutcome {
                decision: AuthzDecision::Allow,
                value: None,
            });
        };
        let _permit = self.runtime.permit()?;
        let context = wit_authz::AuthContext {
            user: request.user.clone(),
            permissions: request.permissions.clone(),
            resource: request.resource.clone(),
            action: request.action.clone(),
            is_studio_user: request.is_studio_user,
        };
        let limits = self.limits;
        let mut store = self.runtime.store(self.settings.clone(), limits);
        let outcome = guarded(&self.info, limits, &mut store, async |store| {
            let instance = pre.instantiate_async(&mut *store).await?;
            instance
                .langgraph_auth_authorize()
                .call_authorize(&mut *store, &context, &request.value)
                .await
        })
        .await?;
        let decision = match outcome.decision {
            wit_authz::Decision::Allow => AuthzDecision::Allow,
            wit_authz::Decision::Deny => AuthzDecision::Deny,
            wit_authz::Decision::Filter(text) => AuthzDecision::Filter(text),
            wit_authz::Decision::Error(err) => AuthzDecision::Error(Denial {
                status: err.status,
                detail: err.detail,
                headers: err.headers,
            }),
        };
        Ok(AuthzOutcome {
            decision,
            value: outcome.value,
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

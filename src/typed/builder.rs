//! The connection and subscription builders of the typed bindings, generic over the module: the
//! dynamic builders with callbacks that receive the module's own context types.

use super::{AbstractEventContext, FromDbConnection, SpacetimeModule};
use crate::schema::Schema;
use crate::{Compression, ConnectionId, Error, Identity, Result};
use std::marker::PhantomData;

/// Configures a connection to module `M` (the generated `DbConnection::builder()`).
pub struct DbConnectionBuilder<M> {
    imp: crate::DbConnectionBuilder,
    _module: PhantomData<fn() -> M>,
}

impl<M: SpacetimeModule> Default for DbConnectionBuilder<M> {
    fn default() -> Self {
        Self::new()
    }
}

impl<M: SpacetimeModule> DbConnectionBuilder<M> {
    pub fn new() -> Self {
        DbConnectionBuilder { imp: crate::DbConnection::builder(), _module: PhantomData }
    }

    /// `http://`, `https://`, `ws://` or `wss://` address of the SpacetimeDB host.
    pub fn with_uri(mut self, uri: impl Into<String>) -> Self {
        self.imp = self.imp.with_uri(uri);
        self
    }

    /// The database's name or identity.
    pub fn with_module_name(mut self, name_or_identity: impl Into<String>) -> Self {
        self.imp = self.imp.with_module_name(name_or_identity);
        self
    }

    /// The same as [`with_module_name`](Self::with_module_name) (the 2.x SDK's name for it).
    pub fn with_database_name(self, name_or_identity: impl Into<String>) -> Self {
        self.with_module_name(name_or_identity)
    }

    /// Connect as the identity this token belongs to; `None` lets the server issue a new one.
    pub fn with_token(mut self, token: Option<impl Into<String>>) -> Self {
        self.imp = self.imp.with_token(token);
        self
    }

    pub fn with_compression(mut self, compression: Compression) -> Self {
        self.imp = self.imp.with_compression(compression);
        self
    }

    /// Light mode (v1): other clients' transactions arrive without reducer metadata.
    pub fn with_light_mode(mut self, light: bool) -> Self {
        self.imp = self.imp.with_light_mode(light);
        self
    }

    /// Any other setting of the dynamic builder (`with_protocols`, `with_reconnect`, …).
    pub fn configure(mut self, f: impl FnOnce(crate::DbConnectionBuilder) -> crate::DbConnectionBuilder) -> Self {
        self.imp = f(self.imp);
        self
    }

    /// Runs once the server has accepted the connection: our identity and token.
    pub fn on_connect(mut self, callback: impl FnOnce(&M::DbConnection, Identity, &str) + Send + 'static) -> Self {
        self.imp = self.imp.on_connect(move |conn, identity, token, _: ConnectionId| {
            callback(&M::DbConnection::new(conn.clone()), identity, token)
        });
        self
    }

    /// Runs if the connection could not be established.
    pub fn on_connect_error(mut self, callback: impl FnOnce(&M::ErrorContext, Error) + Send + 'static) -> Self {
        self.imp =
            self.imp.on_connect_error(move |conn, e| callback(&M::ErrorContext::new(conn.clone(), Some(e.clone())), e.clone()));
        self
    }

    /// Runs when the connection ends: `None` after [`disconnect`](super::DbContext::disconnect).
    pub fn on_disconnect(mut self, callback: impl FnOnce(&M::ErrorContext, Option<Error>) + Send + 'static) -> Self {
        self.imp = self.imp.on_disconnect(move |conn, e| callback(&M::ErrorContext::new(conn.clone(), e.cloned()), e.cloned()));
        self
    }

    /// Starts connecting in the background and returns at once; callbacks run as the connection
    /// is advanced (`frame_tick`, `run_threaded`, …). The bindings' schema is given to the
    /// connection, so tables and reducers can be used right away.
    pub fn build(self) -> Result<M::DbConnection> {
        let schema = Schema::from_json(M::SCHEMA_JSON).map_err(|e| Error::InvalidState(format!("the bindings' schema: {e}")))?;
        let conn = self.imp.with_schema(schema).build()?;
        Ok(M::DbConnection::new(conn))
    }
}

/// Queries to subscribe to: a string, or an array, slice or `Vec` of them.
pub trait IntoQueries {
    fn into_queries(self) -> Vec<String>;
}

impl IntoQueries for &str {
    fn into_queries(self) -> Vec<String> {
        vec![self.to_owned()]
    }
}

impl IntoQueries for String {
    fn into_queries(self) -> Vec<String> {
        vec![self]
    }
}

impl<S: AsRef<str>, const N: usize> IntoQueries for [S; N] {
    fn into_queries(self) -> Vec<String> {
        self.iter().map(|q| q.as_ref().to_owned()).collect()
    }
}

impl<S: AsRef<str>, const N: usize> IntoQueries for &[S; N] {
    fn into_queries(self) -> Vec<String> {
        self.iter().map(|q| q.as_ref().to_owned()).collect()
    }
}

impl<S: AsRef<str>> IntoQueries for &[S] {
    fn into_queries(self) -> Vec<String> {
        self.iter().map(|q| q.as_ref().to_owned()).collect()
    }
}

impl<S: AsRef<str>> IntoQueries for Vec<S> {
    fn into_queries(self) -> Vec<String> {
        self.iter().map(|q| q.as_ref().to_owned()).collect()
    }
}

/// Configures one subscription (from `ctx.subscription_builder()`), then sends it.
pub struct SubscriptionBuilder<M> {
    imp: crate::SubscriptionBuilder,
    _module: PhantomData<fn() -> M>,
}

impl<M: SpacetimeModule> SubscriptionBuilder<M> {
    pub fn new(conn: &crate::DbConnection) -> Self {
        SubscriptionBuilder { imp: conn.subscription_builder(), _module: PhantomData }
    }

    /// Runs once the subscription's rows are in the cache (after their insert callbacks).
    pub fn on_applied(mut self, callback: impl FnOnce(&M::SubscriptionEventContext) + Send + 'static) -> Self {
        self.imp = self.imp.on_applied(move |ctx| callback(&M::SubscriptionEventContext::new(ctx.conn.clone(), ())));
        self
    }

    /// Runs if the server rejects the subscription or ends it with an error.
    pub fn on_error(mut self, callback: impl FnOnce(&M::ErrorContext, Error) + Send + 'static) -> Self {
        self.imp = self.imp.on_error(move |ctx, why| {
            let e = Error::SubscriptionFatal(why.to_owned());
            callback(&M::ErrorContext::new(ctx.conn.clone(), Some(e.clone())), e)
        });
        self
    }

    /// Subscribes to `queries` (SQL `SELECT`s). If the request cannot be sent (the connection
    /// has ended) the error is logged and the handle is ended; [`try_subscribe`](Self::try_subscribe)
    /// returns it instead.
    pub fn subscribe(self, queries: impl IntoQueries) -> SubscriptionHandle<M> {
        match self.try_subscribe(queries) {
            Ok(h) => h,
            Err(e) => {
                log::error!("subscribing: {e}");
                SubscriptionHandle { imp: None, _module: PhantomData }
            }
        }
    }

    pub fn try_subscribe(self, queries: impl IntoQueries) -> Result<SubscriptionHandle<M>> {
        let queries = queries.into_queries();
        let imp = self.imp.subscribe(&queries)?;
        Ok(SubscriptionHandle { imp: Some(imp), _module: PhantomData })
    }

    /// Subscribes to every public table of the module.
    pub fn subscribe_to_all_tables(self) {
        if let Err(e) = self.imp.subscribe_to_all_tables() {
            log::error!("subscribing to all tables: {e}");
        }
    }
}

/// One subscription.
pub struct SubscriptionHandle<M> {
    imp: Option<crate::SubscriptionHandle>,
    _module: PhantomData<fn() -> M>,
}

impl<M> Clone for SubscriptionHandle<M> {
    fn clone(&self) -> Self {
        SubscriptionHandle { imp: self.imp.clone(), _module: PhantomData }
    }
}

impl<M: SpacetimeModule> SubscriptionHandle<M> {
    /// Unsubscribed, failed, or never sent.
    pub fn is_ended(&self) -> bool {
        self.imp.as_ref().is_none_or(|h| h.is_ended())
    }

    /// Applied and not yet unsubscribed.
    pub fn is_active(&self) -> bool {
        self.imp.as_ref().is_some_and(|h| h.is_active())
    }

    pub fn unsubscribe(self) -> Result<()> {
        self.imp.as_ref().ok_or(Error::Disconnected)?.unsubscribe()
    }

    /// Unsubscribes; `on_end` runs once the rows have left the cache.
    pub fn unsubscribe_then(self, on_end: impl FnOnce(&M::SubscriptionEventContext) + Send + 'static) -> Result<()> {
        self.imp
            .as_ref()
            .ok_or(Error::Disconnected)?
            .unsubscribe_then(move |ctx| on_end(&M::SubscriptionEventContext::new(ctx.conn.clone(), ())))
    }

    /// The dynamic handle underneath (`None` if the subscription was never sent).
    pub fn raw(&self) -> Option<&crate::SubscriptionHandle> {
        self.imp.as_ref()
    }
}

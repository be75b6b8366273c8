//! Fetches the module's schema over HTTP before the socket opens (when the builder was not given
//! one), on a blocking thread with sockets that never raise SIGPIPE.

use super::classify::{classify_transport, connect_error};
use super::Config;
use crate::error::{ConnectErrorKind, Error};
use crate::schema::Schema;
use std::sync::Arc;

/// The module's schema: V10 from 2.x servers, V9 from 1.x servers (which answer 400 to
/// `?version=10`).
pub(super) async fn fetch_schema(config: &Config) -> Result<Arc<Schema>, Error> {
    match fetch_schema_version(config, 10).await {
        Err(Error::Connect { kind: ConnectErrorKind::HttpStatus(400), .. }) => fetch_schema_version(config, 9).await,
        other => other,
    }
}

async fn fetch_schema_version(config: &Config, version: u32) -> Result<Arc<Schema>, Error> {
    let url = format!("{}/v1/database/{}/schema?version={version}", config.http_base, config.database);
    let token = config.token.clone();
    let timeout = config.connect_timeout;
    let database = config.database.clone();
    let base = config.http_base.clone();
    let fetched = tokio::task::spawn_blocking(move || {
        let agent = crate::connection::nosigpipe::ureq_agent(timeout);
        let mut req = agent.get(&url);
        if let Some(t) = &token {
            req = req.set("Authorization", &format!("Bearer {t}"));
        }
        match req.call() {
            Ok(resp) => resp
                .into_string()
                .map_err(|e| connect_error(ConnectErrorKind::Schema, format!("reading the schema from {url}: {e}"))),
            Err(ureq::Error::Status(status, resp)) => {
                let body = resp.into_string().unwrap_or_default();
                let meaning = match status {
                    404 => format!("database `{database}` not found"),
                    401 => "the token was rejected (401 Unauthorized)".to_owned(),
                    _ => format!("HTTP status {status} fetching the schema"),
                };
                let message = if body.trim().is_empty() { meaning } else { format!("{meaning}: {}", body.trim()) };
                Err(connect_error(ConnectErrorKind::HttpStatus(status), message))
            }
            Err(ureq::Error::Transport(t)) => Err(classify_transport(&t, &base)),
        }
    })
    .await
    .map_err(|e| connect_error(ConnectErrorKind::Other, format!("schema fetch task failed: {e}")))??;
    Schema::from_json(&fetched).map_err(|e| connect_error(ConnectErrorKind::Schema, e))
}

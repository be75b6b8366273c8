//! Records every connect and disconnect, so tests can check that the client's
//! connection lifecycle reaches the module with the right identity and connection id.
use spacetimedb::{reducer, table, ConnectionId, Identity, ReducerContext, Table};

#[table(accessor = connected, public)]
pub struct Connected {
    identity: Identity,
    connection_id: ConnectionId,
}

#[table(accessor = disconnected, public)]
pub struct Disconnected {
    identity: Identity,
    connection_id: ConnectionId,
}

#[reducer(client_connected)]
pub fn client_connected(ctx: &ReducerContext) {
    ctx.db.connected().insert(Connected {
        identity: ctx.sender(),
        // Always Some for a websocket connection; ZERO marks "absent" rather than failing the connect.
        connection_id: ctx.connection_id().unwrap_or(ConnectionId::ZERO),
    });
}

#[reducer(client_disconnected)]
pub fn client_disconnected(ctx: &ReducerContext) {
    ctx.db.disconnected().insert(Disconnected {
        identity: ctx.sender(),
        connection_id: ctx.connection_id().unwrap_or(ConnectionId::ZERO),
    });
}

// Names on the wire exactly as written (as with 1.x): 2.x would otherwise convert them to
// snake_case (`add_u64` -> `add_u_64`).
#[spacetimedb::settings]
const CASE_CONVERSION_POLICY: spacetimedb::CaseConversionPolicy = spacetimedb::CaseConversionPolicy::None;

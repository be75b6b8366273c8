//! Records every connect and disconnect, so tests can check that the client's
//! connection lifecycle reaches the module with the right identity and connection id.
use spacetimedb::{reducer, table, ConnectionId, Identity, ReducerContext, Table};

#[table(name = connected, public)]
pub struct Connected {
    identity: Identity,
    connection_id: ConnectionId,
}

#[table(name = disconnected, public)]
pub struct Disconnected {
    identity: Identity,
    connection_id: ConnectionId,
}

#[reducer(client_connected)]
pub fn client_connected(ctx: &ReducerContext) {
    ctx.db.connected().insert(Connected {
        identity: ctx.sender,
        // Always Some for a websocket connection; ZERO marks "absent" rather than failing the connect.
        connection_id: ctx.connection_id.unwrap_or(ConnectionId::ZERO),
    });
}

#[reducer(client_disconnected)]
pub fn client_disconnected(ctx: &ReducerContext) {
    ctx.db.disconnected().insert(Disconnected {
        identity: ctx.sender,
        connection_id: ctx.connection_id.unwrap_or(ConnectionId::ZERO),
    });
}

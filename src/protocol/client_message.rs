//! Encoding of `ClientMessage` (v1, BSATN) with the spacetimedb-client-api-messages 1.2.0 types,
//! the same code the 1.2.0 server decodes them with.

use bytes::Bytes;
use spacetimedb_client_api_messages::websocket as ws;
use spacetimedb_lib::bsatn;

/// The two reducer call flags the v1 protocol defines.
#[repr(u8)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum CallReducerFlags {
    /// The caller is told about the outcome even when it touched nothing it subscribed to.
    #[default]
    FullUpdate = 0,
    /// The caller is told only about failures and changes to rows it subscribed to.
    NoSuccessNotify = 1,
}

fn encode(msg: ws::ClientMessage<Bytes>) -> Vec<u8> {
    // Serializing into a Vec cannot fail: every field is a plain value or byte string.
    bsatn::to_vec(&msg).expect("BSATN encoding of a ClientMessage into a Vec cannot fail")
}

pub fn call_reducer(reducer: &str, args: &[u8], request_id: u32, flags: CallReducerFlags) -> Vec<u8> {
    encode(ws::ClientMessage::CallReducer(ws::CallReducer {
        reducer: reducer.into(),
        args: Bytes::copy_from_slice(args),
        request_id,
        flags: match flags {
            CallReducerFlags::FullUpdate => ws::CallReducerFlags::FullUpdate,
            CallReducerFlags::NoSuccessNotify => ws::CallReducerFlags::NoSuccessNotify,
        },
    }))
}

pub fn subscribe_multi(queries: &[String], request_id: u32, query_id: u32) -> Vec<u8> {
    encode(ws::ClientMessage::SubscribeMulti(ws::SubscribeMulti {
        query_strings: queries.iter().map(|q| q.as_str().into()).collect(),
        request_id,
        query_id: ws::QueryId::new(query_id),
    }))
}

pub fn unsubscribe_multi(request_id: u32, query_id: u32) -> Vec<u8> {
    encode(ws::ClientMessage::UnsubscribeMulti(ws::UnsubscribeMulti { request_id, query_id: ws::QueryId::new(query_id) }))
}

pub fn one_off_query(message_id: &[u8], query: &str) -> Vec<u8> {
    encode(ws::ClientMessage::OneOffQuery(ws::OneOffQuery { message_id: message_id.into(), query_string: query.into() }))
}

-- Idempotency keys: the answer a write gave, stored in the same transaction as the write, so a
-- client whose answer was lost (the connection died after the commit) can send the request again
-- with the same `Idempotency-Key` header and get the original answer instead of a second write or
-- a 409. The primary key decides between two concurrent requests with one key: the second one's
-- insert waits for the first transaction and then fails, and that request replays the answer.
-- Keys are scoped per user and answered for 24 hours; older rows are purged by later writes.
create table idempotency_keys (
    user_id bigint not null references users(id),
    idempotency_key text not null,    -- 1 to 255 visible ASCII characters, chosen by the client
    route text not null,              -- method and path, e.g. `PUT /v1/rounds/1400-2/declaration`
    request_hash text not null,       -- SHA-256 of the request body, hex
    status integer not null,          -- the answer's HTTP status
    body text not null,               -- the answer's JSON body
    created_at bigint not null,
    primary key (user_id, idempotency_key)
);
create index idempotency_keys_by_age on idempotency_keys (created_at);

-- Accounts, offices, self-declarations and the audit log (SQLite).
-- Times are Unix milliseconds (UTC); JSON documents are stored as text.

-- Offices: one row per licensed office, imported in bulk.
create table offices (
    id text primary key,              -- license number
    kind text not null,               -- pishkhan | non_governmental | rural_ict
    region integer not null,          -- 1..9
    province text not null,
    name text not null default '',
    holder_national_code text not null,
    created_at bigint not null,
    updated_at bigint not null
);

-- Users of every role. An office holder's username starts as the national code, and while
-- password_hash is null the initial password is the national code itself.
create table users (
    id integer primary key autoincrement,
    username text not null unique,
    password_hash text,
    role text not null,               -- office | reviewer | regulator | admin | api_client
    office_id text references offices(id),
    region integer,
    national_code text,
    failed_logins integer not null default 0,
    locked_until bigint,
    created_at bigint not null,
    updated_at bigint not null
);
create unique index users_office on users(office_id) where office_id is not null;

-- Sessions and long-lived API tokens; only a SHA-256 of the token is kept.
create table sessions (
    token_hash text primary key,
    user_id integer not null references users(id),
    kind text not null,               -- session | api
    created_at bigint not null,
    expires_at bigint not null
);
create index sessions_user on sessions(user_id);

-- A self-declaration: one per office and round. `version` guards against lost updates.
create table declarations (
    round text not null,
    office_id text not null references offices(id),
    status text not null,             -- draft | submitted
    office_values text not null,      -- JSON object: input name -> value, office-supplied
    region_values text not null,      -- JSON object: region- and inspection-supplied inputs
    carried_over text not null,       -- JSON array of input names taken from the previous round
    version integer not null,
    created_at bigint not null,
    updated_at bigint not null,
    submitted_at bigint,
    primary key (round, office_id)
);

-- Append-only record of every state change.
create table audit_log (
    id integer primary key autoincrement,
    at bigint not null,
    actor text not null,
    action text not null,
    subject text not null,
    before text,
    after text
);
create index audit_subject on audit_log(subject);

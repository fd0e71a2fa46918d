-- Rule-set versions (SQLite): every version of a round's rule files that was ever live, with its
-- full source text, so a published result can be replayed against exactly the rules that produced
-- it, whatever the files say today. Times are Unix milliseconds (UTC).

-- One row per distinct version of a round, addressed by the hash of its files. Never updated.
create table rule_versions (
    round text not null,
    hash text not null,               -- SHA-256 over every file's relative path and text, in hex
    version text not null,            -- the `version:` label of round.yaml
    source text not null,             -- JSON: {"files": [{"path": "criteria.yaml", "text": "…"}, …]}
    loaded_at bigint not null,        -- when it was first read, compiled and tested
    first_live_at bigint not null,    -- when it first served
    origin text not null,             -- startup | file_watcher: what first made it live
    replica text not null,            -- host:pid of the server that first made it live
    primary key (round, hash)
);

-- Append-only: every time a server made a version live (at start-up or after an edit), so the
-- version that served last is known even after reverts, and replicas can be compared.
create table rule_activations (
    id integer primary key autoincrement,
    round text not null,
    hash text not null,
    at bigint not null,
    origin text not null,             -- startup | file_watcher
    replica text not null,            -- host:pid
    foreign key (round, hash) references rule_versions(round, hash)
);
create index rule_activations_round on rule_activations(round, id);

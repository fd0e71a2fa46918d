-- The rest of a round: referrals for correction, publications (immutable snapshots), objections.
-- Declarations gain the statuses `referred`; the region's values live in declarations.region_values.

-- A file sent back to its office: which fields and why, until when.
create table referrals (
    id integer primary key autoincrement,
    round text not null,
    office_id text not null references offices(id),
    reasons text not null,            -- JSON object: input name -> reason
    original_values text not null,    -- JSON: the office values when referred (restored if it expires)
    referred_by text not null,
    referred_at bigint not null,
    deadline_at bigint not null,      -- end of the correction window
    resolved_at bigint,               -- when the office resubmitted
    status text not null              -- open | resubmitted | expired
);
create index referrals_file on referrals(round, office_id);

-- A publication: the first results or the final ranks of a round. Never updated.
create table publications (
    id integer primary key autoincrement,
    round text not null,
    stage text not null,              -- first | final
    rules_hash text not null,
    rules_version text not null,
    engine_version text not null,
    published_at bigint not null,
    published_by text not null,
    office_count integer not null,
    snapshot_hash text not null,      -- SHA-256 over every result row, in office order
    unique (round, stage)
);

-- One office's result in a publication: the inputs used, the explanation, the placement.
create table publication_results (
    publication_id bigint not null references publications(id),
    office_id text not null,
    region integer not null,
    kind text not null,
    filed integer not null,           -- 1 if the office filed its self-declaration
    total text,                       -- exact decimal as text; null for a non-filer in the lowest grade
    grade integer not null,
    service_share text not null,
    inputs text not null,             -- JSON: the values the score was computed from
    result text not null,             -- JSON: explanation, positions, grade, share (canonical)
    primary key (publication_id, office_id)
);

-- An office's written objection to its first result, and the region's decision.
create table objections (
    id integer primary key autoincrement,
    round text not null,
    office_id text not null references offices(id),
    text text not null,
    criteria text not null,           -- JSON array of criterion ids objected to
    filed_at bigint not null,
    status text not null,             -- pending | accepted | rejected
    corrections text not null,        -- JSON object: input name -> corrected value (applied if accepted)
    decision_reason text,
    decided_by text,
    decided_at bigint,
    version integer not null,
    unique (round, office_id)
);

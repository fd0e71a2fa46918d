-- The population generation: a counter bumped in the same transaction as every write to offices or
-- declarations, and stamped on the rows that write touched. A server that keeps a round's population
-- in memory (prepared and ranked, for simulations) reads the counter in one cheap query to know
-- whether its copy is current, and fetches only the rows stamped after its copy to bring it up to
-- date, whichever replica wrote. Updating the single counter row also orders concurrent writers:
-- generations follow commit order.
create table population_generation (
    id integer primary key check (id = 1),
    generation bigint not null
);
insert into population_generation (id, generation) values (1, 0);

alter table offices add column generation bigint not null default 0;
alter table declarations add column generation bigint not null default 0;
create index offices_by_generation on offices (generation);
create index declarations_by_generation on declarations (generation);

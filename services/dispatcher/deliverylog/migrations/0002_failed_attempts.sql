-- ListFailingSubscriptions (PG.Failing) counts the failed attempts (no
-- 2xx) that started in a window, typically the last hour: without an index
-- on started_at it reads every attempt of every retained partition. The
-- index is partial, on failed attempts only: a small share of them, and
-- the only ones the query asks for. The query's condition is written as
-- the predicate is, so that the planner can use it.
--
-- Built on the partitioned table, inside the migration's transaction, it
-- takes a SHARE lock on the table and on each partition in turn and holds
-- them until it commits: writes wait for the whole build. The runner's lock_timeout (10 s) makes it fail rather
-- than queue every write behind a long transaction. On a large log, build
-- each partition's index first with CREATE INDEX CONCURRENTLY (the README's
-- delivery log section has the statement): this CREATE INDEX then only
-- attaches them, in moments.
CREATE INDEX delivery_attempts_failed ON delivery_attempts (started_at)
    WHERE status < 200 OR status >= 300;

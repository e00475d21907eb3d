-- ListFailingSubscriptions (PG.Failing) counts the failed attempts (no
-- 2xx) that started in a window, typically the last hour: without an index
-- on started_at it reads every attempt of every retained partition. The
-- index is partial, on failed attempts only: a small share of them, and
-- the only ones the query asks for. The query's condition is written as
-- the predicate is, so that the planner can use it.
CREATE INDEX delivery_attempts_failed ON delivery_attempts (started_at)
    WHERE status < 200 OR status >= 300;

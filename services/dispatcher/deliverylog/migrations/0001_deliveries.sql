-- Deliveries and their attempts, each partitioned by day of the delivery's
-- creation (UTC). Retention drops whole partitions: a day's deliveries go
-- together with their attempts, and no row is ever deleted one by one.
-- Partitions are made ahead by the dispatcher (deliverylog.PG), named
-- <table>_pYYYYMMDD.

CREATE TABLE deliveries (
    id                 text        NOT NULL, -- <subscription id>_<event key>, also the webhook-id
    created_at         timestamptz NOT NULL, -- partition key; set by the first write
    updated_at         timestamptz NOT NULL,
    subscription_id    text        NOT NULL,
    subscription_scope text        NOT NULL, -- who may see it (a scope subtree)
    event_id           text        NOT NULL,
    event_type         text        NOT NULL,
    scope              text        NOT NULL, -- the event's
    event_seq          bigint      NOT NULL, -- in the EVENTS stream
    state              text        NOT NULL, -- PENDING, HELD, DELIVERED, FAILED, DISCARDED
    hold_reason        text        NOT NULL DEFAULT '', -- paused, suspended (state HELD)
    attempts           integer     NOT NULL DEFAULT 0,  -- number of the last attempt
    last_status        integer     NOT NULL DEFAULT 0,  -- HTTP status of the last attempt, 0: none
    next_attempt_at    timestamptz
) PARTITION BY RANGE (created_at);

-- Get and every write find a delivery by id in each retained partition:
-- its creation day is not part of the id.
CREATE INDEX deliveries_id ON deliveries (id);
-- ListDeliveries pages newest first on (created_at, id), keyset.
CREATE INDEX deliveries_subscription ON deliveries (subscription_id, created_at, id);
CREATE INDEX deliveries_subscription_state ON deliveries (subscription_id, state, created_at, id);
CREATE INDEX deliveries_event ON deliveries (event_id, created_at, id);
CREATE INDEX deliveries_state ON deliveries (state, created_at, id);
CREATE INDEX deliveries_created ON deliveries (created_at, id);

CREATE TABLE delivery_attempts (
    delivery_id text        NOT NULL,
    created_at  timestamptz NOT NULL, -- the delivery's: its attempts live in its partition
    n           integer     NOT NULL,
    started_at  timestamptz NOT NULL,
    status      integer     NOT NULL, -- 0: no HTTP answer
    latency_ns  bigint      NOT NULL,
    error       text        NOT NULL DEFAULT '',
    excerpt     text        NOT NULL DEFAULT '',
    url         text        NOT NULL DEFAULT '',
    trigger     text        NOT NULL DEFAULT '',
    PRIMARY KEY (delivery_id, created_at, n)
) PARTITION BY RANGE (created_at);

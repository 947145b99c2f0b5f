-- One row per (hostname, image): the latest notification Diun sent for it.
CREATE TABLE updates (
    id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    hostname TEXT NOT NULL,
    image TEXT NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('new', 'update')),
    provider TEXT NOT NULL,
    hub_link TEXT NOT NULL,
    mime_type TEXT NOT NULL,
    digest TEXT NOT NULL,
    created TIMESTAMPTZ,
    platform TEXT NOT NULL,
    diun_version TEXT NOT NULL,
    -- Object of string to string.
    metadata JSONB NOT NULL DEFAULT '{}' CHECK (jsonb_typeof(metadata) = 'object'),
    first_seen_at TIMESTAMPTZ NOT NULL,
    last_seen_at TIMESTAMPTZ NOT NULL,
    acknowledged_at TIMESTAMPTZ,
    event_count BIGINT NOT NULL DEFAULT 1,
    UNIQUE (hostname, image)
);

CREATE INDEX updates_last_seen_at ON updates (last_seen_at DESC, id DESC);
CREATE INDEX updates_image ON updates (image);

-- Every notification received, newest kept up to the history limit.
CREATE TABLE update_events (
    id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    update_id BIGINT NOT NULL REFERENCES updates (id) ON DELETE CASCADE,
    received_at TIMESTAMPTZ NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('new', 'update')),
    digest TEXT NOT NULL,
    created TIMESTAMPTZ,
    diun_version TEXT NOT NULL,
    metadata JSONB NOT NULL DEFAULT '{}' CHECK (jsonb_typeof(metadata) = 'object')
);

CREATE INDEX update_events_update_id ON update_events (update_id, id DESC);

CREATE TABLE tags (
    id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    name TEXT NOT NULL,
    -- The case-folded name, computed by the application so that every
    -- backend agrees on which names clash. Collated by code point ("C"),
    -- like SQLite's BINARY, so that tags sort alike on every backend
    -- whatever the database's locale.
    name_key TEXT COLLATE "C" NOT NULL UNIQUE,
    created_at TIMESTAMPTZ NOT NULL
);

-- A tag belongs to an image reference on every host, so it survives the
-- update rows coming and going.
CREATE TABLE image_tags (
    image TEXT PRIMARY KEY,
    tag_id BIGINT NOT NULL REFERENCES tags (id) ON DELETE CASCADE
);

CREATE INDEX image_tags_tag_id ON image_tags (tag_id);

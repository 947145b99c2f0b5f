CREATE TABLE tags (
    id INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL,
    name TEXT NOT NULL,
    -- The case-folded name, computed by the application so that every
    -- backend agrees on which names clash.
    name_key TEXT NOT NULL UNIQUE,
    created_at TIMESTAMP NOT NULL
);

-- A tag belongs to an image reference on every host, so it survives the
-- update rows coming and going.
CREATE TABLE image_tags (
    image TEXT PRIMARY KEY NOT NULL,
    tag_id BIGINT NOT NULL REFERENCES tags (id) ON DELETE CASCADE
);

CREATE INDEX image_tags_tag_id ON image_tags (tag_id);

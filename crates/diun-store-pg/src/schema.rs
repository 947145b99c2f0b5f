// @generated automatically by Diesel CLI.

diesel::table! {
    data_revision (id) {
        id -> Int4,
        revision -> Int8,
        rules_revision -> Int8,
    }
}

diesel::table! {
    image_tags (image) {
        image -> Text,
        tag_id -> Int8,
    }
}

diesel::table! {
    mute_rules (id) {
        id -> Int8,
        pattern -> Text,
        hostname -> Nullable<Text>,
        status -> Nullable<Text>,
        comment -> Text,
        created_at -> Timestamptz,
    }
}

diesel::table! {
    reminder_runs (slot_key, slot_time) {
        slot_key -> Text,
        slot_time -> Timestamptz,
        claimed_at -> Timestamptz,
    }
}

diesel::table! {
    tags (id) {
        id -> Int8,
        name -> Text,
        name_key -> Text,
        created_at -> Timestamptz,
    }
}

diesel::table! {
    update_counts (tag_id, hostname) {
        tag_id -> Int8,
        hostname -> Text,
        pending -> Int8,
        snoozed -> Int8,
        muted -> Int8,
        acknowledged -> Int8,
    }
}

diesel::table! {
    update_events (id) {
        id -> Int8,
        update_id -> Int8,
        received_at -> Timestamptz,
        status -> Text,
        digest -> Text,
        created -> Nullable<Timestamptz>,
        diun_version -> Text,
        metadata -> Jsonb,
        revision -> Int8,
    }
}

diesel::table! {
    updates (id) {
        id -> Int8,
        hostname -> Text,
        image -> Text,
        status -> Text,
        provider -> Text,
        hub_link -> Text,
        mime_type -> Text,
        digest -> Text,
        created -> Nullable<Timestamptz>,
        platform -> Text,
        diun_version -> Text,
        metadata -> Jsonb,
        first_seen_at -> Timestamptz,
        last_seen_at -> Timestamptz,
        acknowledged_at -> Nullable<Timestamptz>,
        event_count -> Int8,
        search_text -> Text,
        seen_revision -> Int8,
        snoozed_until -> Nullable<Timestamptz>,
        muted_by -> Nullable<Int8>,
        pending_since -> Timestamptz,
    }
}

diesel::joinable!(image_tags -> tags (tag_id));
diesel::joinable!(update_events -> updates (update_id));
diesel::joinable!(updates -> mute_rules (muted_by));

diesel::allow_tables_to_appear_in_same_query!(
    data_revision,
    image_tags,
    mute_rules,
    reminder_runs,
    tags,
    update_counts,
    update_events,
    updates,
);

// @generated automatically by Diesel CLI.

diesel::table! {
    data_revision (id) {
        id -> BigInt,
        revision -> BigInt,
    }
}

diesel::table! {
    image_tags (image) {
        image -> Text,
        tag_id -> BigInt,
    }
}

diesel::table! {
    mute_rules (id) {
        id -> BigInt,
        pattern -> Text,
        hostname -> Nullable<Text>,
        status -> Nullable<Text>,
        comment -> Text,
        created_at -> Timestamp,
    }
}

diesel::table! {
    reminder_runs (slot_key, slot_time) {
        slot_key -> Text,
        slot_time -> Timestamp,
        claimed_at -> Timestamp,
    }
}

diesel::table! {
    tags (id) {
        id -> BigInt,
        name -> Text,
        name_key -> Text,
        created_at -> Timestamp,
    }
}

diesel::table! {
    update_counts (tag_id, hostname) {
        tag_id -> BigInt,
        hostname -> Text,
        pending -> BigInt,
        snoozed -> BigInt,
        muted -> BigInt,
        acknowledged -> BigInt,
    }
}

diesel::table! {
    update_events (id) {
        id -> BigInt,
        update_id -> BigInt,
        received_at -> Timestamp,
        status -> Text,
        digest -> Text,
        created -> Nullable<Timestamp>,
        diun_version -> Text,
        metadata -> Text,
        revision -> BigInt,
    }
}

diesel::table! {
    updates (id) {
        id -> BigInt,
        hostname -> Text,
        image -> Text,
        status -> Text,
        provider -> Text,
        hub_link -> Text,
        mime_type -> Text,
        digest -> Text,
        created -> Nullable<Timestamp>,
        platform -> Text,
        diun_version -> Text,
        metadata -> Text,
        first_seen_at -> Timestamp,
        last_seen_at -> Timestamp,
        acknowledged_at -> Nullable<Timestamp>,
        event_count -> BigInt,
        search_text -> Text,
        seen_revision -> BigInt,
        snoozed_until -> Nullable<Timestamp>,
        muted_by -> Nullable<BigInt>,
        pending_since -> Timestamp,
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

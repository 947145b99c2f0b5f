//! Property tests of the webhook parser, [`Notification::from_json`]: it
//! never panics on arbitrary bytes, and on arbitrary JSON values it accepts
//! exactly what a plain model of the rules accepts (and reads the same values).

use diun_core::{Notification, UpdateStatus};
use proptest::prelude::*;
use serde_json::{Map, Value};

/// The text fields and their limits in bytes, as the README and the API document state them.
const TEXT_LIMITS: [(&str, usize); 8] = [
    ("image", 512),
    ("hostname", 255),
    ("hub_link", 2048),
    ("diun_version", 128),
    ("provider", 64),
    ("mime_type", 255),
    ("digest", 255),
    ("platform", 128),
];

/// The model: whether a body holding `value` must be accepted.
fn model_accepts(value: &Value) -> bool {
    let Value::Object(body) = value else { return false };
    let field = |name: &str| body.get(name).filter(|v| !v.is_null());
    // Every known field, when present and not null, must be a string (metadata an object of strings).
    for (name, limit) in TEXT_LIMITS {
        match field(name) {
            None => {}
            Some(Value::String(text)) => {
                let checked = if matches!(name, "image" | "hostname") { text.trim() } else { text.as_str() };
                if checked.len() > limit || checked.chars().any(char::is_control) {
                    return false;
                }
            }
            Some(_) => return false,
        }
    }
    let image_given = matches!(field("image"), Some(Value::String(image)) if !image.trim().is_empty());
    let status_ok = match field("status") {
        None => true,
        Some(Value::String(status)) => matches!(status.trim(), "" | "new" | "update"),
        Some(_) => false,
    };
    let created_ok = match field("created") {
        None => true,
        Some(Value::String(created)) => {
            created.trim().is_empty() || chrono::DateTime::parse_from_rfc3339(created.trim()).is_ok()
        }
        Some(_) => false,
    };
    let metadata_ok = match field("metadata") {
        None => true,
        Some(Value::Object(labels)) => labels.iter().all(|(key, value)| {
            key.len() <= 255
                && !key.chars().any(char::is_control)
                && matches!(value, Value::String(text) if text.len() <= 8192 && !text.contains('\0'))
        }),
        Some(_) => false,
    };
    image_given && status_ok && created_ok && metadata_ok
}

/// Strings a webhook may carry, with the awkward ones over-represented:
/// blanks, control characters, NUL, lengths around the limits, statuses, times.
fn text() -> impl Strategy<Value = String> {
    prop_oneof![
        "[a-z0-9./:@-]{0,20}",
        Just(String::new()),
        Just("  ".to_owned()),
        Just("new".to_owned()),
        Just(" update ".to_owned()),
        Just("NEW".to_owned()),
        Just("2026-11-20T08:15:00Z".to_owned()),
        Just("2026-13-40T99:00:00Z".to_owned()),
        Just("a\nb".to_owned()),
        Just("a\0b".to_owned()),
        Just("tab\there".to_owned()),
        Just("\u{85}c1".to_owned()),
        Just("\u{feff}bom".to_owned()),
        Just("é\u{1F600}".to_owned()),
        (60usize..70).prop_map(|n| "p".repeat(n)),
        (125usize..132).prop_map(|n| "v".repeat(n)),
        (250usize..260).prop_map(|n| "h".repeat(n)),
        (508usize..516).prop_map(|n| "i".repeat(n)),
        (2044usize..2052).prop_map(|n| "l".repeat(n)),
        (8188usize..8196).prop_map(|n| "m".repeat(n)),
        any::<String>(),
    ]
}

/// Any JSON value, small.
fn json() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(Value::from),
        any::<f64>().prop_map(Value::from),
        text().prop_map(Value::String),
    ];
    leaf.prop_recursive(3, 24, 4, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..4).prop_map(Value::Array),
            prop::collection::btree_map(text(), inner, 0..4).prop_map(|m| Value::Object(m.into_iter().collect())),
        ]
    })
}

/// A value for a known field: mostly strings, sometimes anything.
fn field_value(name: &'static str) -> BoxedStrategy<Value> {
    if name == "metadata" {
        return prop_oneof![
            3 => prop::collection::btree_map(text(), prop_oneof![4 => text().prop_map(Value::String), 1 => json()], 0..4)
                .prop_map(|m| Value::Object(m.into_iter().collect())),
            1 => json(),
        ]
        .boxed();
    }
    prop_oneof![6 => text().prop_map(Value::String), 1 => Just(Value::Null), 2 => json()].boxed()
}

/// Webhook-like bodies: a random subset of the known fields, plus unknown
/// ones; or any JSON value at all.
fn body() -> impl Strategy<Value = Value> {
    let names = [
        "image",
        "hostname",
        "status",
        "provider",
        "hub_link",
        "mime_type",
        "digest",
        "created",
        "platform",
        "diun_version",
        "metadata",
    ];
    let fields: Vec<_> = names.iter().map(|name| prop::option::weighted(0.7, field_value(name))).collect();
    let object = (fields, prop::collection::btree_map("[a-z_]{1,8}", json(), 0..2)).prop_map(move |(values, extra)| {
        let mut body = Map::new();
        for (name, value) in extra {
            body.insert(name, value);
        }
        for (name, value) in names.iter().zip(values) {
            if let Some(value) = value {
                body.insert((*name).to_owned(), value);
            }
        }
        Value::Object(body)
    });
    prop_oneof![8 => object, 1 => json()]
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 300, ..ProptestConfig::default() })]

    /// Whatever the bytes, the parser answers; and what it accepts is a JSON
    /// object the model accepts too.
    #[test]
    fn arbitrary_bytes_never_panic(bytes in prop::collection::vec(any::<u8>(), 0..256)) {
        if Notification::from_json(&bytes).is_ok() {
            let value: Value = serde_json::from_slice(&bytes).expect("accepted bytes are JSON");
            prop_assert!(model_accepts(&value), "accepted {value}");
        }
    }

    /// JSON-looking bytes, cut or spliced anywhere: never a panic.
    #[test]
    fn mangled_json_never_panics(value in body(), cut in any::<prop::sample::Index>(), byte in any::<u8>()) {
        let mut bytes = value.to_string().into_bytes();
        if !bytes.is_empty() {
            let at = cut.index(bytes.len());
            bytes[at] = byte;
            let _ = Notification::from_json(&bytes);
            let _ = Notification::from_json(&bytes[..at]);
        }
    }

    /// On JSON values, the parser and the model agree, and an accepted body
    /// reads back as sent.
    #[test]
    fn the_parser_accepts_exactly_what_the_model_accepts(value in body()) {
        let parsed = Notification::from_json(value.to_string().as_bytes());
        prop_assert_eq!(parsed.is_ok(), model_accepts(&value), "{} gave {:?}", value, parsed);
        if let Ok(notification) = parsed {
            prop_assert_eq!(notification.image(), value["image"].as_str().unwrap().trim());
            let status = value["status"].as_str().map(str::trim).unwrap_or_default();
            let expected = if status == "new" { UpdateStatus::New } else { UpdateStatus::Update };
            prop_assert_eq!(notification.status(), expected);
            prop_assert_eq!(notification.digest(), value["digest"].as_str().unwrap_or_default());
            let labels = value["metadata"].as_object().map(Map::len).unwrap_or_default();
            prop_assert_eq!(notification.metadata().len(), labels);
        }
    }
}

#[test]
fn the_model_matches_known_cases() {
    // Guards the model itself, so that agreement above means something.
    for (body, accepted) in [
        (r#"{"image":"nginx"}"#, true),
        (r#"{"image":"  "}"#, false),
        (r#"{"image":"nginx","status":"NEW"}"#, false),
        (r#"{"image":"nginx","metadata":{"a":1}}"#, false),
        (r#"{"image":"nginx","metadata":null,"created":""}"#, true),
        (r#"{"image":"ng\u0000inx"}"#, false),
        (r#"["nginx"]"#, false),
    ] {
        let value: Value = serde_json::from_str(body).unwrap();
        assert_eq!(model_accepts(&value), accepted, "{body}");
        assert_eq!(Notification::from_json(body.as_bytes()).is_ok(), accepted, "{body}");
    }
}

//! YAML reading for rule files: the only module that knows about `serde-saphyr`.
//!
//! A file is first read into a [`Node`] tree where every node keeps its line and column. The rule
//! model is then deserialized from that tree by [`from_node`], which — unlike a plain serde run —
//! does not stop at the first problem: every unknown key is reported (with "did you mean"), and a
//! list item wrapped in [`Item`] that fails is reported and skipped so its siblings are still checked.
//! [`Located`] captures where a value was written, for problems found later by validation.

use std::cell::RefCell;
use std::fmt;
use std::marker::PhantomData;

use serde::de::{self, DeserializeSeed, IntoDeserializer, MapAccess, SeqAccess, Visitor};
use serde::{Deserialize, Deserializer};

use super::diagnostic::{Diagnostic, Position, suggest};
use crate::domain::digits::{to_persian_digits, to_persian_number};
use crate::domain::{Label, quoted};

/// A text in English and Persian, English first as the rule files' diagnostics are written.
fn both(en: impl Into<String>, fa: impl Into<String>) -> Label {
    Label::new(fa, en)
}

/// A YAML node with the place it was written.
#[derive(Clone, Debug, PartialEq)]
pub struct Node {
    pub value: NodeValue,
    pub line: u32,
    pub column: u32,
}

/// The value of a [`Node`].
#[derive(Clone, Debug, PartialEq)]
pub enum NodeValue {
    Null,
    Bool(bool),
    Int(i64),
    Float(f64),
    Str(String),
    Seq(Vec<Node>),
    Map(Vec<(Node, Node)>),
}

impl NodeValue {
    fn describe(&self) -> &'static str {
        match self {
            NodeValue::Null => "nothing",
            NodeValue::Bool(_) => "a yes/no value",
            NodeValue::Int(_) => "a whole number",
            NodeValue::Float(_) => "a decimal number",
            NodeValue::Str(_) => "a text",
            NodeValue::Seq(_) => "a list",
            NodeValue::Map(_) => "a mapping",
        }
    }

    /// [`NodeValue::describe`] in Persian.
    fn describe_fa(&self) -> &'static str {
        match self {
            NodeValue::Null => "هیچ",
            NodeValue::Bool(_) => "مقدار بله/خیر",
            NodeValue::Int(_) => "عدد صحیح",
            NodeValue::Float(_) => "عدد اعشاری",
            NodeValue::Str(_) => "متن",
            NodeValue::Seq(_) => "فهرست",
            NodeValue::Map(_) => "نگاشت",
        }
    }
}

/// A syntax or structure error at a place in a file.
#[derive(Debug, Clone, PartialEq)]
pub struct YamlError {
    pub message: String,
    /// The same facts in Persian.
    pub message_fa: String,
    /// What to do about it, in both languages.
    pub hint: Option<Label>,
    pub line: u32,
    pub column: u32,
}

impl fmt::Display for YamlError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for YamlError {}

/// serde's visitors describe problems in Rust terms ("invalid length 1, expected a tuple of size
/// 2"); every one of them is reworded here in the terms of the rule language.
impl de::Error for YamlError {
    fn custom<T: fmt::Display>(msg: T) -> Self {
        let message = msg.to_string();
        let message_fa = custom_fa(&message);
        YamlError {
            message,
            message_fa,
            hint: None,
            line: 0,
            column: 0,
        }
    }

    fn invalid_type(found: de::Unexpected, expected: &dyn de::Expected) -> Self {
        let (expected, found) = (in_words(expected), found_in_words(&found));
        Self::new(both(
            format!("expected {}, found {}", expected.en, found.en),
            format!(
                "این جا {} لازم است ولی {} نوشته شده است",
                expected.fa, found.fa
            ),
        ))
    }

    fn invalid_value(found: de::Unexpected, expected: &dyn de::Expected) -> Self {
        let (expected, found) = (in_words(expected), found_in_words(&found));
        Self::new(both(
            format!("{} is not allowed here: expected {}", found.en, expected.en),
            format!("{} این جا مجاز نیست: {} لازم است", found.fa, expected.fa),
        ))
    }

    fn invalid_length(len: usize, expected: &dyn de::Expected) -> Self {
        let found = match len {
            0 => both("an empty list", "فهرستی خالی"),
            1 => both("a list of one value", "فهرستی با یک مقدار"),
            n => both(
                format!("a list of {n} values"),
                format!("فهرستی با {} مقدار", to_persian_digits(&n.to_string())),
            ),
        };
        let expected = in_words(expected);
        Self::new(both(
            format!("expected {}, found {}", expected.en, found.en),
            format!(
                "این جا {} لازم است ولی {} نوشته شده است",
                expected.fa, found.fa
            ),
        ))
    }

    fn unknown_variant(variant: &str, expected: &'static [&'static str]) -> Self {
        let mut e = Self::new(both(
            format!("`{variant}` is not one of the allowed values"),
            format!("{} از مقدارهای مجاز نیست", quoted(variant)),
        ));
        e.hint = Some(suggest(variant, expected));
        e
    }

    fn unknown_field(field: &str, expected: &'static [&'static str]) -> Self {
        let mut e = Self::new(both(
            format!("unknown key `{field}`"),
            format!("کلید {} شناخته نیست", quoted(field)),
        ));
        e.hint = Some(suggest(field, expected));
        e
    }

    fn duplicate_field(field: &'static str) -> Self {
        let mut e = Self::new(both(
            format!("`{field}:` is given twice"),
            format!("{} دو بار نوشته شده است", quoted(format!("{field}:"))),
        ));
        e.hint = Some(both("keep one of them", "یکی از آن‌ها را نگه دارید"));
        e
    }
}

/// A message given to serde's `custom` (by the domain's own types, e.g. a decimal with too many
/// places) in Persian, with the value it names; another library's wording is said in Persian as
/// the kind of problem, its English text beside it.
fn custom_fa(message: &str) -> String {
    let quoted_value = |suffix: &str| {
        message
            .strip_prefix('`')
            .and_then(|rest| rest.strip_suffix(suffix))
            .map(quoted)
    };
    if message == ITEM_FAILED {
        return String::new();
    }
    if message == TOO_LARGE || message == "number too large" {
        return "این عدد بیش از اندازه بزرگ است".into();
    }
    if message == "missing value" {
        return "مقداری نوشته نشده است".into();
    }
    if let Some(field) = message
        .strip_prefix("missing field `")
        .and_then(|r| r.strip_suffix('`'))
    {
        return format!("{} نوشته نشده است و لازم است", quoted(format!("{field}:")));
    }
    if let Some(v) = quoted_value("` is not a number") {
        return format!("{v} عدد نیست");
    }
    if let Some(v) = quoted_value("` has more than four decimal places") {
        return format!("{v} بیش از چهار رقم اعشار دارد");
    }
    if let Some(v) = quoted_value("` is too large") {
        return format!("{v} بیش از اندازه بزرگ است");
    }
    "این مقدار در این جا پذیرفته نیست (شرح انگلیسی از کتابخانهٔ خواندن داده است)".into()
}

/// What a visitor expected, in the rule language's words rather than Rust's.
fn in_words(expected: &dyn de::Expected) -> Label {
    let text = expected.to_string();
    match text.as_str() {
        "u8" => both("a whole number from 0 to 255", "عدد صحیحی از ۰ تا ۲۵۵"),
        "u16" => both("a whole number from 0 to 65535", "عدد صحیحی از ۰ تا ۶۵۵۳۵"),
        "u32" | "u64" | "u128" | "usize" => {
            both("a whole number, 0 or more", "عدد صحیح ۰ یا بیشتر")
        }
        "i8" | "i16" | "i32" | "i64" | "i128" | "isize" => both("a whole number", "عدد صحیح"),
        "f32" | "f64" => both("a number", "عدد"),
        "a boolean" | "bool" => both("`true` or `false`", "«true» یا «false»"),
        "a string" | "a borrowed string" | "a character" | "char" | "string" => {
            both("a text", "متن")
        }
        "a sequence" | "sequence" => both("a list", "فهرست"),
        "a map" | "map" => both("a mapping", "نگاشت"),
        "unit" | "unit value" | "option" => both("nothing", "هیچ"),
        "a number with at most four decimal places" => {
            both(text.clone(), "عددی با حداکثر چهار رقم اعشار")
        }
        "a value" | "any YAML value" => both(text.clone(), "مقدار"),
        other => {
            if let Some(n) = other.strip_prefix("a tuple of size ") {
                both(
                    format!("a list of {n} values"),
                    format!("فهرستی با {} مقدار", to_persian_digits(n)),
                )
            } else if other.starts_with("struct ") || other.starts_with("tuple struct ") {
                both("a mapping", "نگاشت")
            } else if other.starts_with("enum ") || other.ends_with(" identifier") {
                both("a name", "نام")
            } else {
                both(other, format!("مقداری از گونهٔ {}", quoted(other)))
            }
        }
    }
}

/// What was found, for a message.
fn found_in_words(found: &de::Unexpected) -> Label {
    use de::Unexpected as U;
    let n = |x: &dyn fmt::Display| to_persian_number(&x.to_string());
    match found {
        U::Bool(b) => both(
            format!("the yes/no value `{b}`"),
            format!("مقدار بله/خیر {}", quoted(b)),
        ),
        U::Unsigned(x) => both(
            format!("the whole number {x}"),
            format!("عدد صحیح {}", n(x)),
        ),
        U::Signed(x) => both(
            format!("the whole number {x}"),
            format!("عدد صحیح {}", n(x)),
        ),
        U::Float(x) => both(format!("the number {x}"), format!("عدد {}", n(x))),
        U::Char(c) => both(format!("the text `{c}`"), format!("متن {}", quoted(c))),
        U::Str(s) => both(format!("the text `{s}`"), format!("متن {}", quoted(s))),
        U::Unit | U::Option => both("nothing", "هیچ"),
        U::Seq => both("a list", "فهرست"),
        U::Map => both("a mapping", "نگاشت"),
        _ => both("a value of another kind", "مقداری از گونه‌ای دیگر"),
    }
}

impl YamlError {
    /// An error with its message in both languages, not yet placed.
    fn new(message: Label) -> Self {
        YamlError {
            message: message.en,
            message_fa: message.fa,
            hint: None,
            line: 0,
            column: 0,
        }
    }

    fn at(mut self, node: &Node) -> Self {
        if self.line == 0 {
            self.line = node.line;
            self.column = node.column;
        }
        self
    }

    pub fn into_diagnostic(self, file: &std::path::Path) -> Diagnostic {
        let d = Diagnostic::new(
            Position::new(file, self.line, self.column),
            self.message,
            self.message_fa,
        );
        match self.hint {
            Some(h) => d.with_hint_label(h),
            None => d,
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Text → Node (through serde-saphyr, which gives every node its location)

struct RawNode(Node);

impl<'de> Deserialize<'de> for RawNode {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let spanned = serde_saphyr::Spanned::<RawValue>::deserialize(d)?;
        Ok(RawNode(Node {
            value: spanned.value.0,
            line: spanned.referenced.line() as u32,
            column: spanned.referenced.column() as u32,
        }))
    }
}

struct RawValue(NodeValue);

impl<'de> Deserialize<'de> for RawValue {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = RawValue;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("any YAML value")
            }
            fn visit_unit<E>(self) -> Result<RawValue, E> {
                Ok(RawValue(NodeValue::Null))
            }
            fn visit_none<E>(self) -> Result<RawValue, E> {
                Ok(RawValue(NodeValue::Null))
            }
            fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<RawValue, D::Error> {
                RawValue::deserialize(d)
            }
            fn visit_bool<E>(self, v: bool) -> Result<RawValue, E> {
                Ok(RawValue(NodeValue::Bool(v)))
            }
            fn visit_i64<E>(self, v: i64) -> Result<RawValue, E> {
                Ok(RawValue(NodeValue::Int(v)))
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<RawValue, E> {
                i64::try_from(v)
                    .map(|v| RawValue(NodeValue::Int(v)))
                    .map_err(|_| E::custom(TOO_LARGE))
            }
            fn visit_f64<E>(self, v: f64) -> Result<RawValue, E> {
                Ok(RawValue(NodeValue::Float(v)))
            }
            fn visit_str<E>(self, v: &str) -> Result<RawValue, E> {
                Ok(RawValue(NodeValue::Str(v.to_string())))
            }
            fn visit_string<E>(self, v: String) -> Result<RawValue, E> {
                Ok(RawValue(NodeValue::Str(v)))
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<RawValue, A::Error> {
                let mut items = Vec::new();
                while let Some(RawNode(n)) = seq.next_element::<RawNode>()? {
                    items.push(n);
                }
                Ok(RawValue(NodeValue::Seq(items)))
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<RawValue, A::Error> {
                let mut entries = Vec::new();
                while let Some(RawNode(k)) = map.next_key::<RawNode>()? {
                    let RawNode(v) = map.next_value::<RawNode>()?;
                    entries.push((k, v));
                }
                Ok(RawValue(NodeValue::Map(entries)))
            }
        }
        d.deserialize_any(V)
    }
}

/// Parses YAML text into a located tree; a syntax error comes back with its line and column.
pub fn parse(text: &str) -> Result<Node, YamlError> {
    if text.trim().is_empty() {
        return Ok(Node {
            value: NodeValue::Null,
            line: 1,
            column: 1,
        });
    }
    let options = serde_saphyr::options! { with_snippet: false };
    serde_saphyr::from_str_with_options::<RawNode>(text, options)
        .map(|RawNode(n)| n)
        .map_err(|e| syntax_error(text, &e))
}

/// A number too large for the rule language (from [`RawValue`]).
const TOO_LARGE: &str = "the number is too large";

/// A YAML syntax error in the rule language's words (never the parser's), at the place to fix:
/// an unclosed `[` or `{` is reported where it was opened, a key without `:` on its own line.
// Long on purpose: one table of the parser's errors, each with its own words and place to fix;
// split up, the table would be scattered over functions that each hold one row.
fn syntax_error(text: &str, e: &serde_saphyr::Error) -> YamlError {
    use serde_saphyr::granit_parser::ErrorKind as K;
    use serde_saphyr::{Error as E, ExternalMessageSource};
    let mut e = e;
    while let E::AliasError { error, .. } | E::WithSnippet { error, .. } = e {
        e = error;
    }
    let (line, column) = e
        .location()
        .map(|l| (l.line() as u32, l.column() as u32))
        .unwrap_or((0, 0));
    let at = |message: Label, hint: Label, (line, column): (u32, u32)| YamlError {
        message: format!("YAML syntax: {}", message.en),
        message_fa: format!("نگارش «YAML» نادرست است: {}", message.fa),
        hint: Some(hint),
        line,
        column,
    };
    let here = (line, column);
    let kind = match e {
        E::ExternalMessage { source, .. } => match source.as_ref() {
            ExternalMessageSource::Parser(scan) => Some(scan.kind()),
            _ => None,
        },
        _ => None,
    };
    if let Some(K::MismatchedFlowCollectionEnd { open, close }) = kind {
        return at(
            both(
                format!("this `{close}` closes the `{open}` opened before it"),
                format!(
                    "این {} {} بازشدهٔ پیش از خود را می‌بندد",
                    quoted(close),
                    quoted(open)
                ),
            ),
            both(
                "close a `[` with `]` and a `{` with `}`",
                "«[» را با «]» و «{» را با «}» ببندید",
            ),
            here,
        );
    }
    let flow_kind = matches!(
        kind,
        Some(
            K::UnclosedFlowCollection { .. }
                | K::ExpectedFlowMappingSeparator
                | K::ExpectedFlowSequenceSeparator
                | K::UnexpectedEofFlowSequence
                | K::UnexpectedEofFlowMapping
                | K::UnexpectedEofImplicitFlowMapping
        )
    );
    let open = open_at(text, line, column);
    if let Some(start) = open.long_quote {
        return at(
            both(
                "the quoted text that starts here is not closed on its line",
                "متن میان نشانه‌های نقل‌قول که این جا آغاز می‌شود در همین سطر بسته نشده است",
            ),
            both(
                "end it with the same quote it starts with; a quote inside is written \\\" within double quotes, or '' within single quotes",
                "آن را با همان نشانهٔ نقل‌قولی ببندید که با آن آغاز شده است؛ نشانهٔ نقل‌قول درون متن میان «\"» به شکل «\\\"» و میان «'» به شکل «''» نوشته می‌شود",
            ),
            start,
        );
    }
    match open.flow {
        Some((l, c, open)) if flow_kind || l < line => {
            let (what, what_fa, close) = if open == '[' {
                ("list", "فهرستی", ']')
            } else {
                ("mapping", "نگاشتی", '}')
            };
            return at(
                both(
                    format!("the {what} opened here with `{open}` is not closed"),
                    format!(
                        "{what_fa} که این جا با {} باز شده است بسته نشده است",
                        quoted(open)
                    ),
                ),
                both(
                    format!(
                        "end it with `{close}`; put a text inside it that contains a comma, `:` or brackets in quotes"
                    ),
                    format!(
                        "آن را با {} ببندید؛ متنی را که درونش ویرگول، «:» یا کروشه دارد میان نشانه‌های نقل‌قول بگذارید",
                        quoted(close)
                    ),
                ),
                (l, c),
            );
        }
        _ if flow_kind => {
            return at(
                both(
                    "a list in `[ ]` or a mapping in `{ }` is not closed properly",
                    "فهرستی در «[ ]» یا نگاشتی در «{ }» درست بسته نشده است",
                ),
                both(
                    "check its commas and its closing bracket",
                    "ویرگول‌ها و کروشهٔ پایانی آن را بررسی کنید",
                ),
                here,
            );
        }
        _ => {}
    }
    let spaces = || {
        both(
            "YAML indents with spaces only; replace the tab with spaces",
            "تورفتگی در «YAML» تنها با فاصله است؛ به جای «tab» فاصله بگذارید",
        )
    };
    if let Some(tab_line) = tab_indented(text, line) {
        return at(
            both(
                "a tab is used for indentation",
                "برای تورفتگی «tab» به کار رفته است",
            ),
            spaces(),
            (tab_line, 1),
        );
    }
    match (e, kind) {
        (E::DuplicateMappingKey { key, .. }, _) => at(
            match key {
                Some(k) => both(
                    format!("`{k}` is written twice in the same mapping"),
                    format!("{} در یک نگاشت دو بار نوشته شده است", quoted(k)),
                ),
                None => both(
                    "a key is written twice in the same mapping",
                    "کلیدی در یک نگاشت دو بار نوشته شده است",
                ),
            },
            both("keep one of them", "یکی از آن‌ها را نگه دارید"),
            here,
        ),
        (E::UnknownAnchor { .. }, _) | (_, Some(K::UnknownAnchor)) => {
            let name = alias_at(text, line, column).unwrap_or_default();
            at(
                both(
                    format!("`*{name}` repeats an anchor that is not defined above it"),
                    format!(
                        "{} لنگری را تکرار می‌کند که بالاتر تعریف نشده است",
                        quoted(format!("*{name}"))
                    ),
                ),
                both(
                    format!(
                        "mark the value to repeat with `&{name}` before using `*{name}` (see docs/rules.md)"
                    ),
                    format!(
                        "پیش از به کار بردن {}، مقداری را که تکرار می‌شود با {} نشان بگذارید (راهنما: «docs/rules.md»)",
                        quoted(format!("*{name}")),
                        quoted(format!("&{name}"))
                    ),
                ),
                here,
            )
        }
        (E::MultipleDocuments { .. }, _) => at(
            both(
                "a rule file holds one YAML document",
                "هر پروندهٔ قواعد یک سند «YAML» دارد",
            ),
            both(
                "remove the `---` line that starts a second one",
                "سطر «---» را که سند دوم را آغاز می‌کند بردارید",
            ),
            here,
        ),
        (E::Message { msg, .. }, _) if msg == TOO_LARGE => at(
            both(TOO_LARGE, custom_fa(TOO_LARGE)),
            both(
                "numbers in rule files are at most 9223372036854775807",
                "عددهای پرونده‌های قواعد حداکثر ۹۲۲۳۳۷۲۰۳۶۸۵۴۷۷۵۸۰۷ اند",
            ),
            here,
        ),
        (_, Some(K::UnclosedQuotedScalar)) => at(
            both(
                "a quoted text is not closed",
                "متنی میان نشانه‌های نقل‌قول بسته نشده است",
            ),
            both(
                "end the text with the same quote it starts with",
                "متن را با همان نشانهٔ نقل‌قولی ببندید که با آن آغاز شده است",
            ),
            here,
        ),
        (
            _,
            Some(
                K::TabInBlockIndentation
                | K::TabInIndentation
                | K::TabNotAllowed
                | K::TabInPlainScalar
                | K::TabAtBlockScalarStart,
            ),
        ) => at(
            both("a tab is used here", "این جا «tab» به کار رفته است"),
            spaces(),
            here,
        ),
        (_, Some(K::ExpectedBlockMappingKey)) => at(
            both(
                "this line is not lined up with the keys around it",
                "این سطر با کلیدهای پیرامونش هم‌تراز نیست",
            ),
            both(
                "indent it by as many spaces as the other keys of the same block",
                "آن را به اندازهٔ کلیدهای دیگر همان بخش با فاصله تو ببرید",
            ),
            here,
        ),
        (_, Some(K::ExpectedBlockSequenceEntry)) => at(
            both(
                "this line is not lined up with the list it is in",
                "این سطر با فهرستی که در آن است هم‌تراز نیست",
            ),
            both(
                "start every item of a list with `- ` at the same indentation, and line up an item's keys under its first key",
                "هر قلم فهرست را با «- » در یک تورفتگی آغاز کنید و کلیدهای هر قلم را زیر کلید نخستش هم‌تراز کنید",
            ),
            here,
        ),
        (
            _,
            Some(
                K::InvalidIndentation
                | K::InvalidFlowScalarIndent
                | K::InvalidQuotedScalarIndent
                | K::InvalidBlockScalarIndent,
            ),
        ) => at(
            both(
                "the indentation of this line does not fit the lines above it",
                "تورفتگی این سطر با سطرهای بالایش جور نیست",
            ),
            both(
                "indent with spaces so that what belongs together lines up",
                "با فاصله چنان تو ببرید که آن‌چه با هم است هم‌تراز شود",
            ),
            here,
        ),
        (_, Some(K::SimpleKeyExpected)) => at(
            both(
                "a `:` is missing after the key",
                "پس از کلید «:» نیامده است",
            ),
            both(
                "write `key: value`, with a space after the `:`",
                "بنویسید «key: value»، با یک فاصله پس از «:»",
            ),
            here,
        ),
        (
            _,
            Some(K::MappingValueNotAllowed | K::InvalidColonPlacement | K::MappingKeyNotAllowed),
        ) => match (
            key_without_colon_before(text, line),
            indented_under_a_value(text, line),
        ) {
            (Some(place), _) => at(
                both(
                    "a `:` is missing after the key",
                    "پس از کلید «:» نیامده است",
                ),
                both(
                    "write `key: value`, with a space after the `:`",
                    "بنویسید «key: value»، با یک فاصله پس از «:»",
                ),
                place,
            ),
            (None, Some(place)) => at(
                both(
                    "this line is indented more than the key above it, which already has a value",
                    "این سطر بیش از کلید بالایش تو رفته است، و آن کلید مقدارش را دارد",
                ),
                both(
                    "line it up with the other keys of the same block",
                    "آن را با کلیدهای دیگر همان بخش هم‌تراز کنید",
                ),
                place,
            ),
            (None, None) => at(
                both(
                    "a `key: value` cannot start here",
                    "«key: value» نمی‌تواند این جا آغاز شود",
                ),
                both(
                    "check this line's indentation, and put a text that contains `: ` in quotes",
                    "تورفتگی این سطر را بررسی کنید و متنی را که «: » دارد میان نشانه‌های نقل‌قول بگذارید",
                ),
                here,
            ),
        },
        (_, Some(K::BlockSequenceEntryNotAllowed | K::BlockEntryInFlowCollection)) => at(
            both(
                "a list item (`- `) cannot start here",
                "قلم فهرست («- ») نمی‌تواند این جا آغاز شود",
            ),
            both(
                "write the list on the lines under its key, indented, or as `[a, b]`",
                "فهرست را در سطرهای زیر کلیدش با تورفتگی بنویسید، یا به شکل «[a, b]»",
            ),
            here,
        ),
        (_, Some(K::InvalidTrailingSingleQuotedScalar | K::InvalidTrailingDoubleQuotedScalar)) => {
            at(
                both(
                    "there is text after the closing quote",
                    "پس از نشانهٔ نقل‌قول پایانی متن آمده است",
                ),
                both(
                    "put the whole text inside the quotes",
                    "همهٔ متن را میان نشانه‌های نقل‌قول بگذارید",
                ),
                here,
            )
        }
        (_, Some(K::UnexpectedCharacter { character })) => at(
            both(
                format!("a value cannot start with `{character}`"),
                format!("مقدار نمی‌تواند با {} آغاز شود", quoted(character)),
            ),
            both(
                "put the text in quotes",
                "متن را میان نشانه‌های نقل‌قول بگذارید",
            ),
            here,
        ),
        (
            _,
            Some(
                K::UnknownQuotedScalarEscape
                | K::InvalidQuotedScalarHexEscape
                | K::InvalidUnicodeEscape
                | K::InvalidLowSurrogate
                | K::InvalidLowSurrogateHexEscape
                | K::MissingLowSurrogate
                | K::UnpairedLowSurrogate,
            ),
        ) => at(
            both(
                "a `\\` in a double-quoted text starts an escape that is not valid",
                "«\\» در متن میان «\"» نویسهٔ گریز نادرستی را آغاز می‌کند",
            ),
            both(
                "write `\\\\` for a backslash, or put the text in single quotes",
                "برای خود «\\» بنویسید «\\\\»، یا متن را میان «'» بگذارید",
            ),
            here,
        ),
        (_, Some(K::CommentNotSeparated)) => at(
            both(
                "a `#` comment must follow a space",
                "پیش از یادداشت «#» باید فاصله باشد",
            ),
            both(
                "put a space before the `#`, or quote a text that contains `#`",
                "پیش از «#» فاصله بگذارید، یا متنی را که «#» دارد میان نشانه‌های نقل‌قول بگذارید",
            ),
            here,
        ),
        (E::Eof { .. }, _)
        | (
            _,
            Some(K::UnexpectedEof | K::UnexpectedEofBlockMapping | K::UnexpectedEofBlockSequence),
        ) => at(
            both(
                "the file ends in the middle of a value",
                "پرونده در میانهٔ یک مقدار پایان می‌یابد",
            ),
            both(
                "check that every quote and bracket is closed",
                "بررسی کنید که هر نشانهٔ نقل‌قول و هر کروشه بسته شده باشد",
            ),
            here,
        ),
        _ => at(
            both(
                "this cannot be read as YAML",
                "این جا به شکل «YAML» خوانده نمی‌شود",
            ),
            both(
                "check the indentation (spaces, not tabs), the `: ` after each key, and that quotes and brackets are closed",
                "تورفتگی (با فاصله، نه «tab»)، «: » پس از هر کلید، و بسته بودن نشانه‌های نقل‌قول و کروشه‌ها را بررسی کنید",
            ),
            here,
        ),
    }
}

/// What is open where a syntax error was found.
#[derive(Debug, Default, PartialEq)]
struct Open {
    /// The `[` or `{` of a flow collection still open, innermost, with its place.
    flow: Option<(u32, u32, char)>,
    /// The start of a quoted text that began on an earlier line and is still open, or closed on
    /// this line: a quote left open runs on until the next quote character.
    long_quote: Option<(u32, u32)>,
}

/// Scans the text up to `line`:`column` (1-based). Quoted texts and comments are skipped; a
/// bracket or quote counts only where a value starts (a plain text may contain them).
fn open_at(text: &str, line: u32, column: u32) -> Open {
    let mut flow: Vec<(u32, u32, char)> = Vec::new();
    let mut quote: Option<(char, u32, u32)> = None;
    let mut long_quote = None;
    for (l, row) in text.lines().enumerate() {
        let l = l as u32 + 1;
        if l > line {
            break;
        }
        let chars: Vec<char> = row.chars().collect();
        let mut value_start = true;
        let mut i = 0;
        while i < chars.len() {
            let (c, col) = (chars[i], i as u32 + 1);
            if l == line && col >= column {
                break;
            }
            let next = chars.get(i + 1).copied();
            if let Some((q, from_line, from_col)) = quote {
                let escaped = (c == '\\' && q == '"') || (c == q && q == '\'' && next == Some(q));
                if escaped {
                    i += 1;
                } else if c == q {
                    quote = None;
                    value_start = false;
                    if l == line && from_line < line {
                        long_quote = Some((from_line, from_col));
                    }
                }
                i += 1;
                continue;
            }
            match c {
                ' ' => {}
                '#' if i == 0 || chars[i - 1] == ' ' => break,
                '"' | '\'' if value_start => quote = Some((c, l, col)),
                '[' | '{' if value_start => flow.push((l, col, c)),
                ']' | '}' if !flow.is_empty() => {
                    flow.pop();
                    value_start = false;
                }
                ',' if !flow.is_empty() => value_start = true,
                ':' if next.is_none_or(|n| n == ' ') || !flow.is_empty() => value_start = true,
                '-' | '?' if value_start && next.is_none_or(|n| n == ' ') => {}
                _ => value_start = false,
            }
            i += 1;
        }
    }
    if let Some((_, from_line, from_col)) = quote
        && from_line < line
    {
        long_quote = Some((from_line, from_col));
    }
    Open {
        flow: flow.last().copied(),
        long_quote,
    }
}

/// `line`, the line after it, or the nearest line above it with content, if its indentation has
/// a tab (a tab there confuses YAML about what belongs to what, so the error shows up nearby).
fn tab_indented(text: &str, line: u32) -> Option<u32> {
    let rows: Vec<&str> = text.lines().collect();
    let upto = (line as usize).min(rows.len());
    let mut candidates = (0..upto).rev().filter(|i| !rows[*i].trim().is_empty());
    let here = (line as usize).checked_sub(1).filter(|i| *i < rows.len());
    let next = Some(line as usize).filter(|i| *i < rows.len());
    let above = candidates.find(|i| Some(*i) != here);
    [here, next, above]
        .into_iter()
        .flatten()
        .find(|i| {
            rows[*i]
                .chars()
                .take_while(|c| c.is_whitespace())
                .any(|c| c == '\t')
        })
        .map(|i| i as u32 + 1)
}

/// The nearest line above `line` with content, if it holds a key with no `:` (e.g. `- id area`
/// before a line that is a `key: value`): where that key starts.
fn key_without_colon_before(text: &str, line: u32) -> Option<(u32, u32)> {
    let rows: Vec<&str> = text.lines().collect();
    let above = rows.get(..(line as usize).checked_sub(1)?)?;
    let (i, row) = above.iter().enumerate().rev().find(|(_, r)| {
        let t = r.trim_start();
        !t.is_empty() && !t.starts_with('#')
    })?;
    let content = match row.find(" #") {
        Some(k) => &row[..k],
        None => row,
    };
    let trimmed = content.trim_start();
    let item = trimmed.strip_prefix("- ").unwrap_or(trimmed).trim_start();
    if item.is_empty()
        || item.contains(": ")
        || item.ends_with(':')
        || item.starts_with(['[', '{', '"', '\'', '|', '>', '&', '*', '-'])
        || content.trim_end().ends_with(',')
    {
        return None;
    }
    let col = content.chars().count() - item.chars().count() + 1;
    Some((i as u32 + 1, col as u32))
}

/// Where `line` starts, if it is a `key: …` indented deeper than the line above it, which is a
/// `key: value` with its value written (so nothing may be nested under it).
fn indented_under_a_value(text: &str, line: u32) -> Option<(u32, u32)> {
    let rows: Vec<&str> = text.lines().collect();
    let here = *rows.get((line as usize).checked_sub(1)?)?;
    let above = rows[..line as usize - 1]
        .iter()
        .rev()
        .find(|r| !r.trim().is_empty() && !r.trim_start().starts_with('#'))?;
    let indent = |r: &str| r.chars().take_while(|c| *c == ' ').count();
    let value = above.split_once(": ").map(|(_, v)| v.trim())?;
    let is_key = here.trim_start().split_once(':').is_some();
    (indent(here) > indent(above) && !value.is_empty() && !value.starts_with('#') && is_key)
        .then(|| (line, indent(here) as u32 + 1))
}

/// The name of the alias (`*name`) written at or just before a place.
fn alias_at(text: &str, line: u32, column: u32) -> Option<String> {
    let row = text.lines().nth((line as usize).checked_sub(1)?)?;
    let chars: Vec<char> = row.chars().collect();
    let upto = (column as usize).min(chars.len());
    let star = chars[..upto]
        .iter()
        .rposition(|c| *c == '*')
        .or_else(|| chars.iter().position(|c| *c == '*'))?;
    Some(
        chars[star + 1..]
            .iter()
            .take_while(|c| !c.is_whitespace() && !matches!(c, ',' | ']' | '}'))
            .collect(),
    )
}

// ---------------------------------------------------------------------------------------------
// Node → model, collecting every problem

/// Problems collected while deserializing one file.
#[derive(Default)]
pub struct Problems(RefCell<Vec<YamlError>>);

impl Problems {
    fn push(&self, e: YamlError) {
        self.0.borrow_mut().push(e)
    }

    pub fn into_vec(self) -> Vec<YamlError> {
        self.0.into_inner()
    }
}

/// The value as a whole could not be built; the reasons are in the [`Problems`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Failed;

/// Deserializes `T` from a located tree, adding every non-fatal problem to `problems`.
/// `Err` means the value as a whole could not be built (the error is also in `problems`).
pub fn from_node<'a, T: Deserialize<'a>>(
    node: &'a Node,
    problems: &'a Problems,
) -> Result<T, Failed> {
    T::deserialize(NodeDe { node, problems }).map_err(|e| {
        if e.message != ITEM_FAILED {
            problems.push(e)
        }
        Failed
    })
}

const LOCATED: &str = "$arzyab::Located";
const ITEM: &str = "$arzyab::Item";
/// The error an [`ItemDe`] returns after recording the real problem.
const ITEM_FAILED: &str = "\u{0}arzyab: item failed, already reported";

/// A value and the line and column where it was written (0 when it came from elsewhere, e.g. JSON).
#[derive(Clone, Debug, PartialEq)]
pub struct Located<T> {
    pub value: T,
    pub line: u32,
    pub column: u32,
}

impl<T> Located<T> {
    pub fn at(&self, file: &std::path::Path) -> Position {
        Position::new(file, self.line, self.column)
    }
}

impl<T> std::ops::Deref for Located<T> {
    type Target = T;
    fn deref(&self) -> &T {
        &self.value
    }
}

impl<'de, T: Deserialize<'de>> Deserialize<'de> for Located<T> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V<T>(PhantomData<T>);
        impl<'de, T: Deserialize<'de>> Visitor<'de> for V<T> {
            type Value = Located<T>;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a value")
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Located<T>, A::Error> {
                let line: u32 = seq.next_element()?.unwrap_or(0);
                let column: u32 = seq.next_element()?.unwrap_or(0);
                let value = seq
                    .next_element()?
                    .ok_or_else(|| de::Error::custom("missing value"))?;
                Ok(Located {
                    value,
                    line,
                    column,
                })
            }
            fn visit_newtype_struct<D: Deserializer<'de>>(
                self,
                d: D,
            ) -> Result<Located<T>, D::Error> {
                Ok(Located {
                    value: T::deserialize(d)?,
                    line: 0,
                    column: 0,
                })
            }
        }
        d.deserialize_newtype_struct(LOCATED, V(PhantomData))
    }
}

/// A list item or mapping value that is reported and skipped if it is malformed, so that the other
/// items of the same list are still checked.
#[derive(Clone, Debug, PartialEq)]
pub enum Item<T> {
    Ok(T),
    Failed,
}

impl<T> Item<T> {
    pub fn ok(self) -> Option<T> {
        match self {
            Item::Ok(t) => Some(t),
            Item::Failed => None,
        }
    }
}

impl<'de, T: Deserialize<'de>> Deserialize<'de> for Item<T> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V<T>(PhantomData<T>);
        impl<'de, T: Deserialize<'de>> Visitor<'de> for V<T> {
            type Value = Item<T>;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a value")
            }
            fn visit_unit<E>(self) -> Result<Item<T>, E> {
                Ok(Item::Failed)
            }
            fn visit_newtype_struct<D: Deserializer<'de>>(self, d: D) -> Result<Item<T>, D::Error> {
                match T::deserialize(d) {
                    Ok(t) => Ok(Item::Ok(t)),
                    Err(e) if e.to_string() == ITEM_FAILED => Ok(Item::Failed),
                    Err(e) => Err(e),
                }
            }
        }
        d.deserialize_newtype_struct(ITEM, V(PhantomData))
    }
}

/// A mapping that keeps the order and place of its keys (e.g. the round's inputs, by name).
#[derive(Clone, Debug, PartialEq)]
pub struct OrderedMap<V>(pub Vec<(Located<String>, V)>);

impl<V> Default for OrderedMap<V> {
    fn default() -> Self {
        OrderedMap(Vec::new())
    }
}

impl<'de, V: Deserialize<'de>> Deserialize<'de> for OrderedMap<V> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct Vis<V>(PhantomData<V>);
        impl<'de, V: Deserialize<'de>> Visitor<'de> for Vis<V> {
            type Value = OrderedMap<V>;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a mapping")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<OrderedMap<V>, A::Error> {
                let mut entries = Vec::new();
                while let Some(k) = map.next_key::<Located<String>>()? {
                    entries.push((k, map.next_value()?));
                }
                Ok(OrderedMap(entries))
            }
        }
        d.deserialize_map(Vis(PhantomData))
    }
}

struct NodeDe<'a> {
    node: &'a Node,
    problems: &'a Problems,
}

impl<'a> NodeDe<'a> {
    fn child(&self, node: &'a Node) -> NodeDe<'a> {
        NodeDe {
            node,
            problems: self.problems,
        }
    }

    fn mismatch(&self, expected: Label) -> YamlError {
        YamlError {
            message: format!(
                "expected {}, found {}",
                expected.en,
                self.node.value.describe()
            ),
            message_fa: format!(
                "این جا {} لازم است ولی {} نوشته شده است",
                expected.fa,
                self.node.value.describe_fa()
            ),
            hint: None,
            line: self.node.line,
            column: self.node.column,
        }
    }
}

macro_rules! forward_to_any {
    ($($method:ident)*) => {
        $(fn $method<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, YamlError> {
            self.deserialize_any(visitor)
        })*
    };
}

impl<'de> Deserializer<'de> for NodeDe<'de> {
    type Error = YamlError;

    fn deserialize_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, YamlError> {
        let node = self.node;
        let result = match &node.value {
            NodeValue::Null => visitor.visit_unit(),
            NodeValue::Bool(b) => visitor.visit_bool(*b),
            NodeValue::Int(i) => visitor.visit_i64(*i),
            NodeValue::Float(f) => visitor.visit_f64(*f),
            NodeValue::Str(s) => visitor.visit_borrowed_str(s),
            NodeValue::Seq(items) => visitor.visit_seq(SeqDe {
                items: items.iter(),
                de: &self,
            }),
            NodeValue::Map(entries) => visitor.visit_map(MapDe {
                entries: entries.iter().collect::<Vec<_>>().into_iter(),
                value: None,
                de: &self,
            }),
        };
        result.map_err(|e| e.at(node))
    }

    fn deserialize_option<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, YamlError> {
        match self.node.value {
            NodeValue::Null => visitor.visit_none(),
            _ => visitor.visit_some(self),
        }
    }

    fn deserialize_string<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, YamlError> {
        // A name or label written as a bare number (e.g. `version: 2`) is still text.
        let node = self.node;
        match &node.value {
            NodeValue::Str(s) => visitor.visit_borrowed_str(s),
            NodeValue::Int(i) => visitor.visit_string(i.to_string()),
            NodeValue::Float(f) => visitor.visit_string(f.to_string()),
            NodeValue::Bool(b) => visitor.visit_string(b.to_string()),
            _ => Err(self.mismatch(both("a text", "متن"))),
        }
        .map_err(|e| e.at(node))
    }

    fn deserialize_str<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, YamlError> {
        self.deserialize_string(visitor)
    }

    fn deserialize_seq<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, YamlError> {
        match self.node.value {
            NodeValue::Seq(_) => self.deserialize_any(visitor),
            _ => Err(self.mismatch(both("a list", "فهرست"))),
        }
    }

    fn deserialize_map<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, YamlError> {
        match self.node.value {
            NodeValue::Map(_) => self.deserialize_any(visitor),
            _ => Err(self.mismatch(both("a mapping", "نگاشت"))),
        }
    }

    fn deserialize_newtype_struct<V: Visitor<'de>>(
        self,
        name: &'static str,
        visitor: V,
    ) -> Result<V::Value, YamlError> {
        let node = self.node;
        match name {
            LOCATED => visitor.visit_seq(LocatedDe { step: 0, de: &self }),
            ITEM => visitor.visit_newtype_struct(ItemDe(self.child(node))),
            _ => visitor.visit_newtype_struct(self),
        }
    }

    fn deserialize_struct<V: Visitor<'de>>(
        self,
        name: &'static str,
        fields: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, YamlError> {
        let node = self.node;
        let NodeValue::Map(entries) = &node.value else {
            return Err(self.mismatch(both(
                format!("a mapping ({})", describe_struct(name)),
                format!("نگاشت ({})", describe_struct_fa(name)),
            )));
        };
        let mut known = Vec::with_capacity(entries.len());
        let mut suggested: Vec<&str> = Vec::new();
        for entry in entries {
            let key = match &entry.0.value {
                NodeValue::Str(s) => s.clone(),
                other => format!("{other:?}"),
            };
            if fields.contains(&key.as_str()) {
                known.push(entry);
            } else {
                if let Some(f) = super::diagnostic::did_you_mean(&key, fields.iter().copied()) {
                    suggested.push(f);
                }
                self.problems.push(YamlError {
                    message: format!("unknown key `{key}` in {}", describe_struct(name)),
                    message_fa: format!(
                        "کلید {} در {} شناخته نیست",
                        quoted(&key),
                        describe_struct_fa(name)
                    ),
                    hint: Some(suggest(&key, fields)),
                    line: entry.0.line,
                    column: entry.0.column,
                });
            }
        }
        visitor
            .visit_map(MapDe {
                entries: known.into_iter(),
                value: None,
                de: &self,
            })
            .map_err(|e| {
                // A misspelled key already reported as "did you mean `x`" explains a missing `x`.
                let explained = e
                    .message
                    .strip_prefix("missing field `")
                    .and_then(|rest| rest.strip_suffix('`'))
                    .is_some_and(|field| suggested.contains(&field));
                if explained {
                    return de::Error::custom(ITEM_FAILED);
                }
                let mut e = e.at(node);
                if let Some(field) = e
                    .message
                    .strip_prefix("missing field `")
                    .and_then(|r| r.strip_suffix('`'))
                    .map(str::to_string)
                {
                    e.message = format!("{} is missing `{field}:`", describe_struct(name));
                    e.message_fa = format!(
                        "{} در {} نوشته نشده است و لازم است",
                        quoted(format!("{field}:")),
                        describe_struct_fa(name)
                    );
                    e.hint = Some(both(
                        format!("add `{field}:` (see docs/rules.md)"),
                        format!(
                            "{} را بیفزایید (راهنما: «docs/rules.md»)",
                            quoted(format!("{field}:"))
                        ),
                    ));
                }
                e
            })
    }

    fn deserialize_enum<V: Visitor<'de>>(
        self,
        name: &'static str,
        variants: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, YamlError> {
        let node = self.node;
        match &node.value {
            NodeValue::Str(s) => {
                if !variants.contains(&s.as_str()) {
                    return Err(YamlError {
                        message: format!("`{s}` is not a valid {}", describe_struct(name)),
                        message_fa: format!(
                            "{} {} مجازی نیست",
                            quoted(s),
                            describe_struct_fa(name)
                        ),
                        hint: Some(suggest(s, variants)),
                        line: node.line,
                        column: node.column,
                    });
                }
                visitor.visit_enum(s.as_str().into_deserializer())
            }
            NodeValue::Map(entries) if entries.len() == 1 => {
                let (k, v) = &entries[0];
                let NodeValue::Str(tag) = &k.value else {
                    return Err(self.mismatch(both("a name", "نام")));
                };
                if !variants.contains(&tag.as_str()) {
                    return Err(YamlError {
                        message: format!("`{tag}` is not a valid {}", describe_struct(name)),
                        message_fa: format!(
                            "{} {} مجازی نیست",
                            quoted(tag),
                            describe_struct_fa(name)
                        ),
                        hint: Some(suggest(tag, variants)),
                        line: k.line,
                        column: k.column,
                    });
                }
                visitor.visit_enum(EnumDe {
                    tag,
                    value: self.child(v),
                })
            }
            _ => Err(self.mismatch(both(
                format!(
                    "one of {}",
                    variants
                        .iter()
                        .map(|v| format!("`{v}`"))
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
                format!(
                    "یکی از {}",
                    variants.iter().map(quoted).collect::<Vec<_>>().join("، ")
                ),
            ))),
        }
        .map_err(|e| e.at(node))
    }

    forward_to_any! {
        deserialize_bool deserialize_i8 deserialize_i16 deserialize_i32 deserialize_i64
        deserialize_u8 deserialize_u16 deserialize_u32 deserialize_u64 deserialize_f32
        deserialize_f64 deserialize_char deserialize_bytes deserialize_byte_buf
        deserialize_unit deserialize_identifier deserialize_ignored_any
    }

    fn deserialize_unit_struct<V: Visitor<'de>>(
        self,
        _: &'static str,
        visitor: V,
    ) -> Result<V::Value, YamlError> {
        self.deserialize_any(visitor)
    }

    fn deserialize_tuple<V: Visitor<'de>>(
        self,
        _: usize,
        visitor: V,
    ) -> Result<V::Value, YamlError> {
        self.deserialize_seq(visitor)
    }

    fn deserialize_tuple_struct<V: Visitor<'de>>(
        self,
        _: &'static str,
        _: usize,
        visitor: V,
    ) -> Result<V::Value, YamlError> {
        self.deserialize_seq(visitor)
    }
}

/// "criterion" for `CriterionSpec`, "calendar phase" for `PhaseSpec`… for messages.
/// A part of the rule language in Persian, by the name of its type (see [`describe_struct`]).
fn describe_struct_fa(name: &str) -> String {
    let fa = match name {
        "RuleFile" => "پروندهٔ قواعد",
        "RoundSpec" => "بخش دوره",
        "LegalReferenceSpec" => "مرجع قانونی",
        "CalendarSpec" => "تقویم",
        "PhaseSpec" => "مرحله",
        "CorrectionSpec" => "مهلت اصلاح",
        "InputType" | "input type" => "گونهٔ ورودی",
        "Supplier" | "supplier" => "فراهم‌کنندهٔ ورودی",
        "MissingSpec" | "missing-value policy" => "سیاست نبود مقدار",
        "InputSpec" => "ورودی",
        "CriterionSpec" => "معیار",
        "BandsSpec" => "بازه‌ها",
        "BandSpec" => "بازه",
        "LinearSpec" => "امتیاز خطی",
        "LookupSpec" => "جدول امتیاز",
        "ScriptSpec" => "برنامه",
        "PenaltySpec" => "جریمه",
        "Scope" | "scope" => "دامنهٔ رتبه‌بندی",
        "GradingMethod" | "grading method" => "روش درجه‌بندی",
        "NonFilerPolicy" | "non-filer policy" => "سیاست دفترهای بی‌خوداظهاری",
        "GradingSpec" => "درجه‌بندی",
        "GradeBoundsSpec" => "مرز درجه‌ها",
        "ServiceShareSpec" => "سهم خدمات",
        "RankingSpec" => "رتبه‌بندی",
        "RoundingSpec" => "گرد کردن",
        "ReviewSpec" => "بخش بررسی",
        "FlagSpec" => "نشانهٔ بررسی",
        "JumpSpec" => "جهش",
        "NearBoundarySpec" => "نزدیکی به مرز",
        "OutlierSpec" => "دورافتادگی",
        "MissingFlagSpec" => "نبود مقدار",
        "TestFile" => "پروندهٔ آزمون",
        "TestCaseSpec" => "آزمون قاعده",
        "ExpectSpec" => "انتظار آزمون",
        "PeerSpec" => "همتایان",
        "Label" => "نام دوزبانه",
        "OfficeKind" => "گونهٔ دفتر",
        "RoundingMode" => "روش گرد کردن",
        other => return quoted(describe_struct(other)),
    };
    fa.to_string()
}

fn describe_struct(name: &str) -> String {
    let base = name.strip_suffix("Spec").unwrap_or(name);
    let mut out = String::new();
    for (i, c) in base.chars().enumerate() {
        if c.is_uppercase() && i > 0 {
            out.push(' ');
        }
        out.extend(c.to_lowercase());
    }
    out
}

struct SeqDe<'a, 'de> {
    items: std::slice::Iter<'de, Node>,
    de: &'a NodeDe<'de>,
}

impl<'de> SeqAccess<'de> for SeqDe<'_, 'de> {
    type Error = YamlError;
    fn next_element_seed<T: DeserializeSeed<'de>>(
        &mut self,
        seed: T,
    ) -> Result<Option<T::Value>, YamlError> {
        match self.items.next() {
            Some(n) => seed.deserialize(self.de.child(n)).map(Some),
            None => Ok(None),
        }
    }
}

struct MapDe<'a, 'de> {
    entries: std::vec::IntoIter<&'de (Node, Node)>,
    value: Option<&'de Node>,
    de: &'a NodeDe<'de>,
}

impl<'de> MapAccess<'de> for MapDe<'_, 'de> {
    type Error = YamlError;
    fn next_key_seed<K: DeserializeSeed<'de>>(
        &mut self,
        seed: K,
    ) -> Result<Option<K::Value>, YamlError> {
        match self.entries.next() {
            Some((k, v)) => {
                self.value = Some(v);
                seed.deserialize(self.de.child(k)).map(Some)
            }
            None => Ok(None),
        }
    }
    fn next_value_seed<V: DeserializeSeed<'de>>(&mut self, seed: V) -> Result<V::Value, YamlError> {
        let v = self.value.take().expect("next_key before next_value");
        seed.deserialize(self.de.child(v))
    }
}

struct LocatedDe<'a, 'de> {
    step: u8,
    de: &'a NodeDe<'de>,
}

impl<'de> SeqAccess<'de> for LocatedDe<'_, 'de> {
    type Error = YamlError;
    fn next_element_seed<T: DeserializeSeed<'de>>(
        &mut self,
        seed: T,
    ) -> Result<Option<T::Value>, YamlError> {
        let node = self.de.node;
        self.step += 1;
        match self.step {
            1 => seed.deserialize(node.line.into_deserializer()).map(Some),
            2 => seed.deserialize(node.column.into_deserializer()).map(Some),
            3 => seed.deserialize(self.de.child(node)).map(Some),
            _ => Ok(None),
        }
    }
}

struct EnumDe<'de> {
    tag: &'de str,
    value: NodeDe<'de>,
}

impl<'de> de::EnumAccess<'de> for EnumDe<'de> {
    type Error = YamlError;
    type Variant = NodeDe<'de>;
    fn variant_seed<V: DeserializeSeed<'de>>(
        self,
        seed: V,
    ) -> Result<(V::Value, NodeDe<'de>), YamlError> {
        let tag: de::value::StrDeserializer<'de, YamlError> = self.tag.into_deserializer();
        Ok((seed.deserialize(tag)?, self.value))
    }
}

impl<'de> de::VariantAccess<'de> for NodeDe<'de> {
    type Error = YamlError;
    fn unit_variant(self) -> Result<(), YamlError> {
        Ok(())
    }
    fn newtype_variant_seed<T: DeserializeSeed<'de>>(self, seed: T) -> Result<T::Value, YamlError> {
        seed.deserialize(self)
    }
    fn tuple_variant<V: Visitor<'de>>(self, _: usize, visitor: V) -> Result<V::Value, YamlError> {
        self.deserialize_seq(visitor)
    }
    fn struct_variant<V: Visitor<'de>>(
        self,
        fields: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, YamlError> {
        self.deserialize_struct("", fields, visitor)
    }
}

/// Deserializes one [`Item`]: a failure is recorded in the problems and answered with a sentinel
/// that `Item`'s visitor turns into [`Item::Failed`].
struct ItemDe<'de>(NodeDe<'de>);

macro_rules! capture {
    ($($method:ident)*) => {
        $(fn $method<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, YamlError> {
            let (node, problems) = (self.0.node, self.0.problems);
            self.0.$method(visitor).map_err(|e| record(problems, e.at(node)))
        })*
    };
}

fn record(problems: &Problems, e: YamlError) -> YamlError {
    if e.message != ITEM_FAILED {
        problems.push(e);
    }
    de::Error::custom(ITEM_FAILED)
}

impl<'de> Deserializer<'de> for ItemDe<'de> {
    type Error = YamlError;

    capture! {
        deserialize_any deserialize_bool deserialize_i8 deserialize_i16 deserialize_i32
        deserialize_i64 deserialize_u8 deserialize_u16 deserialize_u32 deserialize_u64
        deserialize_f32 deserialize_f64 deserialize_char deserialize_str deserialize_string
        deserialize_bytes deserialize_byte_buf deserialize_option deserialize_unit deserialize_seq
        deserialize_map deserialize_identifier deserialize_ignored_any
    }

    fn deserialize_unit_struct<V: Visitor<'de>>(
        self,
        n: &'static str,
        v: V,
    ) -> Result<V::Value, YamlError> {
        let (node, problems) = (self.0.node, self.0.problems);
        self.0
            .deserialize_unit_struct(n, v)
            .map_err(|e| record(problems, e.at(node)))
    }
    fn deserialize_newtype_struct<V: Visitor<'de>>(
        self,
        n: &'static str,
        v: V,
    ) -> Result<V::Value, YamlError> {
        let (node, problems) = (self.0.node, self.0.problems);
        self.0
            .deserialize_newtype_struct(n, v)
            .map_err(|e| record(problems, e.at(node)))
    }
    fn deserialize_tuple<V: Visitor<'de>>(self, len: usize, v: V) -> Result<V::Value, YamlError> {
        let (node, problems) = (self.0.node, self.0.problems);
        self.0
            .deserialize_tuple(len, v)
            .map_err(|e| record(problems, e.at(node)))
    }
    fn deserialize_tuple_struct<V: Visitor<'de>>(
        self,
        n: &'static str,
        len: usize,
        v: V,
    ) -> Result<V::Value, YamlError> {
        let (node, problems) = (self.0.node, self.0.problems);
        self.0
            .deserialize_tuple_struct(n, len, v)
            .map_err(|e| record(problems, e.at(node)))
    }
    fn deserialize_struct<V: Visitor<'de>>(
        self,
        n: &'static str,
        f: &'static [&'static str],
        v: V,
    ) -> Result<V::Value, YamlError> {
        let (node, problems) = (self.0.node, self.0.problems);
        self.0
            .deserialize_struct(n, f, v)
            .map_err(|e| record(problems, e.at(node)))
    }
    fn deserialize_enum<V: Visitor<'de>>(
        self,
        n: &'static str,
        vs: &'static [&'static str],
        v: V,
    ) -> Result<V::Value, YamlError> {
        let (node, problems) = (self.0.node, self.0.problems);
        self.0
            .deserialize_enum(n, vs, v)
            .map_err(|e| record(problems, e.at(node)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Deserialize, Debug)]
    #[allow(dead_code)]
    struct CriterionSpec {
        id: Located<String>,
        weight: u32,
    }

    #[derive(Deserialize, Debug)]
    #[allow(dead_code)]
    struct File {
        criteria: Vec<Item<CriterionSpec>>,
        title: Option<String>,
    }

    #[test]
    fn every_unknown_key_and_every_broken_item_is_reported_with_its_line() {
        let text = "criteria:\n  - id: a\n    wieght: 2\n    weight: 1\n  - id: b\n    weight: heavy\n  - id: c\n    weight: 3\ntitel: x\n";
        let node = parse(text).unwrap();
        let problems = Problems::default();
        let file: File = from_node(&node, &problems).unwrap();
        let mut problems = problems.into_vec();
        problems.sort_by_key(|p| (p.line, p.column));
        let lines: Vec<(u32, &str)> = problems
            .iter()
            .map(|p| (p.line, p.message.as_str()))
            .collect();
        assert_eq!(problems.len(), 3, "{lines:?}");
        assert!(problems[0].message.contains("unknown key `wieght`"));
        assert_eq!(
            problems[0].hint.as_ref().map(|h| h.en.as_str()),
            Some("did you mean `weight`?")
        );
        assert_eq!((problems[0].line, problems[0].column), (3, 5));
        assert_eq!(problems[1].line, 6);
        assert!(
            problems[1].message.contains("heavy") || problems[1].message.contains("expected"),
            "{}",
            problems[1].message
        );
        assert_eq!(problems[2].line, 9);
        assert!(problems[2].message.contains("`titel`"));
        assert_eq!(file.criteria.len(), 3);
        assert!(matches!(file.criteria[1], Item::Failed));
        let Item::Ok(c) = &file.criteria[2] else {
            panic!()
        };
        assert_eq!((c.id.value.as_str(), c.id.line, c.id.column), ("c", 7, 9));
    }

    /// Parses `text` and gives the error's place, message and hint (the Persian of both checked
    /// on the way: wholly Persian, with the English's numbers).
    fn syntax(text: &str) -> (u32, u32, String, String) {
        let e = parse(text).expect_err("a syntax error");
        let message = Label::new(e.message_fa.clone(), e.message.clone());
        let hint = e.hint.clone().expect("a syntax error has a hint");
        for label in [&message, &hint] {
            assert_eq!(crate::domain::persian_problem(&label.fa), None, "{label:?}");
            assert_eq!(
                crate::domain::label::numbers_differ(label),
                None,
                "{label:?}"
            );
        }
        (
            e.line,
            e.column,
            e.message,
            e.hint.map(|h| h.en).unwrap_or_default(),
        )
    }

    #[test]
    fn an_unclosed_bracket_is_reported_where_it_opens_not_where_the_parser_gives_up() {
        let (line, column, message, hint) =
            syntax("a:\n  weight: [1.5\n  max_points: 10\n  id: x\n");
        assert_eq!((line, column), (2, 11));
        assert_eq!(
            message,
            "YAML syntax: the list opened here with `[` is not closed"
        );
        assert!(hint.starts_with("end it with `]`"), "{hint}");
        let (line, column, message, _) = syntax("label: { fa: x, en: y\nclause: \"a\"\nid: b\n");
        assert_eq!((line, column), (1, 8));
        assert_eq!(
            message,
            "YAML syntax: the mapping opened here with `{` is not closed"
        );
    }

    #[test]
    fn a_quote_left_open_is_reported_at_its_start_not_at_the_next_quote() {
        let (line, column, message, _) =
            syntax("a:\n  clause: \"Table 5-1\n  weight: 1\n  formula: \"x + 1\"\n");
        assert_eq!((line, column), (2, 11));
        assert_eq!(
            message,
            "YAML syntax: the quoted text that starts here is not closed on its line"
        );
        let (line, column, message, _) = syntax("a: 1\nb: \"open\n");
        assert_eq!((line, column), (2, 4));
        assert_eq!(message, "YAML syntax: a quoted text is not closed");
    }

    #[test]
    fn a_key_without_its_colon_is_reported_on_its_own_line() {
        let (line, column, message, hint) =
            syntax("criteria:\n  - id: a\n    weight: 1\n  - id b\n    weight: 2\n");
        assert_eq!((line, column), (4, 5));
        assert_eq!(message, "YAML syntax: a `:` is missing after the key");
        assert_eq!(hint, "write `key: value`, with a space after the `:`");
        let (line, column, message, _) = syntax("inputs:\n  area\n    type: decimal\n");
        assert_eq!((line, column), (2, 3));
        assert_eq!(message, "YAML syntax: a `:` is missing after the key");
    }

    #[test]
    fn indentation_tabs_duplicates_and_unknown_anchors_are_explained_in_our_words() {
        let (line, column, message, _) = syntax("a:\n  b: 1\n    c: 2\n");
        assert_eq!((line, column), (3, 5));
        assert_eq!(
            message,
            "YAML syntax: this line is indented more than the key above it, which already has a value"
        );
        let (line, column, message, hint) = syntax("a:\n  b: \"1\"\n    c: 2\n");
        assert_eq!((line, column), (3, 5));
        assert_eq!(
            message,
            "YAML syntax: this line is not lined up with the keys around it"
        );
        assert!(hint.contains("as many spaces"), "{hint}");
        let (line, column, message, _) = syntax("a:\n  b: 1\n\tc: 2\n");
        assert_eq!((line, column), (3, 1));
        assert_eq!(message, "YAML syntax: a tab is used for indentation");
        let (line, column, message, hint) = syntax("a:\n  b: 1\n  b: 2\n");
        assert_eq!((line, column), (3, 3));
        assert_eq!(
            message,
            "YAML syntax: `b` is written twice in the same mapping"
        );
        assert_eq!(hint, "keep one of them");
        let (line, _, message, hint) = syntax("a: 1\nb: *base\n");
        assert_eq!(line, 2);
        assert_eq!(
            message,
            "YAML syntax: `*base` repeats an anchor that is not defined above it"
        );
        assert!(hint.contains("`&base`"), "{hint}");
        let (line, column, message, _) = syntax("a:\n  - 1\n - 2\n");
        assert_eq!(line, 3, "{message}");
        assert!(column <= 2, "{column}");
        assert!(message.starts_with("YAML syntax: "), "{message}");
    }

    #[test]
    fn serde_problems_are_worded_for_policy_staff() {
        #[derive(Deserialize, Debug)]
        #[allow(dead_code)]
        struct S {
            pair: (u32, u32),
            count: u8,
            flag: bool,
            list: Vec<u32>,
        }
        let cases = [
            (
                "pair: [1]\ncount: 1\nflag: true\nlist: []\n",
                "expected a list of 2 values, found a list of one value",
            ),
            (
                "pair: [1, 2]\ncount: 300\nflag: true\nlist: []\n",
                "the whole number 300 is not allowed here: expected a whole number from 0 to 255",
            ),
            (
                "pair: [1, 2]\ncount: 1.5\nflag: true\nlist: []\n",
                "expected a whole number from 0 to 255, found the number 1.5",
            ),
            (
                "pair: [1, -2]\ncount: 1\nflag: true\nlist: []\n",
                "the whole number -2 is not allowed here: expected a whole number, 0 or more",
            ),
            (
                "pair: [1, 2]\ncount: 1\nflag: 3\nlist: []\n",
                "expected `true` or `false`, found the whole number 3",
            ),
            (
                "pair: [1, 2]\ncount: 1\nflag: true\nlist: [x]\n",
                "expected a whole number, 0 or more, found the text `x`",
            ),
        ];
        for (text, want) in cases {
            let node = parse(text).unwrap();
            let problems = Problems::default();
            let _ = from_node::<S>(&node, &problems);
            let problems = problems.into_vec();
            assert_eq!(problems.len(), 1, "{text}: {problems:?}");
            assert_eq!(problems[0].message, want, "{text}");
        }
    }

    #[test]
    fn syntax_errors_carry_line_and_column() {
        let err = parse("a: 1\nb: [1, 2\nc: 3\n").unwrap_err();
        assert!(err.line >= 2, "{err:?}");
        assert!(err.message.starts_with("YAML syntax"));
    }
}

//! Owned values that cross the 1C boundary.
//!
//! `src/addin` converts each raw `tVariant` into a [`Value`] before the safe component sees it,
//! and converts the component's answers back. Nothing here knows about pointers.

/// One 1C value, owned.
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    /// `Неопределено` (VTYPE_EMPTY), also what an omitted optional argument becomes.
    Empty,
    /// `Булево` (VTYPE_BOOL).
    Bool(bool),
    /// An integral `Число` that fits 32 bits (VTYPE_I4 and the smaller integer types).
    I32(i32),
    /// Any other `Число` (VTYPE_R8, VTYPE_R4, VTYPE_I8 …).
    F64(f64),
    /// `Строка` (VTYPE_PWSTR), decoded from UTF-16 (unpaired surrogates replaced).
    String(String),
    /// `ДвоичныеДанные` (VTYPE_BLOB).
    Blob(Vec<u8>),
    /// A type the add-in does not accept (dates, interfaces, …); carries the raw VTYPE code so
    /// that the error message can name it.
    Unsupported(u16),
}

impl Value {
    /// The 1C name of this value's type, for error messages.
    pub fn type_name(&self) -> &'static str {
        match self {
            Value::Empty => "Undefined",
            Value::Bool(_) => "Boolean",
            Value::I32(_) | Value::F64(_) => "Number",
            Value::String(_) => "String",
            Value::Blob(_) => "BinaryData",
            Value::Unsupported(7) | Value::Unsupported(6) => "Date",
            Value::Unsupported(_) => "an unsupported type",
        }
    }
}

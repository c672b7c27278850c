//! What the tests pass to and get from an object: 1C values ([`V`]) and the errors of a property
//! access or a method call as 1C code would see them ([`CallError`]).

/// A 1C value as the tests write it.
#[derive(Debug, Clone, PartialEq)]
pub enum V {
    /// `Неопределено` (VTYPE_EMPTY; VTYPE_NULL reads back as this too).
    Empty,
    /// `Булево` (VTYPE_BOOL).
    Bool(bool),
    /// An integral `Число` (passed as VTYPE_I4; every integer VTYPE that fits reads back as this).
    I32(i32),
    /// Any other `Число` (VTYPE_R8; R4, I8, UI8 and large UI4 read back as this).
    F64(f64),
    /// `Строка` (VTYPE_PWSTR).
    Str(String),
    /// `ДвоичныеДанные` (VTYPE_BLOB).
    Blob(Vec<u8>),
}

impl V {
    /// The string, if this is a `Str`.
    pub fn as_str(&self) -> Option<&str> {
        match self {
            V::Str(s) => Some(s),
            _ => None,
        }
    }

    /// The number as f64, if this is an `I32` or an `F64`.
    pub fn as_f64(&self) -> Option<f64> {
        match self {
            V::I32(n) => Some(f64::from(*n)),
            V::F64(x) => Some(*x),
            _ => None,
        }
    }

    /// The boolean, if this is a `Bool`.
    pub fn as_bool(&self) -> Option<bool> {
        match self {
            V::Bool(b) => Some(*b),
            _ => None,
        }
    }

    /// The 1C name of the value's type, for messages.
    pub fn type_name(&self) -> &'static str {
        match self {
            V::Empty => "Undefined",
            V::Bool(_) => "Boolean",
            V::I32(_) | V::F64(_) => "Number",
            V::Str(_) => "String",
            V::Blob(_) => "BinaryData",
        }
    }
}

impl From<&str> for V {
    fn from(s: &str) -> V {
        V::Str(s.to_owned())
    }
}
impl From<String> for V {
    fn from(s: String) -> V {
        V::Str(s)
    }
}
impl From<bool> for V {
    fn from(b: bool) -> V {
        V::Bool(b)
    }
}
impl From<i32> for V {
    fn from(n: i32) -> V {
        V::I32(n)
    }
}
impl From<f64> for V {
    fn from(x: f64) -> V {
        V::F64(x)
    }
}
impl From<Vec<u8>> for V {
    fn from(b: Vec<u8>) -> V {
        V::Blob(b)
    }
}
impl From<&[u8]> for V {
    fn from(b: &[u8]) -> V {
        V::Blob(b.to_vec())
    }
}

/// Why a member access failed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorKind {
    /// `FindProp`/`FindMethod` answered -1 (1C: "field/method not found").
    NotFound,
    /// `IsPropReadable` answered false.
    NotReadable,
    /// `IsPropWritable` answered false.
    NotWritable,
    /// More arguments than `GetNParams` (1C: "too many actual parameters").
    TooManyArguments,
    /// An omitted argument for which `GetParamDefValue` answered false (1C: "not enough
    /// actual parameters").
    MissingArgument,
    /// The add-in raised: the call returned false, or `AddError` came with `scode != 0`.
    Raised,
    /// The add-in returned a value of a type this host cannot represent.
    Unsupported,
}

/// A failed property access or method call, as 1C code would see it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CallError {
    /// The `descr` of the last `AddError` during the call (the text of 1C's exception), or the
    /// host's own explanation when the add-in was not reached. Empty when the add-in returned
    /// false without calling `AddError`.
    pub message: String,
    /// True when the add-in itself raised (returned false, or `AddError` with `scode != 0`);
    /// false when the host refused before or after the call (see `kind`).
    pub exception: bool,
    /// What went wrong.
    pub kind: ErrorKind,
}

impl CallError {
    pub(crate) fn host(kind: ErrorKind, message: String) -> CallError {
        CallError {
            message,
            exception: false,
            kind,
        }
    }
}

impl std::fmt::Display for CallError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{:?}: {}", self.kind, self.message)
    }
}

impl std::error::Error for CallError {}

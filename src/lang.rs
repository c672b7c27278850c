//! Texts in the platform's interface language.
//!
//! 1C shows `LastError` and exception texts to users who may read only Russian; the platform
//! tells the language through `SetUserInterfaceLanguageCode` ("ru", "en") or the older
//! `SetLocale` ("ru_RU", "rus_RUS"). Every text meant for people carries both languages.

/// The interface language.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Lang {
    /// English (the default when the platform says nothing or something else).
    #[default]
    En,
    /// Russian.
    Ru,
}

impl Lang {
    /// Reads a language code or a locale: anything starting with "ru" is Russian.
    pub fn from_code(code: &str) -> Lang {
        if code.trim().to_ascii_lowercase().starts_with("ru") {
            Lang::Ru
        } else {
            Lang::En
        }
    }
}

/// The most characters of a value from 1C (or from a server) that an error message quotes.
pub const ECHO_CHARS: usize = 200;

/// `s` as an error message quotes it: at most [`ECHO_CHARS`] characters, with `…` when cut,
/// so that a 10 MB argument gives a readable exception, not a 10 MB one; a NUL becomes `␀`,
/// since the platform would end the message there.
pub fn clip(s: &str) -> std::borrow::Cow<'_, str> {
    clip_to(s, ECHO_CHARS)
}

/// `s` cut to at most `chars` characters (with `…` when cut), a NUL shown as `␀`.
pub fn clip_to(s: &str, chars: usize) -> std::borrow::Cow<'_, str> {
    let (kept, cut) = match s.char_indices().nth(chars) {
        Some((cut, _)) => (&s[..cut], true),
        None => (s, false),
    };
    if !cut && !kept.contains('\0') {
        return kept.into();
    }
    let mut out = kept.replace('\0', "␀");
    if cut {
        out.push('…');
    }
    out.into()
}

/// A text in both languages.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Text {
    /// English.
    pub en: String,
    /// Russian.
    pub ru: String,
}

impl Text {
    /// A text from its two translations.
    pub fn new(en: impl Into<String>, ru: impl Into<String>) -> Text {
        Text {
            en: en.into(),
            ru: ru.into(),
        }
    }

    /// The translation for `lang`.
    pub fn get(&self, lang: Lang) -> &str {
        match lang {
            Lang::En => &self.en,
            Lang::Ru => &self.ru,
        }
    }
}

impl std::fmt::Display for Text {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.en)
    }
}

/// Builds a [`Text`]: `text!("en {}", x; "ru {}", x)`.
#[macro_export]
macro_rules! text {
    ($($en:expr),+ ; $($ru:expr),+) => {
        $crate::lang::Text::new(format!($($en),+), format!($($ru),+))
    };
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn clip_cuts_long_values_on_a_char_boundary() {
        assert_eq!(clip("short"), "short");
        let long = "я".repeat(ECHO_CHARS + 1);
        let clipped = clip(&long);
        assert_eq!(clipped.chars().count(), ECHO_CHARS + 1);
        assert!(clipped.ends_with("я…"));
        assert_eq!(clip(&long[..ECHO_CHARS * 2]), &long[..ECHO_CHARS * 2]);
        assert_eq!(clip("a\0b"), "a␀b");
    }
}

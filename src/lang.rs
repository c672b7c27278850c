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

//! `LocaleBase` (base 2: `SetLocale`) and `UserLanguageBase` (base 3:
//! `SetUserInterfaceLanguageCode`). Both pass the text to `Component::set_language`.
#![allow(unsafe_code)]

use core::ffi::c_void;

use super::object::{self, Object, LOCALE, USER_LANGUAGE};
use super::vtable::Vtable;
use super::wstr;

/// The one method of `LocaleBase` / `UserLanguageBase` after the destructor slots.
#[repr(C)]
pub(crate) struct LanguageMethod {
    set: unsafe extern "system" fn(*mut c_void, *const u16),
}

/// The `LocaleBase` vtable.
pub(crate) static LOCALE_VTABLE: Vtable<LanguageMethod> =
    object::vtable::<LOCALE, _>(LanguageMethod { set: set_locale });

/// The `UserLanguageBase` vtable.
pub(crate) static USER_LANGUAGE_VTABLE: Vtable<LanguageMethod> =
    object::vtable::<USER_LANGUAGE, _>(LanguageMethod {
        set: set_user_interface_language_code,
    });

/// `void SetLocale(const WCHAR_T* loc)`: "ru_RU", "rus_RUS" …
///
/// # Safety
/// `this` is null or base 2 of a live object; `loc` is null or a NUL-terminated string.
pub(super) unsafe extern "system" fn set_locale(this: *mut c_void, loc: *const u16) {
    // SAFETY: forwarded contract.
    unsafe { set_language::<LOCALE>(this, loc) }
}

/// `void SetUserInterfaceLanguageCode(const WCHAR_T* lang)`: "ru", "en" …
///
/// # Safety
/// `this` is null or base 3 of a live object; `lang` is null or a NUL-terminated string.
pub(super) unsafe extern "system" fn set_user_interface_language_code(
    this: *mut c_void,
    lang: *const u16,
) {
    // SAFETY: forwarded contract.
    unsafe { set_language::<USER_LANGUAGE>(this, lang) }
}

/// # Safety
/// `this` is null or base `BASE` of a live object; `code` is null or NUL-terminated.
unsafe fn set_language<const BASE: usize>(this: *mut c_void, code: *const u16) {
    let body = |obj: &Object| {
        // SAFETY: `code` is null or NUL-terminated (caller).
        if let Some(code) = unsafe { wstr::read_nul_terminated(code) } {
            obj.component()?.set_language(&code);
        }
        Ok(())
    };
    // SAFETY: forwarded contract.
    unsafe { object::enter::<BASE, _>(this, (), body) }
}

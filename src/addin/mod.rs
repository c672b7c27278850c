//! The C ABI of the add-in: the only module with `unsafe` code.
//!
//! 1C loads the library, calls the five exports, and then drives each object through four C++
//! vtables. This module turns each of those calls into one call of the safe
//! [`crate::component::Component`] with owned [`crate::value::Value`]s, and implements the
//! [`crate::host`] traits over the platform's raw interfaces.
//!
//! # Map
//! In layers, from the bottom: a file imports from the layers below it and, without a cycle,
//! from its own layer (arrows below), so no two files import each other, directly or through
//! others.
//! 1. Leaves, importing nothing from `addin`: `guard`: `catch_unwind` around every entry (safe
//!    code). `pin`: keeping the library loaded. `wstr`: reading NUL-terminated and counted
//!    strings out of host memory, and comparing them without a copy. `vtable`: the shape of a
//!    C++ vtable (Itanium prefix, destructor slots `Dtors`, methods), ours and the platform's.
//! 2. The platform's objects and values: `memory`: its `IMemoryManager` (→ `vtable`).
//!    `connection`: its `IAddInDefBase(Ex)` and the capability level from
//!    `SetPlatformCapabilities` (→ `vtable`). `variant`: `tVariant` layout per target and
//!    `Value` conversions (→ `memory`, `wstr`). `platform`: what the component gets in `Init`,
//!    the `Platform` view and the `EventSink` the dispatcher thread calls (→ `connection`).
//! 3. `object`: the object (four vptrs + state), finding it from a base pointer, the entry guard
//!    with error reporting, the lifecycle (`Init`/`setMemManager`/`Done`/drop), its destructors,
//!    the live set (→ `guard`, `vtable`, `memory`, `connection`, `platform`).
//! 4. The interfaces, each with its vtable (→ `object`, `vtable` and the layers below):
//!    `init_done`: `IInitDoneBase` (base 0). `locale`: `LocaleBase` (base 2) and
//!    `UserLanguageBase` (base 3). For `ILanguageExtenderBase` (base 1): `members`, what its
//!    property and method entries share (entry, indexes, lookups by name and index); `methods`,
//!    its method entries (→ `members`); `extender`, its vtable, `RegisterExtensionAs` and the
//!    property entries (→ `members`, `methods`).
//! 5. [`exports`]: the five `#[no_mangle] extern "C"` functions, and the object with the four
//!    interfaces' vtables (→ everything it needs below).
//!
//! On top, outside the layers: `fuzzing` (only under `--cfg fuzzing`: raw variants from fuzzer
//! input through the entries) and the unit tests. `tests/layers.rs` checks that no files import
//! each other in a cycle (here and in the whole crate).
//!
//! # Invariants
//! - **Pointers.** The object pointer from `GetClassObject` is valid until it is destroyed,
//!   exactly once, by `DestroyObject` or a deleting destructor slot (a set of live objects turns
//!   a second attempt into a no-op). The connection (`Init`) and memory manager
//!   (`setMemManager`) pointers are valid until `Done`; the object forgets both in `Done`.
//!   Strings and blobs that 1C frees are allocated with its `AllocMemory`, never with Rust's
//!   allocator; platform memory is freed only with `FreeMemory`.
//! - **Threads.** The platform calls an object on one thread at a time; the state uses
//!   `Cell`/`RefCell` and a re-entrant call fails instead of aliasing. `AllocMemory`,
//!   `FreeMemory`, `AddError` and `GetInterface` are called only on that thread, inside a
//!   platform call. The only call from another thread is `ExternalEvent`, through the
//!   `EventSink`, serialised by its mutex and cut off by `Done` after the component has stopped.
//! - **Strings.** `WCHAR_T` is 2-byte UTF-16 on every OS. Strings passed to the platform end with
//!   one NUL; `wstrLen` never counts it. Incoming strings are read by their length when they
//!   have one, otherwise up to the NUL with a cap; decoding is lossy (unpaired surrogates
//!   become U+FFFD). The pure conversions live in the safe [`crate::wide`].
//! - **Panics.** Every export and vtable entry runs in `guard`; a panic becomes `LastError`,
//!   `AddError(1006, "SocketIO", "internal error: …", 1)` and the entry's failure value.
//! - **Null and range.** Null `this`, out-pointers and strings, negative indexes, a null
//!   argument array and an argument count other than `GetNParams` are refused, never
//!   dereferenced; a zero-length array is never built from a null pointer.
//!
//! Every `unsafe` block carries a `// SAFETY:` comment and every `unsafe fn` a `# Safety`
//! section; the files that need `unsafe` allow it with their own `#![allow(unsafe_code)]`.
#![warn(
    clippy::undocumented_unsafe_blocks,
    clippy::missing_safety_doc,
    unsafe_op_in_unsafe_fn
)]

mod connection;
pub mod exports;
mod extender;
#[cfg(fuzzing)]
pub mod fuzzing;
mod guard;
mod init_done;
mod locale;
mod members;
mod memory;
mod methods;
mod object;
mod pin;
mod platform;
mod variant;
mod vtable;
mod wstr;

#[cfg(test)]
mod tests;

//! The seam between the safe code and the 1C platform.
//!
//! `src/addin` implements these traits over the raw `IAddInDefBase` pointer; tests implement them
//! in plain Rust. The safe code never sees a pointer.

use std::sync::Arc;

/// What the platform says it is (`IPlatformInfo::GetPlatformInfo().Application`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AppType {
    /// The platform did not say (old platform, or no `IPlatformInfo`).
    Unknown,
    /// Thin client (`eAppThinClient`).
    ThinClient,
    /// Thick client (`eAppThickClient`).
    ThickClient,
    /// Web client (`eAppWebClient`).
    WebClient,
    /// 1C:Enterprise server (`eAppServer`): no external events there.
    Server,
    /// External connection (`eAppExtConn`): no external events there.
    ExternalConnection,
    /// Mobile client (`eAppMobileClient`).
    MobileClient,
    /// Mobile server (`eAppMobileServer`).
    MobileServer,
}

impl AppType {
    /// Whether external events reach 1C code on this kind of platform. Where they do not, the
    /// add-in defaults to queue mode (`GetEvent`).
    pub fn has_external_events(self) -> bool {
        !matches!(
            self,
            AppType::Server | AppType::ExternalConnection | AppType::MobileServer
        )
    }

    /// Maps the kit's `AppType` enum value.
    pub fn from_raw(raw: i32) -> AppType {
        match raw {
            0 => AppType::ThinClient,
            1 => AppType::ThickClient,
            2 => AppType::WebClient,
            3 => AppType::Server,
            4 => AppType::ExternalConnection,
            5 => AppType::MobileClient,
            6 => AppType::MobileServer,
            _ => AppType::Unknown,
        }
    }
}

/// Where external events go. Called from the dispatcher's thread, never from the 1C thread.
///
/// Implementations must be safe to call concurrently with the platform's own use of the
/// connection, and must turn into a no-op once the object is `Done` (the addin layer clears its
/// pointer under a lock after the actors have stopped).
pub trait EventSink: Send + Sync {
    /// Hands one event to the platform. Each slice is UTF-16 **with** a trailing NUL, as
    /// `IAddInDefBase::ExternalEvent` wants. Returns the platform's answer (false = not queued).
    fn external_event(&self, source: &[u16], event: &[u16], data: &[u16]) -> bool;
}

/// The platform as seen from the 1C thread during `Init` (`IAddInDefBase` + `IPlatformInfo`).
pub trait Platform {
    /// `IAddInDefBase::SetEventBufferDepth`.
    fn set_event_buffer_depth(&self, depth: i32) -> bool;
    /// `IPlatformInfo` via `IAddInDefBaseEx::GetInterface`, when the platform offers it.
    fn app_type(&self) -> AppType;
    /// The sink that the dispatcher will call from its own thread.
    fn event_sink(&self) -> Arc<dyn EventSink>;
}

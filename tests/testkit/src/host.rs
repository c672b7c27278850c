//! 1C host emulator (to be written).

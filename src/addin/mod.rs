//! The C ABI of the add-in: the only module with `unsafe` code.

//! Mutexes whose values stay consistent even when a holder panicked.

use std::sync::Mutex;

/// The mutex's value, also after a panic elsewhere poisoned it (the values here stay consistent).
pub(crate) fn lock_ignoring_poison<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

//! The library's locks: std's, without poisoning.
//!
//! A panic in a host callback is caught at the C boundary; it must not turn every later lock of
//! the connection into an error path, so these locks hand out the guard whatever happened while
//! it was last held (each lock's data is kept consistent by the code holding it, not by poison).
//!
//! Why not `parking_lot`, whose locks behave like this already: `parking_lot_core` allocates one
//! process-wide table the first time a thread parks and never frees it. Inside a library that
//! promises a clean `dlclose` (`stdb_library_shutdown`, then unload and reload, as engines
//! hot-reload plugins), every load/unload cycle would leak that table; `tests/c/dl_unload.c`
//! under valgrind reported exactly that. std's locks are futexes on Linux: as small and as fast
//! uncontended, and they keep nothing behind.

use std::sync::{MutexGuard, RwLockReadGuard, RwLockWriteGuard};
use std::time::Duration;

#[derive(Default)]
pub(crate) struct Mutex<T>(std::sync::Mutex<T>);

impl<T> Mutex<T> {
    pub(crate) const fn new(value: T) -> Mutex<T> {
        Mutex(std::sync::Mutex::new(value))
    }

    pub(crate) fn lock(&self) -> MutexGuard<'_, T> {
        self.0.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

#[derive(Default)]
pub(crate) struct RwLock<T>(std::sync::RwLock<T>);

impl<T> RwLock<T> {
    pub(crate) const fn new(value: T) -> RwLock<T> {
        RwLock(std::sync::RwLock::new(value))
    }

    pub(crate) fn read(&self) -> RwLockReadGuard<'_, T> {
        self.0.read().unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    pub(crate) fn write(&self) -> RwLockWriteGuard<'_, T> {
        self.0.write().unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

#[derive(Default)]
pub(crate) struct Condvar(std::sync::Condvar);

impl Condvar {
    pub(crate) const fn new() -> Condvar {
        Condvar(std::sync::Condvar::new())
    }

    /// Waits for a notification or `timeout`, whichever comes first (or spuriously).
    pub(crate) fn wait_for<'a, T>(&self, guard: MutexGuard<'a, T>, timeout: Duration) -> MutexGuard<'a, T> {
        match self.0.wait_timeout(guard, timeout) {
            Ok((guard, _)) => guard,
            Err(poisoned) => poisoned.into_inner().0,
        }
    }

    pub(crate) fn notify_all(&self) {
        self.0.notify_all();
    }
}

//! Process measurements: a counting global allocator, RSS from /proc, thread count.
use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicBool, AtomicI64, Ordering::Relaxed};

/// Counts live heap bytes when enabled (only in memory runs: the atomics would tax the timed
/// runs, and tax the client that allocates more, i.e. skew the comparison).
pub struct Counting;

static ENABLED: AtomicBool = AtomicBool::new(false);
static LIVE: AtomicI64 = AtomicI64::new(0);

pub fn enable_alloc_counting() {
    ENABLED.store(true, Relaxed);
}

pub fn alloc_counting() -> bool {
    ENABLED.load(Relaxed)
}

/// Live heap bytes allocated since counting was enabled.
pub fn live_bytes() -> i64 {
    LIVE.load(Relaxed)
}

unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, l: Layout) -> *mut u8 {
        let p = System.alloc(l);
        if !p.is_null() && ENABLED.load(Relaxed) {
            LIVE.fetch_add(l.size() as i64, Relaxed);
        }
        p
    }
    unsafe fn alloc_zeroed(&self, l: Layout) -> *mut u8 {
        let p = System.alloc_zeroed(l);
        if !p.is_null() && ENABLED.load(Relaxed) {
            LIVE.fetch_add(l.size() as i64, Relaxed);
        }
        p
    }
    unsafe fn dealloc(&self, p: *mut u8, l: Layout) {
        System.dealloc(p, l);
        if ENABLED.load(Relaxed) {
            LIVE.fetch_sub(l.size() as i64, Relaxed);
        }
    }
    unsafe fn realloc(&self, p: *mut u8, l: Layout, new: usize) -> *mut u8 {
        let q = System.realloc(p, l, new);
        if !q.is_null() && ENABLED.load(Relaxed) {
            LIVE.fetch_add(new as i64 - l.size() as i64, Relaxed);
        }
        q
    }
}

fn status_kb(key: &str) -> u64 {
    let text = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    text.lines()
        .find(|l| l.starts_with(key))
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|v| v.parse().ok())
        .unwrap_or(0)
}

/// Resident set size, bytes.
pub fn rss() -> u64 {
    status_kb("VmRSS:") * 1024
}

/// Peak resident set size, bytes.
pub fn peak_rss() -> u64 {
    status_kb("VmHWM:") * 1024
}

/// Threads of this process.
pub fn threads() -> usize {
    std::fs::read_dir("/proc/self/task").map(|d| d.count()).unwrap_or(0)
}

/// Returns freed heap to the OS, so an RSS reading after it is not inflated by free lists.
pub fn trim() {
    extern "C" {
        fn malloc_trim(pad: usize) -> i32;
    }
    unsafe {
        malloc_trim(0);
    }
}

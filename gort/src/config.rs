//! Runtime configuration read from the environment at start-up:
//! `GOMAXPROCS` (number of Ps), `GORT_STACK_SIZE` (bytes of virtual stack
//! per goroutine; a `K`/`M` suffix multiplies by 1024 / 1024²) and
//! `GORTDEBUG` (Go's `GODEBUG` for the scheduler: `schedtrace=N` prints a
//! `SCHED` line every N ms).
//!
//! An invalid value is reported on stderr and the default used, as Go ignores
//! a malformed GOMAXPROCS.

/// Default goroutine stack: 256 KiB of *virtual* space, of which a typical
/// goroutine touches one or two pages. Rust frames are larger than Go's (no
/// stack copying, so no small-frame discipline), a debug build's formatting
/// and panic machinery alone can take tens of KiB, and capturing a backtrace
/// on a panic needs ~100 KiB; 64 KiB was too tight for those, 256 KiB leaves
/// room while a million stacks still fit easily in the address space.
pub const DEFAULT_STACK_SIZE: usize = 256 * 1024;
/// Smallest accepted stack: enough for the coroutine start-up frames and a
/// panic message.
pub const MIN_STACK_SIZE: usize = 32 * 1024;

pub(crate) struct Config {
    pub(crate) gomaxprocs: usize,
    pub(crate) stack_size: usize,
    /// `GORTDEBUG=schedtrace=N`: print the scheduler's state every N ms.
    pub(crate) schedtrace: Option<std::time::Duration>,
}

impl Config {
    pub(crate) fn from_env() -> Config {
        let ncpu = std::thread::available_parallelism().map_or(1, |n| n.get());
        Config {
            gomaxprocs: from_env("GOMAXPROCS", parse_procs).unwrap_or(ncpu),
            stack_size: from_env("GORT_STACK_SIZE", parse_stack_size).unwrap_or(DEFAULT_STACK_SIZE),
            schedtrace: from_env("GORTDEBUG", parse_debug).flatten(),
        }
    }
}

fn from_env<T>(name: &str, parse: fn(&str) -> Result<T, String>) -> Option<T> {
    let value = std::env::var(name).ok()?;
    match parse(value.trim()) {
        Ok(v) => Some(v),
        Err(why) => {
            eprintln!("gort: ignoring {name}={value:?}: {why}");
            None
        }
    }
}

fn parse_procs(s: &str) -> Result<usize, String> {
    match s.parse::<usize>() {
        Ok(0) | Err(_) => Err("expected a positive integer".into()),
        Ok(n) if n > crate::runtime::sched::MAX_PROCS => Err(format!(
            "at most {} Ps are supported",
            crate::runtime::sched::MAX_PROCS
        )),
        Ok(n) => Ok(n),
    }
}

/// Parse `GORTDEBUG`: comma-separated `key=value` settings, as Go's
/// `GODEBUG`. Known: `schedtrace=N` (milliseconds; 0 = off). A setting that
/// is unknown or malformed is reported and skipped; the others still apply.
fn parse_debug(s: &str) -> Result<Option<std::time::Duration>, String> {
    let mut schedtrace = None;
    for setting in s.split(',').map(str::trim).filter(|x| !x.is_empty()) {
        if let Err(why) = apply_debug(setting, &mut schedtrace) {
            eprintln!("gort: ignoring GORTDEBUG setting {setting:?}: {why}");
        }
    }
    Ok(schedtrace)
}

fn apply_debug(setting: &str, schedtrace: &mut Option<std::time::Duration>) -> Result<(), String> {
    match setting.split_once('=') {
        Some(("schedtrace", ms)) => {
            let ms: u64 = ms
                .parse()
                .map_err(|_| "expected milliseconds".to_string())?;
            *schedtrace = (ms > 0).then(|| std::time::Duration::from_millis(ms));
            Ok(())
        }
        _ => Err("unknown setting (known: schedtrace=N)".into()),
    }
}

/// Parse a stack size; rounded up to whole pages.
pub(crate) fn parse_stack_size(s: &str) -> Result<usize, String> {
    let (digits, unit) = match s.as_bytes().last() {
        Some(b'k' | b'K') => (&s[..s.len() - 1], 1024),
        Some(b'm' | b'M') => (&s[..s.len() - 1], 1024 * 1024),
        _ => (s, 1),
    };
    let n: usize = digits
        .parse()
        .map_err(|_| "expected bytes, optionally with a K or M suffix".to_string())?;
    let bytes = n.checked_mul(unit).ok_or("too large")?;
    if bytes < MIN_STACK_SIZE {
        return Err(format!("below the minimum of {MIN_STACK_SIZE} bytes"));
    }
    if bytes > 1 << 30 {
        return Err("above the maximum of 1 GiB".into());
    }
    let page = crate::stack::page_size();
    Ok(bytes.div_ceil(page) * page)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stack_sizes_parse_with_suffixes_and_round_to_pages() {
        assert_eq!(parse_stack_size("65536"), Ok(65536));
        assert_eq!(parse_stack_size("64K"), Ok(65536));
        assert_eq!(parse_stack_size("1m"), Ok(1 << 20));
        assert_eq!(parse_stack_size("40000"), Ok(40960));
        assert!(parse_stack_size("1K").unwrap_err().contains("minimum"));
        assert!(parse_stack_size("lots").is_err());
        assert!(parse_stack_size("2048M").unwrap_err().contains("maximum"));
    }

    #[test]
    fn gortdebug_takes_schedtrace_and_rejects_the_unknown() {
        let ms = std::time::Duration::from_millis;
        assert_eq!(parse_debug("schedtrace=1000"), Ok(Some(ms(1000))));
        assert_eq!(parse_debug("schedtrace=0"), Ok(None));
        assert_eq!(parse_debug(""), Ok(None));
        // Bad settings are reported and skipped; good ones still apply.
        assert_eq!(parse_debug("schedtrace=soon"), Ok(None));
        assert_eq!(parse_debug("gctrace=1,schedtrace=5"), Ok(Some(ms(5))));
        assert!(apply_debug("schedtrace=soon", &mut None)
            .unwrap_err()
            .contains("milliseconds"));
        assert!(apply_debug("gctrace=1", &mut None)
            .unwrap_err()
            .contains("unknown setting"));
    }

    #[test]
    fn gomaxprocs_must_be_a_positive_integer() {
        assert_eq!(parse_procs("3"), Ok(3));
        assert!(parse_procs("0").is_err());
        assert!(parse_procs("-1").is_err());
        assert!(parse_procs("100000").is_err());
    }
}

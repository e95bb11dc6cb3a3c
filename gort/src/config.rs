//! Runtime configuration read from the environment at start-up:
//! `GOMAXPROCS` (number of Ps), `GORT_STACK_SIZE` (bytes of virtual stack
//! per goroutine; a `K`/`M` suffix multiplies by 1024 / 1024²) and
//! `GORTDEBUG` (Go's `GODEBUG` for the scheduler: `schedtrace=N` prints a
//! `SCHED` line every N ms; `preemptslice=N` sets the time slice after which
//! a running goroutine is preempted, in ms or with a `us` suffix (default
//! 10 ms, Go's); and
//! `asyncpreemptoff=1` turns preemption by signal off, leaving checkpoints;
//! `asyncpreemptfault=gpr|vector` breaks what a preemption restores, only so
//! that the register-integrity tests can show they would catch it).
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
    pub(crate) debug: Debug,
}

/// The `GORTDEBUG` settings.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Debug {
    /// `schedtrace=N`: print the scheduler's state every N ms.
    pub(crate) schedtrace: Option<std::time::Duration>,
    /// `preemptslice=N`: a goroutine that has run N ms is preempted.
    pub(crate) preempt_slice: std::time::Duration,
    /// `asyncpreemptoff=1`: no preemption by signal (checkpoints only).
    pub(crate) async_preempt_off: bool,
    /// `asyncpreemptfault=gpr|vector`: corrupt the registers a preemption
    /// restores (0: no; 1: general; 2: vector). For negative controls.
    pub(crate) async_preempt_fault: u8,
}

impl Default for Debug {
    fn default() -> Debug {
        Debug {
            schedtrace: None,
            preempt_slice: std::time::Duration::from_millis(10),
            async_preempt_off: false,
            async_preempt_fault: 0,
        }
    }
}

impl Config {
    pub(crate) fn from_env() -> Config {
        let ncpu = std::thread::available_parallelism().map_or(1, |n| n.get());
        Config {
            gomaxprocs: from_env("GOMAXPROCS", parse_procs).unwrap_or(ncpu),
            stack_size: from_env("GORT_STACK_SIZE", parse_stack_size).unwrap_or(DEFAULT_STACK_SIZE),
            debug: from_env("GORTDEBUG", parse_debug).unwrap_or_default(),
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
/// `GODEBUG`. Known: `schedtrace=N` (milliseconds; 0 = off),
/// `preemptslice=N` (milliseconds, or `Nus`; at least 100 µs) and
/// `asyncpreemptoff=0|1`. A
/// setting that is unknown or malformed is reported and skipped; the others
/// still apply.
fn parse_debug(s: &str) -> Result<Debug, String> {
    let mut debug = Debug::default();
    for setting in s.split(',').map(str::trim).filter(|x| !x.is_empty()) {
        if let Err(why) = apply_debug(setting, &mut debug) {
            eprintln!("gort: ignoring GORTDEBUG setting {setting:?}: {why}");
        }
    }
    Ok(debug)
}

fn apply_debug(setting: &str, debug: &mut Debug) -> Result<(), String> {
    let millis = |v: &str| {
        v.parse::<u64>()
            .map_err(|_| "expected milliseconds".to_string())
    };
    match setting.split_once('=') {
        Some(("schedtrace", v)) => {
            let ms = millis(v)?;
            debug.schedtrace = (ms > 0).then(|| std::time::Duration::from_millis(ms));
        }
        Some(("preemptslice", v)) => {
            let slice = match v.strip_suffix("us") {
                Some(us) => std::time::Duration::from_micros(millis(us)?),
                None => std::time::Duration::from_millis(millis(v.trim_end_matches("ms"))?),
            };
            if slice < std::time::Duration::from_micros(100) {
                return Err("the time slice must be at least 100us".into());
            }
            debug.preempt_slice = slice;
        }
        Some(("asyncpreemptoff", "1")) => debug.async_preempt_off = true,
        Some(("asyncpreemptoff", "0")) => debug.async_preempt_off = false,
        Some(("asyncpreemptoff", _)) => return Err("expected 0 or 1".into()),
        Some(("asyncpreemptfault", "gpr")) => debug.async_preempt_fault = 1,
        Some(("asyncpreemptfault", "vector")) => debug.async_preempt_fault = 2,
        Some(("asyncpreemptfault", _)) => return Err("expected gpr or vector".into()),
        _ => {
            return Err(
                "unknown setting (known: schedtrace=N, preemptslice=N, asyncpreemptoff=0|1)".into(),
            )
        }
    }
    Ok(())
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
    fn gortdebug_takes_its_settings_and_rejects_the_unknown() {
        let ms = std::time::Duration::from_millis;
        let trace = |s| parse_debug(s).unwrap().schedtrace;
        assert_eq!(trace("schedtrace=1000"), Some(ms(1000)));
        assert_eq!(trace("schedtrace=0"), None);
        assert_eq!(parse_debug(""), Ok(Debug::default()));
        // Bad settings are reported and skipped; good ones still apply.
        assert_eq!(trace("schedtrace=soon"), None);
        assert_eq!(trace("gctrace=1,schedtrace=5"), Some(ms(5)));
        let d = parse_debug("preemptslice=2,asyncpreemptoff=1").unwrap();
        assert_eq!((d.preempt_slice, d.async_preempt_off), (ms(2), true));
        assert_eq!(parse_debug("preemptslice=0").unwrap().preempt_slice, ms(10));
        let us = std::time::Duration::from_micros;
        assert_eq!(
            parse_debug("preemptslice=250us").unwrap().preempt_slice,
            us(250)
        );
        assert_eq!(
            parse_debug("preemptslice=3ms").unwrap().preempt_slice,
            ms(3)
        );
        assert_eq!(
            parse_debug("preemptslice=50us").unwrap().preempt_slice,
            ms(10)
        );
        let mut d = Debug::default();
        assert!(apply_debug("schedtrace=soon", &mut d)
            .unwrap_err()
            .contains("milliseconds"));
        assert!(apply_debug("asyncpreemptoff=yes", &mut d)
            .unwrap_err()
            .contains("0 or 1"));
        assert!(apply_debug("gctrace=1", &mut d)
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

//! Floating-point control state belongs to the goroutine, not the thread.
//!
//! x86_64's MXCSR (SSE rounding mode, exception masks, flush-to-zero) and the
//! x87 control word are per-thread registers that corosensei's switch does not
//! keep. Without care, a goroutine that changes its rounding mode hands it to
//! the scheduler and to whichever goroutine the thread runs next. So:
//! - a goroutine starts with the defaults (`Control::DEFAULT`: round to
//!   nearest, all exceptions masked, as a new thread);
//! - across every suspension the goroutine saves its control state on its
//!   own stack and puts it back when it resumes (`G::suspend`): about 4 ns
//!   a switch, most of it reading MXCSR;
//! - an asynchronous preemption saves and restores them with the rest of
//!   the register file (XSAVE, asyncpreempt.rs).
//!
//! On other architectures this is a no-op for now.

/// A snapshot of the floating-point control registers.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(crate) struct Control {
    mxcsr: u32,
    fcw: u16,
}

impl Control {
    /// What a new thread starts with: round to nearest, exceptions masked,
    /// no flush-to-zero; x87 at 64-bit precision.
    pub(crate) const DEFAULT: Control = Control {
        mxcsr: 0x1F80,
        fcw: 0x037F,
    };

    /// MXCSR's sticky exception flags (bits 0–5): status, not control.
    const MXCSR_FLAGS: u32 = 0x3F;

    /// Whether the control bits (modes and masks, not the sticky flags)
    /// are the defaults.
    pub(crate) fn has_default_modes(self) -> bool {
        self.mxcsr & !Self::MXCSR_FLAGS == Self::DEFAULT.mxcsr && self.fcw == Self::DEFAULT.fcw
    }

    /// The calling thread's current control state.
    #[inline]
    pub(crate) fn current() -> Control {
        #[cfg(target_arch = "x86_64")]
        {
            let mut mxcsr: u32 = 0;
            let mut fcw: u16 = 0;
            // SAFETY: both instructions only store the control registers to
            // the given (valid, writable, suitably sized) locations.
            unsafe {
                std::arch::asm!(
                    "stmxcsr [{m}]",
                    "fnstcw [{f}]",
                    m = in(reg) &mut mxcsr,
                    f = in(reg) &mut fcw,
                    options(nostack, preserves_flags),
                );
            }
            Control { mxcsr, fcw }
        }
        #[cfg(not(target_arch = "x86_64"))]
        Control::DEFAULT
    }

    /// Make `self` the thread's control state. Loaded unconditionally:
    /// on this machine LDMXCSR + FLDCW take ~2 ns, while reading both back
    /// to compare (STMXCSR is the slow one) takes ~6.
    #[inline]
    pub(crate) fn restore(self) {
        #[cfg(target_arch = "x86_64")]
        self.load();
    }

    #[cfg(target_arch = "x86_64")]
    #[inline]
    fn load(self) {
        // SAFETY: both values came from `current` (or are the defaults), so
        // they are valid control words: no reserved MXCSR bit is set.
        unsafe {
            std::arch::asm!(
                "ldmxcsr [{m}]",
                "fldcw [{f}]",
                m = in(reg) &self.mxcsr,
                f = in(reg) &self.fcw,
                options(nostack, preserves_flags, readonly),
            );
        }
    }
}

#[cfg(all(test, target_arch = "x86_64"))]
mod tests {
    use super::Control;

    /// Round toward zero in MXCSR bits 13–14.
    const TOWARD_ZERO: u32 = 0x6000;

    #[test]
    fn restore_puts_back_what_current_read() {
        let saved = Control::current();
        let changed = Control {
            mxcsr: saved.mxcsr | TOWARD_ZERO,
            fcw: saved.fcw,
        };
        changed.restore();
        assert_eq!(Control::current(), changed);
        saved.restore();
        assert_eq!(Control::current(), saved);
    }
}

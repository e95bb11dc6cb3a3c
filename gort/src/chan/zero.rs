//! The unbuffered flavor (`chan(0)`, Go's `make(chan T)`): a rendezvous. It
//! holds no values; a send completes only by handing its value straight to
//! a receiver (one that is waiting, or one that arrives while the sender
//! waits).

/// The (empty) buffer of an unbuffered channel.
pub(crate) struct Rendezvous;

impl Rendezvous {
    /// A value offered to the buffer never fits.
    pub(crate) fn push<T>(&mut self, v: T) -> Result<(), T> {
        Err(v)
    }

    /// A receiver meeting a blocked sender takes the sender's value itself.
    pub(crate) fn exchange<T>(&mut self, from_sender: T) -> T {
        from_sender
    }
}

//! What every gort socket type has in common, written once: macros that
//! generate the timeout and blocking-mode methods, the std conversions and
//! descriptor access, and (for stream sockets) `Read`/`Write` for the
//! socket and for a reference to it. Each type's own file keeps what is
//! particular to it.

/// `Read` and `Write` for a stream socket `$t` (with an `fd: PollFd`) and
/// for `&$t`, so one goroutine can read while another writes.
macro_rules! stream_read_write {
    ($t:ty) => {
        impl std::io::Read for &$t {
            #[track_caller]
            fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
                let len = buf.len();
                self.fd
                    .read_stream(len, |mut s| std::io::Read::read(&mut s, buf))
            }

            #[track_caller]
            fn read_vectored(
                &mut self,
                bufs: &mut [std::io::IoSliceMut<'_>],
            ) -> std::io::Result<usize> {
                // Never skips after a short vectored read: the kernel takes
                // at most IOV_MAX buffers, so "short" says nothing.
                self.fd.io(super::fd::Dir::Read, |mut s| {
                    std::io::Read::read_vectored(&mut s, bufs)
                })
            }

            /// std's default, written out so that a goroutine dump shows
            /// the caller's line, not std's, for a read that waits.
            #[track_caller]
            fn read_exact(&mut self, mut buf: &mut [u8]) -> std::io::Result<()> {
                while !buf.is_empty() {
                    match std::io::Read::read(self, buf) {
                        Ok(0) => {
                            return Err(std::io::Error::new(
                                std::io::ErrorKind::UnexpectedEof,
                                "failed to fill whole buffer",
                            ))
                        }
                        Ok(n) => buf = &mut buf[n..],
                        Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
                        Err(e) => return Err(e),
                    }
                }
                Ok(())
            }
        }

        impl std::io::Write for &$t {
            #[track_caller]
            fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
                self.fd.io(super::fd::Dir::Write, |mut s| {
                    std::io::Write::write(&mut s, buf)
                })
            }

            #[track_caller]
            fn write_vectored(&mut self, bufs: &[std::io::IoSlice<'_>]) -> std::io::Result<usize> {
                self.fd.io(super::fd::Dir::Write, |mut s| {
                    std::io::Write::write_vectored(&mut s, bufs)
                })
            }

            /// std's default, written out for goroutine dumps (see
            /// `read_exact`).
            #[track_caller]
            fn write_all(&mut self, mut buf: &[u8]) -> std::io::Result<()> {
                while !buf.is_empty() {
                    match std::io::Write::write(self, buf) {
                        Ok(0) => {
                            return Err(std::io::Error::new(
                                std::io::ErrorKind::WriteZero,
                                "failed to write whole buffer",
                            ))
                        }
                        Ok(n) => buf = &buf[n..],
                        Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
                        Err(e) => return Err(e),
                    }
                }
                Ok(())
            }

            fn flush(&mut self) -> std::io::Result<()> {
                Ok(())
            }
        }

        impl std::io::Read for $t {
            #[track_caller]
            fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
                (&*self).read(buf)
            }

            #[track_caller]
            fn read_vectored(
                &mut self,
                bufs: &mut [std::io::IoSliceMut<'_>],
            ) -> std::io::Result<usize> {
                (&*self).read_vectored(bufs)
            }

            #[track_caller]
            fn read_exact(&mut self, buf: &mut [u8]) -> std::io::Result<()> {
                (&*self).read_exact(buf)
            }
        }

        impl std::io::Write for $t {
            #[track_caller]
            fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
                (&*self).write(buf)
            }

            #[track_caller]
            fn write_vectored(&mut self, bufs: &[std::io::IoSlice<'_>]) -> std::io::Result<usize> {
                (&*self).write_vectored(bufs)
            }

            #[track_caller]
            fn write_all(&mut self, buf: &[u8]) -> std::io::Result<()> {
                (&*self).write_all(buf)
            }

            fn flush(&mut self) -> std::io::Result<()> {
                Ok(())
            }
        }
    };
}

/// The methods every socket type has, inside its `impl` block: the read
/// timeout, blocking mode, `try_clone` and `take_error`. `$t` is the type
/// itself.
macro_rules! socket_methods {
    ($t:ty) => {
        /// How long each read (or accept, or receive) may wait (`None`:
        /// forever). Past it, the call fails with `TimedOut`.
        /// `Some(Duration::ZERO)` is an error, as in std.
        pub fn set_read_timeout(&self, d: Option<std::time::Duration>) -> std::io::Result<()> {
            self.fd.set_timeout(super::fd::Dir::Read, d)
        }

        /// The read timeout, if any.
        pub fn read_timeout(&self) -> std::io::Result<Option<std::time::Duration>> {
            Ok(self.fd.get_timeout(super::fd::Dir::Read))
        }

        /// With `true`, calls return `WouldBlock` instead of waiting.
        pub fn set_nonblocking(&self, nonblocking: bool) -> std::io::Result<()> {
            self.fd.set_nonblocking(nonblocking);
            Ok(())
        }

        /// Take the pending `SO_ERROR`, if any.
        pub fn take_error(&self) -> std::io::Result<Option<std::io::Error>> {
            self.fd.get().take_error()
        }

        /// A second handle to the same socket (a `dup`, with its own
        /// registration and this one's timeouts), e.g. for a reader and a
        /// writer goroutine.
        pub fn try_clone(&self) -> std::io::Result<$t> {
            let clone = <$t>::from_std(self.fd.get().try_clone()?)?;
            clone.fd.copy_settings_from(&self.fd);
            Ok(clone)
        }
    };
}

/// The write timeout, for the socket types that write (not listeners).
macro_rules! write_timeout_methods {
    () => {
        /// How long each write (or send) may wait (`None`: forever). Past
        /// it, the call fails with `TimedOut`.
        pub fn set_write_timeout(&self, d: Option<std::time::Duration>) -> std::io::Result<()> {
            self.fd.set_timeout(super::fd::Dir::Write, d)
        }

        /// The write timeout, if any.
        pub fn write_timeout(&self) -> std::io::Result<Option<std::time::Duration>> {
            Ok(self.fd.get_timeout(super::fd::Dir::Write))
        }
    };
}

/// `From` the std type (which registers with the netpoller), and the
/// descriptor accessors.
macro_rules! socket_conversions {
    ($t:ty, $std:ty) => {
        /// Takes the std socket onto the netpoller.
        ///
        /// # Panics
        /// If the netpoller cannot register it (the kernel's limit on
        /// watched descriptors); `from_std` returns that error instead.
        impl From<$std> for $t {
            fn from(s: $std) -> $t {
                <$t>::from_std(s).expect("gort: cannot register the socket with the netpoller")
            }
        }

        impl std::os::fd::AsRawFd for $t {
            fn as_raw_fd(&self) -> std::os::fd::RawFd {
                self.fd.as_raw_fd()
            }
        }

        impl std::os::fd::AsFd for $t {
            fn as_fd(&self) -> std::os::fd::BorrowedFd<'_> {
                std::os::fd::AsFd::as_fd(self.fd.get())
            }
        }
    };
}
